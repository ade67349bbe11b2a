// Triangular solves for batches of small row-major matrices. One BLAS strsm call per 4×4 matrix
// costs more in argument checks and dispatch than the solve itself; these loops walk the batch as it
// lies in the tensor. Each row update reads and writes contiguous rows.
#include "EmberKernels.h"

// A·X = B, A n×n, B n×k in place.
static void solve_left(const float *a, float *b, int64_t n, int64_t k, int upper, int unit) {
    for (int64_t step = 0; step < n; step++) {
        const int64_t i = upper ? n - 1 - step : step;
        float *restrict row = b + i * k;
        const int64_t first = upper ? i + 1 : 0, last = upper ? n : i;
        for (int64_t j = first; j < last; j++) {
            const float factor = a[i * n + j];
            const float *restrict known = b + j * k;
            for (int64_t c = 0; c < k; c++) row[c] -= factor * known[c];
        }
        if (!unit) {
            const float diagonal = a[i * n + i];
            for (int64_t c = 0; c < k; c++) row[c] /= diagonal;
        }
    }
}

// X·A = B, A n×n, B m×n in place: each row x of X solves x·A = b, one unknown at a time, whose
// share is then taken from the entries still unknown.
static void solve_right(const float *a, float *b, int64_t m, int64_t n, int upper, int unit) {
    for (int64_t r = 0; r < m; r++) {
        float *restrict x = b + r * n;
        for (int64_t step = 0; step < n; step++) {
            const int64_t j = upper ? step : n - 1 - step;
            if (!unit) x[j] /= a[j * n + j];
            const float *restrict row = a + j * n;
            const int64_t first = upper ? j + 1 : 0, last = upper ? n : j;
            for (int64_t c = first; c < last; c++) x[c] -= x[j] * row[c];
        }
    }
}

void ember_triangular_solve_batch_f32(const float *a, float *b, int64_t n, int64_t rows, int64_t cols, int64_t count,
                                      int upper, int left, int unit) {
    for (int64_t m = 0; m < count; m++) {
        if (left) solve_left(a + m * n * n, b + m * rows * cols, n, cols, upper, unit);
        else solve_right(a + m * n * n, b + m * rows * cols, rows, n, upper, unit);
    }
}
