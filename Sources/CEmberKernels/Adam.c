#include "EmberKernels.h"
#include "Clones.h"
#include <math.h>

// sqrtf may set errno, which keeps the compiler from vectorizing; the element-wise builtin does not.
#if defined(__has_builtin) && __has_builtin(__builtin_elementwise_sqrt)
#define EMBER_SQRT(x) __builtin_elementwise_sqrt(x)
#else
#define EMBER_SQRT(x) sqrtf(x)
#endif


EMBER_CLONES
void ember_adam_f32(float *restrict param, const float *restrict grad, float *restrict exp_avg,
                    float *restrict exp_avg_sq, float *restrict max_exp_avg_sq, int64_t n, float beta1, float beta2,
                    float eps, float step_size, float bias_correction2_sqrt, float decay, float coupled_wd) {
    const float one_minus_beta1 = 1.0f - beta1, one_minus_beta2 = 1.0f - beta2;
    if (max_exp_avg_sq) {
        for (int64_t i = 0; i < n; i++) {
            float p = param[i] * decay;
            float g = grad[i] + coupled_wd * p;
            float m = exp_avg[i] + (g - exp_avg[i]) * one_minus_beta1;
            float v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g;
            float w = max_exp_avg_sq[i] > v ? max_exp_avg_sq[i] : v;
            exp_avg[i] = m;
            exp_avg_sq[i] = v;
            max_exp_avg_sq[i] = w;
            param[i] = p - step_size * (m / (EMBER_SQRT(w) / bias_correction2_sqrt + eps));
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            float p = param[i] * decay;
            float g = grad[i] + coupled_wd * p;
            float m = exp_avg[i] + (g - exp_avg[i]) * one_minus_beta1;
            float v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g;
            exp_avg[i] = m;
            exp_avg_sq[i] = v;
            param[i] = p - step_size * (m / (EMBER_SQRT(v) / bias_correction2_sqrt + eps));
        }
    }
}
