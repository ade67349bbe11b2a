// The machine's FP32 multiply-add peak, for the benchmarks' floors.
#ifndef PEAK_FLOPS_H
#define PEAK_FLOPS_H
#include <stdint.h>

/// Runs `iterations` rounds of 12 independent 8-wide fused multiply-adds (enough chains to hide the
/// latency) and returns the floating-point operations done (0 where AVX2/FMA is missing).
double peak_fma_flops(int64_t iterations);

#endif
