# The layers of clustercap, lowest first (README.md, Development): one table that the
# build and the layer check (cmake/check_layers.cmake, run by ctest) both read.
# A layer's library is built from the .cpp files directly in its folder; its
# headers are the .hpp files there. A file may include headers of its own
# layer and of the layers below it, never above: lower never knows higher.
# (The top-level folders are fixed, so `common` lives in hardware/common/ and
# the application layer `plan` is the .cpp files directly in estimator/.)
set(CLUSTERCAP_LAYERS common hardware power model training supply scenario plan sweep report cli)
set(CLUSTERCAP_LAYER_DIR_common   hardware/common)     # errors with FILE:LINE:COL, TOML reading, text matching, OpenMP shim
set(CLUSTERCAP_LAYER_DIR_hardware hardware)            # catalog, precisions, export-control rules, compare
set(CLUSTERCAP_LAYER_DIR_power    power)               # system IT power, facility power, energy
set(CLUSTERCAP_LAYER_DIR_model    estimator/model)     # the capacity model's equations (pure, one scenario or a pack)
set(CLUSTERCAP_LAYER_DIR_training estimator/training)  # step-time model, layout search, MFU fixed point
set(CLUSTERCAP_LAYER_DIR_supply   estimator/supply)    # supply lines and wafer arithmetic
set(CLUSTERCAP_LAYER_DIR_scenario estimator/scenario)  # scenario types, inputs and their loaders
set(CLUSTERCAP_LAYER_DIR_plan     estimator)           # candidates, estimate, timeline, validate
set(CLUSTERCAP_LAYER_DIR_sweep    estimator/sweep)     # the sweep engine and kernel
set(CLUSTERCAP_LAYER_DIR_report   estimator/report)    # every word and number the user reads
set(CLUSTERCAP_LAYER_DIR_cli      estimator/cli)       # command line (the thin main is apart)

# clustercap_layer_sources(LAYER OUT): the layer's .cpp files (main.cpp and
# the MPI entry point mpi.cpp apart: both belong to the executable alone).
function(clustercap_layer_sources layer out)
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${CLUSTERCAP_LAYER_DIR_${layer}}/*.cpp)
  list(FILTER sources EXCLUDE REGEX "/(main|mpi)\\.cpp$")
  list(SORT sources)
  set(${out} ${sources} PARENT_SCOPE)
endfunction()

# clustercap_add_layer(LAYER [EXTRA_SOURCES...]): the static library
# clustercap_LAYER, linked PUBLIC to the layer just below it (and so to all
# lower ones). A symbol a lower layer takes from a higher one fails to link.
function(clustercap_add_layer layer)
  clustercap_layer_sources(${layer} sources)
  add_library(clustercap_${layer} STATIC ${sources} ${ARGN})
  clustercap_target_defaults(clustercap_${layer})
  list(FIND CLUSTERCAP_LAYERS ${layer} index)
  if(index GREATER 0)
    math(EXPR below "${index} - 1")
    list(GET CLUSTERCAP_LAYERS ${below} lower)
    target_link_libraries(clustercap_${layer} PUBLIC clustercap_${lower})
  endif()
endfunction()
