#include "PeakFlops.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma")))
static double run(int64_t iterations) {
    __m256 a[12];
    for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps(0.001f * (float)i);
    const __m256 b = _mm256_set1_ps(0.9999f), c = _mm256_set1_ps(0.0001f);
    for (int64_t n = 0; n < iterations; n++) {
        for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);
        // Keeps the twelve chains in registers and the loop from being folded away.
        __asm__ volatile("" : "+x"(a[0]), "+x"(a[1]), "+x"(a[2]), "+x"(a[3]), "+x"(a[4]), "+x"(a[5]),
                              "+x"(a[6]), "+x"(a[7]), "+x"(a[8]), "+x"(a[9]), "+x"(a[10]), "+x"(a[11]));
    }
    return (double)iterations * 12 * 8 * 2;
}

double peak_fma_flops(int64_t iterations) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? run(iterations) : 0;
}
#else
double peak_fma_flops(int64_t iterations) { (void)iterations; return 0; }
#endif
