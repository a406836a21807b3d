# Warnings and sanitizers live in INTERFACE targets that our own targets link
# PRIVATE, so third-party headers and consumers are not affected.
add_library(clustercap_warnings INTERFACE)
target_compile_options(clustercap_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wnon-virtual-dtor
  $<$<BOOL:${CLUSTERCAP_WERROR}>:-Werror>)

add_library(clustercap_sanitizers INTERFACE)
if(CLUSTERCAP_FUZZ)
  # Coverage instrumentation for every target of ours; the fuzz executable
  # links the libFuzzer driver itself.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(CLUSTERCAP_SANITIZE)
  target_compile_options(clustercap_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(clustercap_sanitizers INTERFACE -fsanitize=address,undefined)
endif()

add_library(clustercap_openmp INTERFACE)
if(CLUSTERCAP_OPENMP AND OpenMP_CXX_FOUND)
  target_link_libraries(clustercap_openmp INTERFACE OpenMP::OpenMP_CXX)
  target_compile_definitions(clustercap_openmp INTERFACE CLUSTERCAP_HAVE_OPENMP=1)
else()
  # Without OpenMP the pragmas are ignored on purpose: the code runs serially.
  target_compile_options(clustercap_openmp INTERFACE -Wno-unknown-pragmas)
endif()

# Applies project-wide settings to one of our own targets.
function(clustercap_target_defaults target)
  target_link_libraries(${target} PRIVATE clustercap_warnings clustercap_sanitizers)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()
