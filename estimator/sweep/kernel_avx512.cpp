// The kernel's AVX-512 version (compiled with -march=x86-64-v4 -mno-fma),
// picked at run time by a portable build (kernel.cpp); empty otherwise.
// Eigen configures itself once, from the macros it sees first. Seeing
// AVX-512 it would insist on FMA, which rounds otherwise than the baseline,
// so it is shown AVX2 alone (its log and exp on four lanes at a time);
// lanes.hpp, included after, sees AVX-512.
#pragma push_macro("__AVX512F__")
#undef __AVX512F__
#include <Eigen/Core>
#pragma pop_macro("__AVX512F__")

#include "estimator/sweep/kernel_body.hpp"

#if CLUSTERCAP_KERNEL_VARIANTS
namespace clustercap::sweep {
CLUSTERCAP_KERNEL_ENTRIES(avx512)
}  // namespace clustercap::sweep
#endif
