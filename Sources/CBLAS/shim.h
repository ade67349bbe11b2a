// OpenBLAS's C interface: cblas_sgemm and friends, plus its thread controls.
#include <cblas.h>
