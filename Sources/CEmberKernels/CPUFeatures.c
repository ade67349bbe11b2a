#include "CPUDispatch.h"

#if EMBER_HAS_AVX2_FMA_BUILD
int ember_cpu_has_avx2_fma(void) {
    // Racing first calls compute the same value; an int store is atomic on x86-64.
    static volatile int answer = -1;
    if (answer < 0) {
        __builtin_cpu_init();
        answer = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return answer;
}
#endif
