// exp, log, tanh, sigmoid, erf, GELU and its derivative, sin, cos and log1p over float arrays. libm computes one value
// per call (expf 3.7 ns, tanhf 9-16 ns per float here). glibc's vector math library, libmvec (part
// of glibc: expf, logf, sinf, cosf since 2.22, tanhf, erff, log1pf since 2.35), computes eight per
// call with AVX2 (expf 0.7 ns, tanhf 1.1 ns per float; within 4 ulp of libm). It is opened with
// dlopen, so that nothing is linked that a machine without it (musl, macOS, other CPUs) lacks; each
// function it lacks is computed with libm instead.
#include "EmberKernels.h"
#include "CPUDispatch.h"
#include <math.h>
#include <string.h>

// libm, one value at a time: the fallback, and the definition the vector version keeps to.
static float apply_scalar(ember_math_function function, float x) {
    switch (function) {
    case EMBER_MATH_EXP: return expf(x);
    case EMBER_MATH_LOG: return logf(x);
    case EMBER_MATH_TANH: return tanhf(x);
    case EMBER_MATH_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case EMBER_MATH_ERF: return erff(x);
    case EMBER_MATH_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case EMBER_MATH_GELU_DERIVATIVE:
        return 0.5f * (1.0f + erff(x * 0.70710678118654752f)) + x * expf(-0.5f * x * x) * 0.39894228040143268f;
    case EMBER_MATH_SIN: return sinf(x);
    case EMBER_MATH_COS: return cosf(x);
    case EMBER_MATH_LOG1P: return log1pf(x);
    }
    return x;
}

static void map_scalar(ember_math_function function, const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = apply_scalar(function, x[i]);
}

static float exp_sum_scalar(const float *x, float *y, int64_t n, float shift) {
    float sum = 0;
    for (int64_t i = 0; i < n; i++) {
        y[i] = expf(x[i] - shift);
        sum += y[i];
    }
    return sum;
}

// The largest of n floats (-inf for none); NaNs are skipped, which softmax's exp(x - max) then
// turns into a NaN row as it should.
EMBER_KERNEL_BODY float max_body(const float *x, int64_t n) {
    float lanes[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int lane = 0; lane < 8; lane++) lanes[lane] = x[i + lane] > lanes[lane] ? x[i + lane] : lanes[lane];
    float best = -INFINITY;
    for (; i < n; i++) best = x[i] > best ? x[i] : best;
    for (int lane = 0; lane < 8; lane++) best = lanes[lane] > best ? lanes[lane] : best;
    return best;
}

#if EMBER_HAS_AVX2_FMA_BUILD
EMBER_AVX2_FMA float max_avx2_fma(const float *x, int64_t n) { return max_body(x, n); }
#endif

float ember_max_f32(const float *x, int64_t n) {
    float best;
    EMBER_DISPATCH(best = max_avx2_fma(x, n), best = max_body(x, n));
    return best;
}

#if EMBER_HAS_AVX2_FMA_BUILD && defined(__linux__)
#include <dlfcn.h>
#include <immintrin.h>
#include <pthread.h>

// libmvec's AVX2 variants (vector ABI names: d = AVX2, N8 = eight lanes, v = one vector argument).
// Each takes eight floats in ymm0 and returns eight in ymm0; C never calls one directly (see map_blocks).
typedef void (*vector_function)(void);
static vector_function vector_exp, vector_log, vector_tanh, vector_erf, vector_sin, vector_cos, vector_log1p;
static pthread_once_t vector_library_once = PTHREAD_ONCE_INIT;

