# Generates a C++ source that holds the given text files as string literals,
# so the binary carries its catalog and default scenario and runs from any
# directory. The generated function returns {name, text} pairs where name is
# the path relative to the project root (used in error messages).
function(clustercap_embed_files output_cpp function_name)
  set(inputs ${ARGN})
  add_custom_command(
    OUTPUT ${output_cpp}
    COMMAND ${CMAKE_COMMAND}
      -DOUTPUT=${output_cpp} -DFUNCTION=${function_name}
      -DROOT=${PROJECT_SOURCE_DIR} "-DINPUTS=${inputs}"
      -P ${PROJECT_SOURCE_DIR}/cmake/embed_files_script.cmake
    DEPENDS ${inputs} ${PROJECT_SOURCE_DIR}/cmake/embed_files_script.cmake
    COMMENT "Embedding ${function_name} data"
    VERBATIM)
endfunction()
