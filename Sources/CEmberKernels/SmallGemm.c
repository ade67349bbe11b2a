// Register-blocked AVX2/FMA products for the two shapes a small network's step spends its time in,
// where OpenBLAS's packing costs more than it saves (see EmberKernels.h). Only on x86-64 with AVX2
// and FMA; elsewhere (and on older CPUs) `ember_small_gemm_available` is 0 and BLAS does the work.
#include "EmberKernels.h"
#include "CPUDispatch.h"

#if EMBER_HAS_AVX2_FMA_BUILD
#include <immintrin.h>

#define KERNEL __attribute__((target("avx2,fma")))
#define BLOCK __attribute__((target("avx2,fma"), always_inline)) static inline

int ember_small_gemm_available(void) { return ember_cpu_has_avx2_fma(); }

// Lanes 0..<count set: loads and stores only touch the first `count` floats of a vector.
BLOCK __m256i lanes_below(int64_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

BLOCK float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// --- A·Bᵀ, both read along k: each output is a dot product of two contiguous rows. ---

// An MR×NR block of C (MR ≤ 4, NR ≤ 3): 12 accumulators of 8 lanes, NR rows of B held in registers
// while the MR rows of A stream past. The lanes are summed once at the end.
BLOCK void dot_block(int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc,
                     const float *bias, int accumulate, const int MR, const int NR) {
    __m256 sum[4][3];
    for (int r = 0; r < MR; r++)
        for (int s = 0; s < NR; s++) sum[r][s] = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 bv[3];
        for (int s = 0; s < NR; s++) bv[s] = _mm256_loadu_ps(b + s * ldb + p);
        for (int r = 0; r < MR; r++) {
            __m256 av = _mm256_loadu_ps(a + r * lda + p);
            for (int s = 0; s < NR; s++) sum[r][s] = _mm256_fmadd_ps(av, bv[s], sum[r][s]);
        }
    }
    if (p < k) {
        __m256i mask = lanes_below(k - p);
        __m256 bv[3];
        for (int s = 0; s < NR; s++) bv[s] = _mm256_maskload_ps(b + s * ldb + p, mask);
        for (int r = 0; r < MR; r++) {
            __m256 av = _mm256_maskload_ps(a + r * lda + p, mask);
            for (int s = 0; s < NR; s++) sum[r][s] = _mm256_fmadd_ps(av, bv[s], sum[r][s]);
        }
    }
    for (int r = 0; r < MR; r++)
        for (int s = 0; s < NR; s++) {
            float value = horizontal_sum(sum[r][s]);
            if (bias) value += bias[s];
            c[r * ldc + s] = accumulate ? c[r * ldc + s] + value : value;
        }
}

// The block shapes as constants, so each instance keeps its accumulators in registers.
#define DOT(MR, NR) dot_block(k, a, lda, b, ldb, c, ldc, bias, accumulate, MR, NR)
BLOCK void dot_edge(int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc,
                    const float *bias, int accumulate, int64_t mr, int64_t nr) {
    switch (mr * 4 + nr) {
    case 4 * 1 + 1: DOT(1, 1); break;
    case 4 * 1 + 2: DOT(1, 2); break;
    case 4 * 1 + 3: DOT(1, 3); break;
    case 4 * 2 + 1: DOT(2, 1); break;
    case 4 * 2 + 2: DOT(2, 2); break;
    case 4 * 2 + 3: DOT(2, 3); break;
    case 4 * 3 + 1: DOT(3, 1); break;
    case 4 * 3 + 2: DOT(3, 2); break;
    case 4 * 3 + 3: DOT(3, 3); break;
    case 4 * 4 + 1: DOT(4, 1); break;
    case 4 * 4 + 2: DOT(4, 2); break;
    default: DOT(4, 3); break;
    }
}
#undef DOT

KERNEL
void ember_sgemm_nt(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                    float *c, int64_t ldc, const float *bias, int accumulate) {
    // Three rows of B stay in L1 while all of A (in L2) passes by.
    for (int64_t j = 0; j < n; j += 3) {
        int64_t nr = n - j < 3 ? n - j : 3;
        const float *block_bias = bias ? bias + j : NULL;
        int64_t i = 0;
        if (nr == 3)
            for (; i + 4 <= m; i += 4)
                dot_block(k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc, block_bias, accumulate, 4, 3);
        for (; i < m; i += 4) {
            int64_t mr = m - i < 4 ? m - i : 4;
            dot_edge(k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc, block_bias, accumulate, mr, nr);
        }
    }
}

// --- op(A)·B for a short k: outer products, a column of op(A) broadcast against rows of B. ---
// op(A)'s element (row r, index p along k) is at a[r·ar + p·ak]: ar = 1, ak = lda for Aᵀ (a weight
// gradient gᵀ·x), ar = lda, ak = 1 for A itself (an input gradient g·W).

