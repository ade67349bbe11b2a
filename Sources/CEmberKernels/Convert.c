#include "EmberKernels.h"

#if defined(__x86_64__) && defined(__linux__)
#define EMBER_CLONES __attribute__((target_clones("avx2,fma", "default")))
#else
#define EMBER_CLONES
#endif

EMBER_CLONES
void ember_bytes_lookup(const uint8_t *restrict src, float *restrict dst, int64_t n, const float *restrict table) {
    for (int64_t i = 0; i < n; i++) dst[i] = table[src[i]];
}
