// The kernel's AVX2 version (compiled with -mavx2),
// picked at run time by a portable build (kernel.cpp); empty otherwise.
#include "estimator/sweep/kernel_body.hpp"

#if CLUSTERCAP_KERNEL_VARIANTS
namespace clustercap::sweep {
CLUSTERCAP_KERNEL_ENTRIES(avx2)
}  // namespace clustercap::sweep
#endif
