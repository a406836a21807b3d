# cmake -DBUILD=<clustercap build dir> -DWORK=<scratch dir> -P tests/consumer/check.cmake
# Installs the build into WORK/prefix, configures and builds tests/consumer
# against that prefix alone, and runs the program; fails on any step.
get_filename_component(source ${CMAKE_CURRENT_LIST_DIR} ABSOLUTE)
file(REMOVE_RECURSE ${WORK})

function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "${command}: exit ${rc}\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK}/prefix)
step(${CMAKE_COMMAND} --install ${BUILD} --prefix ${prefix})
foreach(installed bin/clustercap include/clustercap/clustercap.hpp
        lib/cmake/clustercap/clustercapConfig.cmake lib/cmake/clustercap/clustercapConfigVersion.cmake
        lib/cmake/clustercap/clustercapTargets.cmake)
  if(NOT EXISTS ${prefix}/${installed})
    message(FATAL_ERROR "cmake --install did not install ${installed}")
  endif()
endforeach()
step(${CMAKE_COMMAND} -S ${source} -B ${WORK}/build -DCMAKE_BUILD_TYPE=Release
     -DCMAKE_PREFIX_PATH=${prefix} -DCLUSTERCAP_PREFIX=${prefix}
     -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
step(${CMAKE_COMMAND} --build ${WORK}/build)
step(${WORK}/build/consumer)
message(STATUS "${step_output}")
