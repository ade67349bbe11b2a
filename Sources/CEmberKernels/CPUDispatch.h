// Kernels with an AVX2+FMA build chosen at run time. Swift and this target compile for baseline
// x86-64 (SSE2); a kernel written as an EMBER_KERNEL_BODY is compiled twice, once for the baseline
// and once with `target("avx2,fma")`, and EMBER_DISPATCH calls the second where the CPU has both.
// (target_clones cannot say "both": its "avx2,fma" makes one clone per feature, so the chosen AVX2
// clone ran without FMA; and its arch=x86-64-v3 clone is never chosen with the libgcc here.)
#ifndef EMBER_CPU_DISPATCH_H
#define EMBER_CPU_DISPATCH_H

#define EMBER_KERNEL_BODY static inline __attribute__((always_inline))

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define EMBER_HAS_AVX2_FMA_BUILD 1
#define EMBER_AVX2_FMA static __attribute__((target("avx2,fma")))
/// Whether this CPU runs AVX2 and FMA instructions (checked once; defined in CPUFeatures.c).
int ember_cpu_has_avx2_fma(void);
/// Calls `avx2_fma_call` where the CPU can run it, else `baseline_call`.
#define EMBER_DISPATCH(avx2_fma_call, baseline_call) \
    do { if (ember_cpu_has_avx2_fma()) { avx2_fma_call; } else { baseline_call; } } while (0)
#else
#define EMBER_HAS_AVX2_FMA_BUILD 0
#define EMBER_DISPATCH(avx2_fma_call, baseline_call) do { baseline_call; } while (0)
#endif

#endif
