// LU factorization with partial pivoting and the solves with it, for small row-major matrices. For
// a batch of 4×4 matrices LAPACK's per-call cost (argument checks, pivot arrays, a column-major copy
// each way) is most of the time; these loops take the matrices as they lie in the tensor. They
// follow LAPACK's sgetf2: the first largest magnitude of the column is the pivot, and a zero pivot
// is reported (1-based) while the factorization goes on.
#include <float.h>
#include <math.h>
#include "EmberKernels.h"

int64_t ember_lu_factor_f32(float *a, int64_t n, int64_t *pivots) {
    int64_t info = 0;
    for (int64_t j = 0; j < n; j++) {
        int64_t p = j;
        float best = fabsf(a[j * n + j]);
        for (int64_t i = j + 1; i < n; i++) {
            const float v = fabsf(a[i * n + j]);
            if (v > best) { best = v; p = i; }
        }
        pivots[j] = p;
        // A zero pivot means the whole column below is zero: nothing to eliminate.
        if (a[p * n + j] == 0.0f) {
            if (info == 0) info = j + 1;
            continue;
        }
        if (p != j) {
            for (int64_t c = 0; c < n; c++) {
                const float t = a[j * n + c];
                a[j * n + c] = a[p * n + c];
                a[p * n + c] = t;
            }
        }
        // As sgetf2: multiply by the reciprocal, unless the pivot is subnormal (its reciprocal overflows).
        const float pivot = a[j * n + j], reciprocal = 1.0f / pivot;
        const int tiny = fabsf(pivot) < FLT_MIN;
        const float *restrict pivot_row = a + j * n;
        for (int64_t i = j + 1; i < n; i++) {
            float *restrict row = a + i * n;
            const float l = tiny ? row[j] / pivot : row[j] * reciprocal;
            row[j] = l;
            for (int64_t c = j + 1; c < n; c++) row[c] -= l * pivot_row[c];
        }
    }
    return info;
}

void ember_lu_solve_f32(const float *lu, const int64_t *pivots, int64_t n, float *b, int64_t k) {
    for (int64_t j = 0; j < n; j++) {
        const int64_t p = pivots[j];
        if (p == j) continue;
        for (int64_t c = 0; c < k; c++) {
            const float t = b[j * k + c];
            b[j * k + c] = b[p * k + c];
            b[p * k + c] = t;
        }
    }
    // L·Y = P·B (unit diagonal), then U·X = Y, a row of B at a time.
    for (int64_t i = 1; i < n; i++) {
        float *restrict row = b + i * k;
        for (int64_t j = 0; j < i; j++) {
            const float l = lu[i * n + j];
            const float *restrict source = b + j * k;
            for (int64_t c = 0; c < k; c++) row[c] -= l * source[c];
        }
    }
    for (int64_t i = n - 1; i >= 0; i--) {
        float *restrict row = b + i * k;
        for (int64_t j = i + 1; j < n; j++) {
            const float u = lu[i * n + j];
            const float *restrict source = b + j * k;
            for (int64_t c = 0; c < k; c++) row[c] -= u * source[c];
        }
        const float diagonal = lu[i * n + i];
        for (int64_t c = 0; c < k; c++) row[c] /= diagonal;
    }
}

int64_t ember_lu_solve_batch_f32(const float *a, const float *b, int64_t n, int64_t k, int64_t count, float *x,
                                 int64_t *info, float *factors, int64_t *pivots) {
    int64_t failures = 0;
    for (int64_t m = 0; m < count; m++) {
        float *solution = x + m * n * k;
        for (int64_t i = 0; i < n * n; i++) factors[i] = a[m * n * n + i];
        if (b) {
            for (int64_t i = 0; i < n * k; i++) solution[i] = b[m * n * k + i];
        } else {
            for (int64_t i = 0; i < n * k; i++) solution[i] = 0.0f;
            for (int64_t i = 0; i < n; i++) solution[i * k + i] = 1.0f;
        }
        info[m] = ember_lu_factor_f32(factors, n, pivots);
        if (info[m] == 0) ember_lu_solve_f32(factors, pivots, n, solution, k);
        else failures++;
    }
    return failures;
}

void ember_lu_log_det_batch_f32(const float *a, int64_t n, int64_t count, double *signs, double *logs, float *factors,
                                int64_t *pivots) {
    for (int64_t m = 0; m < count; m++) {
        for (int64_t i = 0; i < n * n; i++) factors[i] = a[m * n * n + i];
        if (ember_lu_factor_f32(factors, n, pivots) != 0) {
            signs[m] = 0.0;
            logs[m] = -INFINITY;
            continue;
        }
        double sign = 1.0, log_sum = 0.0;
        for (int64_t i = 0; i < n; i++) {
            const double pivot = factors[i * n + i];
            if (pivots[i] != i) sign = -sign;
            if (pivot < 0) sign = -sign;
            log_sum += log(fabs(pivot));
        }
        signs[m] = sign;
        logs[m] = log_sum;
    }
}
