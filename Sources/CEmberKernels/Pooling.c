// Max pooling's most common window, 2×2 without padding or dilation. With stride 2 along rows (the
// usual case) the loop is compiled for that constant and vectorizes; Swift's loop stayed scalar (its
// strided loads and selects took ~8 ns per output on a Zen 1 core).
#include "EmberKernels.h"
#include "CPUDispatch.h"

// Same order and tie/NaN rules as Ember's general max pooling (PyTorch's): row-major, a larger value
// or any NaN takes over, so the first maximum wins, or the last NaN.
EMBER_KERNEL_BODY void max_pool_2x2_loop(const float *restrict top, const float *restrict bottom, int64_t out_w,
                                         int64_t stride, int64_t top_index, int64_t width, float *restrict values,
                                         int64_t *restrict indices) {
    for (int64_t ox = 0; ox < out_w; ox++) {
        const int64_t x = stride * ox;
        const float a = top[x], b = top[x + 1], c = bottom[x], d = bottom[x + 1];
        const int64_t i0 = top_index + x;
        float best = a;
        int64_t at = i0;
        const int take_b = b > best || b != b;
        best = take_b ? b : best;
        at = take_b ? i0 + 1 : at;
        const int take_c = c > best || c != c;
        best = take_c ? c : best;
        at = take_c ? i0 + width : at;
        const int take_d = d > best || d != d;
        best = take_d ? d : best;
        at = take_d ? i0 + width + 1 : at;
        values[ox] = best;
        indices[ox] = at;
    }
}

#if EMBER_HAS_AVX2_FMA_BUILD
EMBER_AVX2_FMA void max_pool_2x2_avx2_fma(const float *top, const float *bottom, int64_t out_w, int64_t stride,
                                          int64_t top_index, int64_t width, float *values, int64_t *indices) {
    if (stride == 2) max_pool_2x2_loop(top, bottom, out_w, 2, top_index, width, values, indices);
    else max_pool_2x2_loop(top, bottom, out_w, stride, top_index, width, values, indices);
}
#endif

void ember_max_pool_2x2_f32(const float *top, int64_t width, int64_t out_w, int64_t stride, int64_t top_index,
                            float *values, int64_t *indices) {
    const float *bottom = top + width;
    EMBER_DISPATCH(max_pool_2x2_avx2_fma(top, bottom, out_w, stride, top_index, width, values, indices),
                   max_pool_2x2_loop(top, bottom, out_w, stride, top_index, width, values, indices));
}
