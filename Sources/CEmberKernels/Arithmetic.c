// Element-wise loops that Swift leaves scalar: square roots (Swift's squareRoot() keeps a libm
// fallback per element that blocks vectorization) and the in-place linear combination y = a·y + b·x
// (add_, sub_, a scalar mul_, the optimizers' running averages), whose target aliases an operand in
// Swift's generic loop. With `restrict` and the element-wise
// builtin these become plain SIMD loops.
#include "EmberKernels.h"
#include "CPUDispatch.h"
#include <math.h>

#if defined(__has_builtin) && __has_builtin(__builtin_elementwise_sqrt)
#define EMBER_SQRT(x) __builtin_elementwise_sqrt(x)
#else
#define EMBER_SQRT(x) sqrtf(x)
#endif

// No `restrict`: x may be y (in place); the compiler checks for overlap once per call.
EMBER_KERNEL_BODY void sqrt_loop(const float *x, float *y, int64_t n, int reciprocal) {
    if (reciprocal) {
        for (int64_t i = 0; i < n; i++) y[i] = 1.0f / EMBER_SQRT(x[i]);
    } else {
        for (int64_t i = 0; i < n; i++) y[i] = EMBER_SQRT(x[i]);
    }
}

EMBER_KERNEL_BODY void axpby_loop(float *restrict y, const float *restrict x, int64_t n, float a, float b, int x_stride) {
    if (x_stride == 0) {
        // A product by one value (b = 0) stays a product, even by ∞; adding −0 keeps a −0 product.
        const float bx = b == 0.0f ? -0.0f : b * x[0];
        for (int64_t i = 0; i < n; i++) y[i] = a * y[i] + bx;
    } else {
        for (int64_t i = 0; i < n; i++) y[i] = a * y[i] + b * x[i];
    }
}

#if EMBER_HAS_AVX2_FMA_BUILD
EMBER_AVX2_FMA void sqrt_avx2_fma(const float *x, float *y, int64_t n, int reciprocal) {
    sqrt_loop(x, y, n, reciprocal);
}
EMBER_AVX2_FMA void axpby_avx2_fma(float *restrict y, const float *restrict x, int64_t n, float a, float b, int x_stride) {
    axpby_loop(y, x, n, a, b, x_stride);
}
#endif

void ember_sqrt_f32(const float *x, float *y, int64_t n, int reciprocal) {
    EMBER_DISPATCH(sqrt_avx2_fma(x, y, n, reciprocal), sqrt_loop(x, y, n, reciprocal));
}

void ember_axpby_f32(float *y, const float *x, int64_t n, float a, float b, int x_stride) {
    EMBER_DISPATCH(axpby_avx2_fma(y, x, n, a, b, x_stride), axpby_loop(y, x, n, a, b, x_stride));
}
