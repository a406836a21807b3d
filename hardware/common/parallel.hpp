// The one place that knows about OpenMP, so the build works without it.
#pragma once

#ifdef _OPENMP
#include <omp.h>
#endif

namespace clustercap::sweep {

inline int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace clustercap::sweep