// An MR×(8·NV) block of C (MR ≤ 6, NV ≤ 2); when MASKED, its last vector is cut to the lanes in `tail`.
BLOCK void outer_block(int64_t k, const float *a, int64_t ar, int64_t ak, const float *b, int64_t ldb, float *c,
                       int64_t ldc, int accumulate, __m256i tail, const int MR, const int NV, const int MASKED) {
    __m256 sum[6][2];
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) sum[r][v] = _mm256_setzero_ps();
    for (int64_t p = 0; p < k; p++) {
        __m256 bv[2];
        for (int v = 0; v < NV; v++)
            bv[v] = MASKED && v == NV - 1 ? _mm256_maskload_ps(b + p * ldb + 8 * v, tail) : _mm256_loadu_ps(b + p * ldb + 8 * v);
        for (int r = 0; r < MR; r++) {
            __m256 av = _mm256_broadcast_ss(a + r * ar + p * ak);
            for (int v = 0; v < NV; v++) sum[r][v] = _mm256_fmadd_ps(av, bv[v], sum[r][v]);
        }
    }
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) {
            float *out = c + r * ldc + 8 * v;
            if (MASKED && v == NV - 1) {
                __m256 value = accumulate ? _mm256_add_ps(_mm256_maskload_ps(out, tail), sum[r][v]) : sum[r][v];
                _mm256_maskstore_ps(out, tail, value);
            } else {
                _mm256_storeu_ps(out, accumulate ? _mm256_add_ps(_mm256_loadu_ps(out), sum[r][v]) : sum[r][v]);
            }
        }
}

#define OUTER(MR, NV) outer_block(k, a, ar, ak, b, ldb, c, ldc, accumulate, tail, MR, NV, 1)
BLOCK void outer_edge(int64_t k, const float *a, int64_t ar, int64_t ak, const float *b, int64_t ldb, float *c,
                      int64_t ldc, int accumulate, __m256i tail, int64_t mr, int64_t nv) {
    switch (mr * 2 + nv) {
    case 2 * 1 + 1: OUTER(1, 1); break;
    case 2 * 1 + 2: OUTER(1, 2); break;
    case 2 * 2 + 1: OUTER(2, 1); break;
    case 2 * 2 + 2: OUTER(2, 2); break;
    case 2 * 3 + 1: OUTER(3, 1); break;
    case 2 * 3 + 2: OUTER(3, 2); break;
    case 2 * 4 + 1: OUTER(4, 1); break;
    case 2 * 4 + 2: OUTER(4, 2); break;
    case 2 * 5 + 1: OUTER(5, 1); break;
    case 2 * 5 + 2: OUTER(5, 2); break;
    case 2 * 6 + 1: OUTER(6, 1); break;
    default: OUTER(6, 2); break;
    }
}
#undef OUTER

// The last rows of a full 16-wide panel: plain loads and stores (masked ones are slow on AMD).
#define ROWS(MR) outer_block(k, a, ar, ak, b, ldb, c, ldc, accumulate, tail, MR, 2, 0)
BLOCK void outer_rows(int64_t k, const float *a, int64_t ar, int64_t ak, const float *b, int64_t ldb, float *c,
                      int64_t ldc, int accumulate, __m256i tail, int64_t mr) {
    switch (mr) {
    case 1: ROWS(1); break;
    case 2: ROWS(2); break;
    case 3: ROWS(3); break;
    case 4: ROWS(4); break;
    default: ROWS(5); break;
    }
}
#undef ROWS

// Inlined into each entry point with one of ar, ak a constant 1, so the address arithmetic folds.
BLOCK void outer_products(int64_t m, int64_t n, int64_t k, const float *a, int64_t ar, int64_t ak, const float *b,
                          int64_t ldb, float *c, int64_t ldc, int accumulate) {
    // A k×16 panel of B stays in L1 while all of op(A) (in L2) passes by.
    for (int64_t j = 0; j < n; j += 16) {
        int64_t width = n - j < 16 ? n - j : 16;
        int64_t nv = (width + 7) / 8;
        __m256i tail = lanes_below(width % 8 == 0 ? 8 : width % 8);
        int64_t i = 0;
        if (width == 16)
            for (; i + 6 <= m; i += 6)
                outer_block(k, a + i * ar, ar, ak, b + j, ldb, c + i * ldc + j, ldc, accumulate, tail, 6, 2, 0);
        for (; i < m; i += 6) {
            int64_t mr = m - i < 6 ? m - i : 6;
            if (width == 16)
                outer_rows(k, a + i * ar, ar, ak, b + j, ldb, c + i * ldc + j, ldc, accumulate, tail, mr);
            else
                outer_edge(k, a + i * ar, ar, ak, b + j, ldb, c + i * ldc + j, ldc, accumulate, tail, mr, nv);
        }
    }
}

KERNEL
void ember_sgemm_tn(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                    float *c, int64_t ldc, int accumulate) {
    outer_products(m, n, k, a, 1, lda, b, ldb, c, ldc, accumulate);
}

KERNEL
void ember_sgemm_nn(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                    float *c, int64_t ldc, int accumulate) {
    outer_products(m, n, k, a, lda, 1, b, ldb, c, ldc, accumulate);
}

#else

int ember_small_gemm_available(void) { return 0; }

void ember_sgemm_nt(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                    float *c, int64_t ldc, const float *bias, int accumulate) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc; (void)bias; (void)accumulate;
}

void ember_sgemm_tn(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                    float *c, int64_t ldc, int accumulate) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc; (void)accumulate;
}

void ember_sgemm_nn(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                    float *c, int64_t ldc, int accumulate) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc; (void)accumulate;
}

#endif
