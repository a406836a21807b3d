# `cmake --install BUILD --prefix P` puts in P:
#   bin/clustercap                                  the command-line tool
#   lib/libclustercap.a                             the library (every layer)
#   include/clustercap/clustercap.hpp               its public interface
#   lib/cmake/clustercap/clustercapConfig.cmake     find_package(clustercap) ->
#     (+ ConfigVersion, Targets)                      clustercap::clustercap
#   share/doc/clustercap/LICENSE
# tests/consumer/ is a project built against such a prefix by ctest.
include(CMakePackageConfigHelpers)

# A native build may be installed (the consumer test does), but says it is not portable.
if(CLUSTERCAP_NATIVE)
  string(CONCAT native_note "CLUSTERCAP_NATIVE=ON: the binary and library run only on CPUs "
                "with this machine's instruction set: configure with -DCLUSTERCAP_NATIVE=OFF "
                "(cmake --preset release) to install them elsewhere")
  message(STATUS "${native_note}")
  install(CODE "message(WARNING \"${native_note}\")")
endif()

set(CLUSTERCAP_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/clustercap)

install(TARGETS clustercap RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS clustercap_library EXPORT clustercapTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/clustercap
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
install(EXPORT clustercapTargets NAMESPACE clustercap:: DESTINATION ${CLUSTERCAP_INSTALL_CMAKEDIR})

# What the static library's link-only dependencies need found in a consumer.
if(CLUSTERCAP_OPENMP AND OpenMP_CXX_FOUND)
  set(CLUSTERCAP_CONFIG_OPENMP ON)
else()
  set(CLUSTERCAP_CONFIG_OPENMP OFF)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/clustercapConfig.cmake.in
  ${PROJECT_BINARY_DIR}/clustercapConfig.cmake INSTALL_DESTINATION ${CLUSTERCAP_INSTALL_CMAKEDIR})
# 0.x: a minor version may change the interface, so only the same major.minor matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/clustercapConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/clustercapConfig.cmake
              ${PROJECT_BINARY_DIR}/clustercapConfigVersion.cmake
        DESTINATION ${CLUSTERCAP_INSTALL_CMAKEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
