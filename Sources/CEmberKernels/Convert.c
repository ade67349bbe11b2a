#include "EmberKernels.h"
#include "Clones.h"


EMBER_CLONES
void ember_bytes_lookup(const uint8_t *restrict src, float *restrict dst, int64_t n, const float *restrict table) {
    for (int64_t i = 0; i < n; i++) dst[i] = table[src[i]];
}
