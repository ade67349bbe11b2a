// Hot element-wise kernels and the thread pool, in C. The kernels are here because `restrict` and
// per-function AVX2/FMA builds (chosen at run time, see CPUDispatch.h) let the compiler vectorize
// loops that Swift, built for baseline x86-64, leaves scalar; each has a plain version for other CPUs.
// The pool is here for C11 atomics, which Swift offers only from macOS 15.
#ifndef EMBER_KERNELS_H
#define EMBER_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One Adam/AdamW step over n contiguous floats (see torch.optim.Adam). `max_exp_avg_sq` may be NULL
/// (no AMSGrad). `decay` multiplies the parameter first (AdamW: 1 - lr*wd, else 1); `coupled_wd` is
/// added as coupled_wd * p to the gradient (Adam's L2 term, else 0).
void ember_adam_f32(float *param, const float *grad, float *exp_avg, float *exp_avg_sq, float *max_exp_avg_sq,
                    int64_t n, float beta1, float beta2, float eps, float step_size, float bias_correction2_sqrt,
                    float decay, float coupled_wd);

/// y[i] = sqrt(x[i]) (or 1/sqrt(x[i]) when `reciprocal`) over n floats; y may be x.
void ember_sqrt_f32(const float *x, float *y, int64_t n, int reciprocal);

/// y[i] = a*y[i] + b*x[i*x_stride] over n floats (x_stride 1, or 0 for one value), in place in y;
/// x must not overlap y.
void ember_axpby_f32(float *y, const float *x, int64_t n, float a, float b, int x_stride);

/// For each r < count: dst[r*row_bytes + i] = (base[rows[r]*row_bytes + i] / 255) * scale + shift:
/// gathers rows of bytes (images) into floats with a fused normalization, prefetching rows ahead.
/// Rows must be in range.
void ember_gather_bytes_affine(const uint8_t *base, int64_t row_bytes, const int64_t *rows, int64_t count,
                               float *dst, float scale, float shift);

/// Whether the CPU runs `ember_sgemm_nt`, `ember_sgemm_tn` and `ember_sgemm_nn` (x86-64 with AVX2 and FMA); where it
/// is 0 they do nothing and BLAS must be used.
int ember_small_gemm_available(void);

/// C = A·Bᵀ + bias (or C += A·Bᵀ + bias when `accumulate`), row-major: A is m×k, B is n×k, C is m×n,
/// `bias` n floats added to every row, or NULL. Both operands are read along k, so nothing is packed;
/// meant for A small enough to stay in L2 (m·k up to ~64K), where it beats OpenBLAS (the MLP's
/// forward product: 88 against 76 GFLOP/s on one core here).
void ember_sgemm_nt(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                    float *c, int64_t ldc, const float *bias, int accumulate);

/// C = Aᵀ·B (or C += Aᵀ·B when `accumulate`), row-major: A is k×m, B is k×n, C is m×n. Outer products
/// of A's rows and B's rows; meant for a short k (a weight gradient over a batch), where it writes C
/// once and needs no cleared output (85 against 74 GFLOP/s on one core here).
void ember_sgemm_tn(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                    float *c, int64_t ldc, int accumulate);

/// C = A·B (or C += A·B when `accumulate`), row-major: A is m×k, B is k×n, C is m×n. The same outer
/// products as `ember_sgemm_tn` with A read along its rows; meant for a short k (an input gradient
/// g·W through a small layer: the MLP's [64,10]·[10,256] takes 11 µs through OpenBLAS).
void ember_sgemm_nn(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                    float *c, int64_t ldc, int accumulate);

/// One output row of a 2×2 max pool: `out_w` maxima of the windows whose top-left corners are top[0],
/// top[stride], top[2·stride], ... (the row below is `width` floats on), and each winner's index into
/// the plane, counted from `top_index` for top[0].
void ember_max_pool_2x2_f32(const float *top, int64_t width, int64_t out_w, int64_t stride, int64_t top_index,
                            float *values, int64_t *indices);

/// The LU factors of the row-major n×n matrix `a` in place (L below the unit diagonal, U on and
/// above), with partial pivoting as LAPACK's sgetf2: row j was swapped with row pivots[j] ≥ j.
/// Returns 0, or 1 + the column of the first zero pivot (the matrix is singular).
int64_t ember_lu_factor_f32(float *a, int64_t n, int64_t *pivots);

/// Solves A·X = B with the factors of `ember_lu_factor_f32` (which returned 0): `b`, row-major n×k,
/// becomes X.
void ember_lu_solve_f32(const float *lu, const int64_t *pivots, int64_t n, float *b, int64_t k);

/// `count` row-major n×n matrices `a` one after another: each A·X = B solved into `x` (n×k each), B
/// from `b` or the identity (k = n) when `b` is NULL; `info[m]` gets matrix m's factorization result
/// (its X is left unsolved when non-zero). `factors` (n·n) and `pivots` (n) are scratch. Returns how
/// many matrices were singular.
int64_t ember_lu_solve_batch_f32(const float *a, const float *b, int64_t n, int64_t k, int64_t count, float *x,
                                 int64_t *info, float *factors, int64_t *pivots);

/// Each of `count` row-major n×n matrices' determinant as a sign (0 when singular) and log|det| (−∞
/// when singular), the pivots' logs summed in double. `factors` and `pivots` are scratch.
void ember_lu_log_det_batch_f32(const float *a, int64_t n, int64_t count, double *signs, double *logs, float *factors,
                                int64_t *pivots);

