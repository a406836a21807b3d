// The one place that knows about OpenMP (so the build works without it), and
// the one way a parallel region treats exceptions: none may leave a region
// (the runtime would terminate), so the first one thrown is kept and
// rethrown after the region. Only translation units compiled with the
// project's OpenMP settings (targets linking clustercap_openmp) include it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <mutex>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace clustercap {

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

// Runs work inside a parallel region, keeping the first exception any of
// it throws; rethrow() after the region throws that one. Thread-safe.
class RegionFailure {
 public:
  template <class Work>
  void run(Work&& work) noexcept {
    try {
      work();
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (!first_) first_ = std::current_exception();
    }
  }
  void rethrow() {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr first_;
};

// body(i) for every i in [0, n) on up to `threads` threads, one index at a
// time (dynamic: items may differ widely in cost); then rethrows the first
// exception a call threw. Whatever body writes must be indexed by i, so the
// result does not depend on the thread count.
template <class Body>
void parallel_for(std::int64_t n, int threads, Body body) {
  RegionFailure failure;
  (void)threads;  // unused when OpenMP is compiled out
#pragma omp parallel for schedule(dynamic, 1) num_threads(std::max(1, threads))
  for (std::int64_t i = 0; i < n; ++i) failure.run([&] { body(i); });
  failure.rethrow();
}

}  // namespace clustercap
