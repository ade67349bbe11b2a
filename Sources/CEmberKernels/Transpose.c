// A transposing copy (x.t().contiguous(), a permute before a product). Element by element, every
// read of a column lands on a new cache line; here the copy goes in 8×8 blocks, each read as eight
// short rows and written as eight short rows, transposed in registers with AVX (scalar in 8×8 tiles
// on other CPUs).
#include "EmberKernels.h"
#include "CPUDispatch.h"

// The elements of the block at (r0, c0), rows × cols of it, one at a time.
EMBER_KERNEL_BODY void transpose_tile(const float *src, int64_t src_stride, float *dst, int64_t dst_stride,
                                      int64_t r0, int64_t c0, int64_t rows, int64_t cols) {
    for (int64_t r = r0; r < r0 + rows; r++)
        for (int64_t c = c0; c < c0 + cols; c++) dst[r * dst_stride + c] = src[c * src_stride + r];
}

static void transpose_baseline(const float *src, int64_t src_stride, float *dst, int64_t dst_stride, int64_t rows,
                               int64_t cols) {
    for (int64_t r0 = 0; r0 < rows; r0 += 8)
        for (int64_t c0 = 0; c0 < cols; c0 += 8)
            transpose_tile(src, src_stride, dst, dst_stride, r0, c0, rows - r0 < 8 ? rows - r0 : 8,
                           cols - c0 < 8 ? cols - c0 : 8);
}

#if EMBER_HAS_AVX2_FMA_BUILD
#include <immintrin.h>

EMBER_AVX2_FMA void transpose_avx2_fma(const float *src, int64_t src_stride, float *dst, int64_t dst_stride,
                                       int64_t rows, int64_t cols) {
    for (int64_t r0 = 0; r0 < rows; r0 += 8) {
        for (int64_t c0 = 0; c0 < cols; c0 += 8) {
            if (rows - r0 < 8 || cols - c0 < 8) {
                transpose_tile(src, src_stride, dst, dst_stride, r0, c0, rows - r0 < 8 ? rows - r0 : 8,
                               cols - c0 < 8 ? cols - c0 : 8);
                continue;
            }
            // Row i of the block in src (dst's column c0 + i) holds dst[r0..r0+8][c0 + i].
            const float *s = src + c0 * src_stride + r0;
            __m256 a0 = _mm256_loadu_ps(s), a1 = _mm256_loadu_ps(s + src_stride);
            __m256 a2 = _mm256_loadu_ps(s + 2 * src_stride), a3 = _mm256_loadu_ps(s + 3 * src_stride);
            __m256 a4 = _mm256_loadu_ps(s + 4 * src_stride), a5 = _mm256_loadu_ps(s + 5 * src_stride);
            __m256 a6 = _mm256_loadu_ps(s + 6 * src_stride), a7 = _mm256_loadu_ps(s + 7 * src_stride);
            // Interleave pairs, then quads within each 128-bit half, then swap the halves.
            __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1);
            __m256 t2 = _mm256_unpacklo_ps(a2, a3), t3 = _mm256_unpackhi_ps(a2, a3);
            __m256 t4 = _mm256_unpacklo_ps(a4, a5), t5 = _mm256_unpackhi_ps(a4, a5);
            __m256 t6 = _mm256_unpacklo_ps(a6, a7), t7 = _mm256_unpackhi_ps(a6, a7);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
            __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
            __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
            __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
            __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
            __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
            __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
            __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
            float *d = dst + r0 * dst_stride + c0;
            _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(d + dst_stride, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(d + 2 * dst_stride, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(d + 3 * dst_stride, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(d + 4 * dst_stride, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(d + 5 * dst_stride, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(d + 6 * dst_stride, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(d + 7 * dst_stride, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
    }
}
#endif

void ember_transpose_f32(const float *src, int64_t src_stride, float *dst, int64_t dst_stride, int64_t rows,
                         int64_t cols) {
    // A thin block has no 8×8 blocks; the loop that walks the short side outermost keeps both
    // streams sequential or nearly so (a 2 × 2M transpose: 2 against 6 ms in 8×8 tiles).
    if (rows < 8) {
        for (int64_t r = 0; r < rows; r++)
            for (int64_t c = 0; c < cols; c++) dst[r * dst_stride + c] = src[c * src_stride + r];
        return;
    }
    if (cols < 8) {
        for (int64_t c = 0; c < cols; c++)
            for (int64_t r = 0; r < rows; r++) dst[r * dst_stride + c] = src[c * src_stride + r];
        return;
    }
    EMBER_DISPATCH(transpose_avx2_fma(src, src_stride, dst, dst_stride, rows, cols),
                   transpose_baseline(src, src_stride, dst, dst_stride, rows, cols));
}
