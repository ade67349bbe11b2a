// Per-function AVX2/FMA versions chosen at run time (ifunc), where the platform supports it.
#ifndef EMBER_CLONES_H
#define EMBER_CLONES_H
#if defined(__x86_64__) && defined(__linux__)
#define EMBER_CLONES __attribute__((target_clones("avx2,fma", "default")))
#else
#define EMBER_CLONES
#endif
#endif