/// `count` triangular solves, one after another: for each row-major n×n A (its `upper` or lower
/// triangle, ones taken for the diagonal when `unit`) and rows×cols B in `b`, B becomes X with A·X = B
/// (`left`, n = rows) or X·A = B (n = cols). A zero on the diagonal gives infinities.
void ember_triangular_solve_batch_f32(const float *a, float *b, int64_t n, int64_t rows, int64_t cols, int64_t count,
                                      int upper, int left, int unit);

/// The element-wise part of an LSTM step over `rows` rows (PyTorch's gate order i, f, g, o):
/// `gates` [rows, 4·hidden] holds the pre-activations and gets the activations σ(i), σ(f), tanh(g),
/// σ(o); the cell state `c` [rows, hidden] becomes c' = σ(f)·c + σ(i)·tanh(g) (the old value copied to
/// `c_prev` unless it is NULL), `tanh_c` gets tanh(c'), and both `h` and `out` get σ(o)·tanh(c').
void ember_lstm_cell_f32(float *gates, float *c, float *c_prev, float *tanh_c, float *h, float *out, int64_t rows,
                         int64_t hidden);

/// Its backward over `rows` rows: from the activations `gates`, `c_prev` and `tanh_c` saved by
/// `ember_lstm_cell_f32`, the gradient of h' (`dh` + `dout`) and of c' (`dc`), writes the gradient of
/// the pre-activations to `dgates` [rows, 4·hidden] and replaces `dc` by the gradient of c.
void ember_lstm_cell_backward_f32(float *dgates, const float *gates, const float *c_prev, const float *tanh_c,
                                  const float *dh, const float *dout, float *dc, int64_t rows, int64_t hidden);

/// The element-wise part of a GRU step over `rows` rows (PyTorch's gate order r, z, n): from the
/// input's projection `projected` and `hidden_gates` = W_hh·h + b_hh (both [rows, 3·hidden]), writes
/// the activations r, z, n to `gates` and h' = n + z·(h − n) to both `h` and `out`.
void ember_gru_cell_f32(const float *projected, const float *hidden_gates, float *gates, float *h, float *out,
                        int64_t rows, int64_t hidden);

/// Its backward over `rows` rows: from the saved `gates`, `hidden_gates` and `h_prev` and the gradient
/// of h' (`dh` + `dout`), writes the gradients of the projection and of the hidden gates
/// ([rows, 3·hidden] each) and replaces `dh` by the part of h's gradient that skips W_hh (z · dh').
void ember_gru_cell_backward_f32(float *d_projected, float *d_hidden_gates, const float *gates,
                                 const float *hidden_gates, const float *h_prev, float *dh, const float *dout,
                                 int64_t rows, int64_t hidden);

/// The functions `ember_math_f32` computes.
typedef enum {
    EMBER_MATH_EXP,
    EMBER_MATH_LOG,
    EMBER_MATH_TANH,
    EMBER_MATH_SIGMOID,  // 1 / (1 + exp(-x))
    EMBER_MATH_ERF,
    EMBER_MATH_GELU,     // x/2 · (1 + erf(x/√2))
    EMBER_MATH_GELU_DERIVATIVE,  // (1 + erf(x/√2))/2 + x · exp(-x²/2)/√(2π)
    EMBER_MATH_SIN,
    EMBER_MATH_COS,
    EMBER_MATH_LOG1P,
} ember_math_function;

/// y[i] = function(x[i]) for n floats (x and y may be the same array): eight at a time through
/// glibc's libmvec where the CPU has AVX2 and FMA and libmvec has the function (within 4 ulp of
/// libm), else one at a time through libm.
void ember_math_f32(ember_math_function function, const float *x, float *y, int64_t n);

/// y[i] = exp(x[i] - shift) for n floats; returns the sum of the y[i]. A row of softmax.
float ember_exp_sum_f32(const float *x, float *y, int64_t n, float shift);

/// The largest of n floats, skipping NaNs (-infinity when n is 0).
float ember_max_f32(const float *x, int64_t n);

/// Whether `ember_math_f32` computes `function` eight at a time on this machine (for benchmarks and tests).
int ember_vector_math_available(ember_math_function function);

/// With 0, `ember_math_f32` and `ember_exp_sum_f32` called on this thread use libm even where
/// libmvec could run (for benchmarks and tests of the fallback); 1 (the default) lets them use it.
void ember_vector_math_set_enabled(int enabled);

/// dst[r·dst_stride + c] = src[c·src_stride + r] for r < rows, c < cols: a transposing copy of a
/// cols × rows block of src (its rows src_stride apart) into a rows × cols block of dst.
void ember_transpose_f32(const float *src, int64_t src_stride, float *dst, int64_t dst_stride, int64_t rows,
                         int64_t cols);

/// One piece of a parallel region: `index` runs from 0 to the region's count - 1.
typedef void (*ember_task_fn)(void *context, int64_t index);

/// Runs function(context, i) for i in 0..<count on up to `threads` threads (the caller and pool
/// workers) and returns when all are done. Nested calls, and calls while another thread's region
/// runs, run inline on the caller. Which thread runs which piece varies; the pieces do not.
void ember_parallel_for(int64_t count, int threads, ember_task_fn function, void *context);

/// While `on`, regions started by the calling thread run inline on it, leaving the pool to the
/// thread doing the main work (a background data loader must not hold the pool while the training
/// step's products wait for it). Returns the previous setting.
int ember_parallel_set_inline(int on);

#ifdef __cplusplus
}
#endif

#endif
