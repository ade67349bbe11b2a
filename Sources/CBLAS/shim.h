// OpenBLAS's C interface: cblas_sgemm and friends, plus its thread controls.
#include <cblas.h>
#include <stddef.h>

// The LAPACK routines Ember's linear algebra uses, which OpenBLAS ships without a C header of its own
// (no LAPACKE): column-major, every argument by pointer, Fortran's convention. Routines built by
// gfortran take each character argument's length as a hidden trailing argument, so they are declared
// with it; OpenBLAS's own C versions ignore the extra arguments.
void sgesv_(const int *n, const int *nrhs, float *a, const int *lda, int *ipiv, float *b, const int *ldb,
            int *info);
void sgetrf_(const int *m, const int *n, float *a, const int *lda, int *ipiv, int *info);
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info, size_t uplo_length);
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w, float *work,
             const int *lwork, int *iwork, const int *liwork, int *info, size_t jobz_length, size_t uplo_length);
void sgeqrf_(const int *m, const int *n, float *a, const int *lda, float *tau, float *work, const int *lwork,
             int *info);
void sorgqr_(const int *m, const int *n, const int *k, float *a, const int *lda, const float *tau, float *work,
             const int *lwork, int *info);
void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda, float *s, float *u,
             const int *ldu, float *vt, const int *ldvt, float *work, const int *lwork, int *iwork, int *info,
             size_t jobz_length);