static void open_vector_library(void) {
    if (!ember_cpu_has_avx2_fma()) return;
    void *library = dlopen("libmvec.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) return;
    vector_exp = (vector_function)dlsym(library, "_ZGVdN8v_expf");
    vector_log = (vector_function)dlsym(library, "_ZGVdN8v_logf");
    vector_tanh = (vector_function)dlsym(library, "_ZGVdN8v_tanhf");
    vector_erf = (vector_function)dlsym(library, "_ZGVdN8v_erff");
    vector_sin = (vector_function)dlsym(library, "_ZGVdN8v_sinf");
    vector_cos = (vector_function)dlsym(library, "_ZGVdN8v_cosf");
    vector_log1p = (vector_function)dlsym(library, "_ZGVdN8v_log1pf");
}

// Per thread, so that a test of the fallback leaves other threads' results alone.
static _Thread_local int vector_disabled;

void ember_vector_math_set_enabled(int enabled) { vector_disabled = !enabled; }

// The libmvec function that is `function` itself, or NULL for the ones composed of several below.
static vector_function direct_function(ember_math_function function) {
    switch (function) {
    case EMBER_MATH_EXP: return vector_exp;
    case EMBER_MATH_LOG: return vector_log;
    case EMBER_MATH_TANH: return vector_tanh;
    case EMBER_MATH_ERF: return vector_erf;
    case EMBER_MATH_SIN: return vector_sin;
    case EMBER_MATH_COS: return vector_cos;
    case EMBER_MATH_LOG1P: return vector_log1p;
    default: return NULL;
    }
}

// Whether libmvec has every function `function` is computed with (and it is not switched off).
static int vector_ready(ember_math_function function) {
    pthread_once(&vector_library_once, open_vector_library);
    if (vector_disabled) return 0;
    switch (function) {
    case EMBER_MATH_SIGMOID: return vector_exp != NULL;
    case EMBER_MATH_GELU: return vector_erf != NULL;
    case EMBER_MATH_GELU_DERIVATIVE: return vector_erf != NULL && vector_exp != NULL;
    default: return direct_function(function) != NULL;
    }
}

// out[8i ..< 8i+8] = f(in[8i ..< 8i+8]) for i < blocks. In assembly because libmvec passes its vector
// in ymm0, and this file is compiled for baseline x86-64 (AVX2 only per function), where C would
// pass a 256-bit argument through memory. Four callee-saved registers hold the loop's state across
// the calls; with the 8 bytes subtracted, the stack is 16-byte aligned at each call.
__attribute__((naked)) static void map_blocks(vector_function f, const float *in, float *out, int64_t blocks) {
    __asm__ volatile(
        "push %r12\n\t"
        "push %r13\n\t"
        "push %r14\n\t"
        "push %r15\n\t"
        "sub $8, %rsp\n\t"
        "mov %rdi, %r12\n\t"
        "mov %rsi, %r13\n\t"
        "mov %rdx, %r14\n\t"
        "mov %rcx, %r15\n\t"
        "test %r15, %r15\n\t"
        "jle 2f\n"
        "1:\n\t"
        "vmovups (%r13), %ymm0\n\t"
        "call *%r12\n\t"
        "vmovups %ymm0, (%r14)\n\t"
        "add $32, %r13\n\t"
        "add $32, %r14\n\t"
        "dec %r15\n\t"
        "jnz 1b\n"
        "2:\n\t"
        "vzeroupper\n\t"
        "add $8, %rsp\n\t"
        "pop %r15\n\t"
        "pop %r14\n\t"
        "pop %r13\n\t"
        "pop %r12\n\t"
        "ret\n");
}

// y = f(x) for n floats (x and y may be the same): whole blocks in place, the last n % 8 through a
// zero-padded block.
static void map_function(vector_function f, const float *x, float *y, int64_t n) {
    int64_t whole = n / 8 * 8;
    map_blocks(f, x, y, n / 8);
    if (whole < n) {
        float in[8] = {0}, out[8];
        memcpy(in, x + whole, (size_t)(n - whole) * sizeof(float));
        map_blocks(f, in, out, 1);
        memcpy(y + whole, out, (size_t)(n - whole) * sizeof(float));
    }
}

// The composed functions go a stretch at a time through buffers that stay in L1, with the
// arithmetic around the libmvec calls in plain loops compiled for AVX2 and FMA.
#define STRETCH 512

EMBER_AVX2_FMA void map_composed(ember_math_function function, const float *x, float *y, int64_t n) {
    float a[STRETCH], b[STRETCH];
    for (int64_t start = 0; start < n; start += STRETCH) {
        int64_t m = n - start < STRETCH ? n - start : STRETCH;
        const float *xs = x + start;
        float *ys = y + start;
        switch (function) {
        case EMBER_MATH_SIGMOID:  // exp(-x) overflows to inf for x < -88, giving 1/inf = 0, as libm does
            for (int64_t i = 0; i < m; i++) a[i] = -xs[i];
            map_function(vector_exp, a, a, m);
            for (int64_t i = 0; i < m; i++) ys[i] = 1.0f / (1.0f + a[i]);
            break;
        case EMBER_MATH_GELU:
            for (int64_t i = 0; i < m; i++) a[i] = xs[i] * 0.70710678118654752f;
            map_function(vector_erf, a, a, m);
            for (int64_t i = 0; i < m; i++) ys[i] = 0.5f * xs[i] * (1.0f + a[i]);
            break;
        case EMBER_MATH_GELU_DERIVATIVE:
            for (int64_t i = 0; i < m; i++) {
                a[i] = xs[i] * 0.70710678118654752f;
                b[i] = -0.5f * xs[i] * xs[i];
            }
            map_function(vector_erf, a, a, m);
            map_function(vector_exp, b, b, m);
            for (int64_t i = 0; i < m; i++) ys[i] = 0.5f * (1.0f + a[i]) + xs[i] * b[i] * 0.39894228040143268f;
            break;
        default:
            break;
        }
    }
}

static void map_vector(ember_math_function function, const float *x, float *y, int64_t n) {
    vector_function f = direct_function(function);
    if (f) map_function(f, x, y, n);
    else map_composed(function, x, y, n);
}

EMBER_AVX2_FMA float exp_sum_vector(const float *x, float *y, int64_t n, float shift) {
    float a[STRETCH];
    __m256 sum = _mm256_setzero_ps();
    float tail = 0;
    for (int64_t start = 0; start < n; start += STRETCH) {
        int64_t m = n - start < STRETCH ? n - start : STRETCH;
        for (int64_t i = 0; i < m; i++) a[i] = x[start + i] - shift;
        map_function(vector_exp, a, y + start, m);
        int64_t i = 0;
        for (; i + 8 <= m; i += 8) sum = _mm256_add_ps(sum, _mm256_loadu_ps(y + start + i));
        for (; i < m; i++) tail += y[start + i];
    }
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    half = _mm_add_ss(half, _mm_movehdup_ps(half));
    return _mm_cvtss_f32(half) + tail;
}

void ember_math_f32(ember_math_function function, const float *x, float *y, int64_t n) {
    if (vector_ready(function)) map_vector(function, x, y, n);
    else map_scalar(function, x, y, n);
}

float ember_exp_sum_f32(const float *x, float *y, int64_t n, float shift) {
    return vector_ready(EMBER_MATH_EXP) ? exp_sum_vector(x, y, n, shift) : exp_sum_scalar(x, y, n, shift);
}

int ember_vector_math_available(ember_math_function function) { return vector_ready(function); }

#else

void ember_math_f32(ember_math_function function, const float *x, float *y, int64_t n) {
    map_scalar(function, x, y, n);
}

float ember_exp_sum_f32(const float *x, float *y, int64_t n, float shift) { return exp_sum_scalar(x, y, n, shift); }

int ember_vector_math_available(ember_math_function function) {
    (void)function;
    return 0;
}

void ember_vector_math_set_enabled(int enabled) { (void)enabled; }

#endif
