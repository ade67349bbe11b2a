/// The CUDA C source of every kernel the CUDA backend launches. NVRTC compiles it once per process,
/// for the GPU's own compute capability, the first time a CUDA tensor is made.
///
/// Conventions shared with the Swift side (`CUDAKernelArguments`):
/// - integers are `long long` (i64) and structs hold only i64, so the parameter buffer built in Swift
///   has C's layout without padding rules to get wrong;
/// - strided operands are described by one `Shape` (the merged output dims) and one `Strides` per
///   operand; rank 0 means "contiguous, index directly";
/// - op codes are the `code` values of `UnaryOp` / `BinaryOp` in `CUDAOpCodes.swift`;
/// - a kernel that meets a bad index (out of range, a cross-entropy target) records it in `err`
///   (kind, value, bound) instead of trapping; the host reports it at its next synchronisation.
let cudaKernelSource = #"""
typedef long long i64;
typedef unsigned long long u64;
#define MAXD 8
struct Shape { i64 rank; i64 size[MAXD]; };
struct Strides { i64 s[MAXD]; };

extern "C" {

__device__ __forceinline__ i64 offsetOf(i64 i, const Shape& sh, const Strides& st) {
    if (sh.rank == 0) return i;
    i64 off = 0;
    for (int d = (int)sh.rank - 1; d >= 0; --d) {
        i64 q = i / sh.size[d];
        off += (i - q * sh.size[d]) * st.s[d];
        i = q;
    }
    return off;
}

__device__ void reportError(i64* err, i64 kind, i64 value, i64 bound) {
    if (atomicCAS((u64*)err, 0ull, (u64)kind) == 0ull) { err[1] = value; err[2] = bound; }
}

#define GRID_LOOP(i, n) for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < (n); i += (i64)blockDim.x * gridDim.x)

/// ψ(x) and ψ⁽ⁿ⁾(x) as the CPU computes them (GammaFunctions.swift): Cephes' algorithms in double.
__device__ double digammaOf(double x) {
    if (x == 0.0) return copysign(__longlong_as_double(0x7ff0000000000000ll), -x);
    double result = 0.0;
    if (x < 0.0) {
        if (x == trunc(x)) return __longlong_as_double(0x7ff8000000000000ll);
        result = -3.14159265358979323846 / tan(3.14159265358979323846 * (x - trunc(x)));
        x = 1.0 - x;
    }
    while (x < 10.0) { result -= 1.0 / x; x += 1.0; }
    if (x == 10.0) return result + 2.25175258906672110764;
    double series = 0.0;
    if (x < 1e17) {
        const double c[7] = {8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
                             -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
                             8.33333333333333333333e-2};
        double z = 1.0 / (x * x), p = 0.0;
        for (int i = 0; i < 7; ++i) p = p * z + c[i];
        series = z * p;
    }
    return result + log(x) - 0.5 / x - series;
}

__device__ double hurwitzZeta(double s, double q) {
    const double eps = 1.11022302462515654042e-16;
    const double inf = __longlong_as_double(0x7ff0000000000000ll), nan = __longlong_as_double(0x7ff8000000000000ll);
    if (s == 1.0) return inf;
    if (s < 1.0) return nan;
    if (q == inf) return 0.0;
    if (q <= 0.0) {
        if (q == floor(q)) return inf;
        if (s != floor(s)) return nan;
    }
    double sum = pow(q, -s), a = q, term = 0.0;
    int i = 0;
    while (i < 9 || a <= 9.0) {
        i += 1; a += 1.0;
        term = pow(a, -s);
        sum += term;
        if (fabs(term) < eps * fabs(sum)) return sum;
    }
    double w = a;
    sum += term * w / (s - 1.0) - 0.5 * term;
    const double d[12] = {12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
                          -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
                          1.8152105401943546773e17, -7.1661652561756670113e18};
    double factor = 1.0, k = 0.0;
    for (int j = 0; j < 12; ++j) {
        factor *= s + k; term /= w;
        double t = factor * term / d[j];
        sum += t;
        if (fabs(t / sum) < eps) return sum;
        k += 1.0; factor *= s + k; term /= w; k += 1.0;
    }
    return sum;
}

__device__ double polygammaOf(int n, double x) {
    if (n == 1 && x < 0.0 && x != floor(x)) {   // trigamma by reflection, as on the CPU
        double s = sin(3.14159265358979323846 * (x - floor(x)));
        return 3.14159265358979323846 * 3.14159265358979323846 / (s * s) - hurwitzZeta(2.0, 1.0 - x);
    }
    double factorial = 1.0;
    for (int i = 2; i <= n; ++i) factorial *= i;
    return (n % 2 == 0 ? -1.0 : 1.0) * factorial * hurwitzZeta(n + 1.0, x);
}

__device__ __forceinline__ float unaryOp(int op, float x, float p1, float p2) {
    switch (op) {
    case 0: return -x;
    case 1: return expf(x);
    case 2: return logf(x);
    case 3: return sqrtf(x);
    case 4: return 1.0f / sqrtf(x);
    case 5: return fabsf(x);
    case 6: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
    case 7: return x * x;
    case 8: return 1.0f / x;
    case 9: return x > 0.0f ? x : 0.0f;
    case 10: return 1.0f / (1.0f + expf(-x));
    case 11: return tanhf(x);
    case 12: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case 13: return x * p1 > p2 ? x : log1pf(expf(x * p1)) / p1;
    case 14: return x > 0.0f ? x : x * p1;
    case 15: return sinf(x);
    case 16: return cosf(x);
    case 17: return x + p1;
    case 18: return x * p1;
    case 19: return p1 == 2.0f ? x * x : (p1 == 0.5f ? sqrtf(x) : powf(x, p1));
    case 20: return p1 - x;
    case 21: return p1 / x;
    case 22: return x < p1 ? p1 : (x > p2 ? p2 : x);
    case 23: return x > p1 ? 1.0f : 0.0f;
    case 24: return x / (1.0f + expf(-x));
    case 25: return x > 0.0f ? x : p1 * expm1f(x);
    case 26: return rintf(x);
    case 27: return floorf(x);
    case 28: return ceilf(x);
    case 29: return truncf(x);
    case 30: return log1pf(x);
    case 31: return expm1f(x);
    case 32: return erff(x);
    case 33: return atanf(x);
    case 34: return tanf(x);
    case 35: return erfinvf(x);
    case 36: return asinf(x);
    case 37: return acosf(x);
    case 38: return sinhf(x);
    case 39: return coshf(x);
    case 40: return asinhf(x);
    case 41: return acoshf(x);
    case 42: return atanhf(x);
    case 43: return log2f(x);
    case 44: return log10f(x);
    case 45: return exp2f(x);
    case 46: return lgammaf(x);
    case 47: return (float)digammaOf((double)x);
    case 48: return (float)polygammaOf((int)p1, (double)x);
    }
    return 0.0f;
}

/// Python's a // b for floats, as PyTorch computes it: from fmod, so that a = b·(a // b) + a % b holds
/// where a / b would round up to the next integer.
__device__ __forceinline__ float floorDivide(float a, float b) {
    if (b == 0.0f) return a / b;
    float m = fmodf(a, b);
    float q = (a - m) / b;
    if (m != 0.0f && ((b < 0.0f) != (m < 0.0f))) q -= 1.0f;
    if (q == 0.0f) return copysignf(0.0f, a / b);
    float f = floorf(q);
    return q - f > 0.5f ? f + 1.0f : f;
}

__device__ __forceinline__ float binaryOp(int op, float a, float b, float p1, float p2) {
    switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return powf(a, b);
    case 5: return (isnan(a) || isnan(b)) ? __int_as_float(0x7fc00000) : fmaxf(a, b);
    case 6: return (isnan(a) || isnan(b)) ? __int_as_float(0x7fc00000) : fminf(a, b);
    case 7: return a == b ? 1.0f : 0.0f;
    case 8: return a != b ? 1.0f : 0.0f;
    case 9: return a < b ? 1.0f : 0.0f;
    case 10: return a <= b ? 1.0f : 0.0f;
    case 11: return a > b ? 1.0f : 0.0f;
    case 12: return a >= b ? 1.0f : 0.0f;
    case 13: return b > 0.0f ? a : 0.0f;
    case 14: return b > 0.0f ? a : a * p1;
    case 15: return a * b * (1.0f - b);
    case 16: return a * (1.0f - b * b);
    case 17: {
        float cdf = 0.5f * (1.0f + erff(b * 0.70710678118654752f));
        float pdf = expf(-0.5f * b * b) * 0.39894228040143268f;
        return a * (cdf + b * pdf);
    }
    case 18: return b * p1 > p2 ? a : a / (1.0f + expf(-b * p1));
    case 19: return (b >= p1 && b <= p2) ? a : 0.0f;
    case 20: {
        float s = 1.0f / (1.0f + expf(-b));
        return a * s * (1.0f + b * (1.0f - s));
    }
    case 21: return b > 0.0f ? a : a * p1 * expf(b);
    case 22: return p1 * a + p2 * b;
    case 23: return atan2f(a, b);
    case 24: return hypotf(a, b);
    case 25: return copysignf(a, b);
    case 26: return fmodf(a, b);
    case 27: {
        float m = fmodf(a, b);
        return (m != 0.0f && ((b < 0.0f) != (m < 0.0f))) ? m + b : m;
    }
    case 28: return floorDivide(a, b);
    }
    return 0.0f;
}

// MARK: memory

__global__ void fill_f32(float* y, i64 n, float value) { GRID_LOOP(i, n) y[i] = value; }
__global__ void fill_i64(i64* y, i64 n, i64 value) { GRID_LOOP(i, n) y[i] = value; }

__global__ void copy_b4(unsigned* d, const unsigned* s, i64 n, Shape sh, Strides sd, Strides ss) {
    GRID_LOOP(i, n) d[offsetOf(i, sh, sd)] = s[offsetOf(i, sh, ss)];
}
__global__ void copy_b8(u64* d, const u64* s, i64 n, Shape sh, Strides sd, Strides ss) {
    GRID_LOOP(i, n) d[offsetOf(i, sh, sd)] = s[offsetOf(i, sh, ss)];
}

__global__ void convert_i64_f32(float* y, const i64* x, i64 n) { GRID_LOOP(i, n) y[i] = (float)x[i]; }
__global__ void convert_f32_i64(i64* y, const float* x, i64 n) { GRID_LOOP(i, n) y[i] = (i64)x[i]; }

/// Every row of y [rows, cols] = bias (the prefill of a linear layer's output before a beta=1 GEMM).
__global__ void broadcast_rows(float* y, const float* bias, i64 rows, i64 cols, i64 biasStride) {
    GRID_LOOP(i, rows * cols) y[i] = bias[(i % cols) * biasStride];
}

// MARK: element-wise

__global__ void unary_f32(float* y, const float* x, i64 n, Shape sh, Strides sx, int op, float p1, float p2) {
    GRID_LOOP(i, n) y[i] = unaryOp(op, x[offsetOf(i, sh, sx)], p1, p2);
}

__global__ void binary_f32(float* y, const float* a, const float* b, i64 n, Shape sh, Strides sa, Strides sb,
                           int op, float p1, float p2) {
    GRID_LOOP(i, n) y[i] = binaryOp(op, a[offsetOf(i, sh, sa)], b[offsetOf(i, sh, sb)], p1, p2);
}

/// int64 arithmetic (y int64) or comparison (y float32, op 7...12).
__global__ void binary_i64(void* y, const i64* a, const i64* b, i64 n, Shape sh, Strides sa, Strides sb, int op) {
    GRID_LOOP(i, n) {
        i64 u = a[offsetOf(i, sh, sa)], v = b[offsetOf(i, sh, sb)];
        if (op >= 7 && op <= 12) {
            bool r = op == 7 ? u == v : op == 8 ? u != v : op == 9 ? u < v : op == 10 ? u <= v : op == 11 ? u > v : u >= v;
            ((float*)y)[i] = r ? 1.0f : 0.0f;
        } else {
            i64 r = 0;
            switch (op) {
            case 0: r = (i64)((u64)u + (u64)v); break;
            case 1: r = (i64)((u64)u - (u64)v); break;
            case 2: r = (i64)((u64)u * (u64)v); break;
            // v = -1 first: INT64_MIN / -1 and INT64_MIN % -1 overflow (0 - u wraps, as on the CPU).
            case 3: r = v == 0 ? 0 : v == -1 ? (i64)(0ull - (u64)u) : u / v; break;
            case 26: r = (v == 0 || v == -1) ? 0 : u % v; break;
            case 27: r = (v == 0 || v == -1) ? 0 : u % v; if (r != 0 && ((r < 0) != (v < 0))) r += v; break;
            case 28:
                if (v == 0) r = 0;
                else if (v == -1) r = (i64)(0ull - (u64)u);
                else { r = u / v; if (u % v != 0 && ((u < 0) != (v < 0))) r -= 1; }
                break;
            case 5: r = u > v ? u : v; break;
            case 6: r = u < v ? u : v; break;
            }
            ((i64*)y)[i] = r;
        }
    }
}

__global__ void binary_inplace_f32(float* t, const float* s, i64 n, Shape sh, Strides st, Strides ss,
                                   int op, float p1, float p2) {
    GRID_LOOP(i, n) {
        float* p = t + offsetOf(i, sh, st);
        *p = binaryOp(op, *p, s[offsetOf(i, sh, ss)], p1, p2);
    }
}

__global__ void select_f32(float* y, const float* c, const float* a, const float* b, i64 n, Shape sh,
                           Strides sc, Strides sa, Strides sb) {
    GRID_LOOP(i, n) y[i] = c[offsetOf(i, sh, sc)] != 0.0f ? a[offsetOf(i, sh, sa)] : b[offsetOf(i, sh, sb)];
}

// MARK: reductions

__device__ __forceinline__ float combine(int op, float a, float b) {
    if (op == 0) return a + b;
    if (isnan(a) || isnan(b)) return __int_as_float(0x7fc00000);
    return op == 1 ? fmaxf(a, b) : fminf(a, b);
}

__device__ __forceinline__ float identityOf(int op) {
    return op == 0 ? 0.0f : (op == 1 ? -__int_as_float(0x7f800000) : __int_as_float(0x7f800000));
}

/// One block per row of x [rows, size]: the block's threads stride over the row, then combine
/// through shared memory. op: 0 sum, 1 max, 2 min.
__global__ void reduce_rows(float* y, const float* x, i64 rows, i64 size, int op) {
    __shared__ float partial[256];
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* row = x + r * size;
        float acc = identityOf(op);
        for (i64 j = threadIdx.x; j < size; j += blockDim.x) acc = combine(op, acc, row[j]);
        partial[threadIdx.x] = acc;
        __syncthreads();
        for (int width = blockDim.x / 2; width > 0; width /= 2) {
            if (threadIdx.x < width) partial[threadIdx.x] = combine(op, partial[threadIdx.x], partial[threadIdx.x + width]);
            __syncthreads();
        }
        if (threadIdx.x == 0) y[r] = partial[0];
        __syncthreads();
    }
}

/// x [outer, size, inner] reduced over size, in tiles of 32 neighbouring outputs (threadIdx.x, so
/// reads are coalesced). Each of a block's 8 rows of threads (threadIdx.y) takes every 8th j, then
/// the rows combine through shared memory: a bias gradient ([64, 256] over 64) is 8 blocks of
/// short loops instead of one block of long ones.
__global__ void reduce_cols(float* y, const float* x, i64 outer, i64 size, i64 inner, int op) {
    __shared__ float partial[8][33];
    const i64 tiles = (inner + 31) / 32;
    for (i64 tile = blockIdx.x; tile < outer * tiles; tile += gridDim.x) {
        const i64 o = tile / tiles, i = (tile - o * tiles) * 32 + threadIdx.x;
        float acc = identityOf(op);
        if (i < inner) {
            const float* p = x + o * size * inner + i;
            for (i64 j = threadIdx.y; j < size; j += 8) acc = combine(op, acc, p[j * inner]);
        }
        partial[threadIdx.y][threadIdx.x] = acc;
        __syncthreads();
        if (threadIdx.y == 0 && i < inner) {
            for (int r = 1; r < 8; r++) acc = combine(op, acc, partial[r][threadIdx.x]);
            y[o * inner + i] = acc;
        }
        __syncthreads();
    }
}

/// Max (op 1) or min (op 2) with the index of the first winner; a NaN wins at once.
__global__ void reduce_index(float* values, i64* indices, const float* x, i64 outer, i64 size, i64 inner, int op) {
    GRID_LOOP(k, outer * inner) {
        i64 o = k / inner, i = k - o * inner;
        const float* p = x + o * size * inner + i;
        float best = p[0];
        i64 bestIndex = 0;
        for (i64 j = 1; j < size && !isnan(best); j++) {
            float c = p[j * inner];
            if (isnan(c) || (op == 1 ? c > best : c < best)) { best = c; bestIndex = j; }
        }
        values[k] = best;
        indices[k] = bestIndex;
    }
}

// MARK: softmax family (one block per row; blockDim a power of two, at most 256)

__device__ float blockReduce(float v, int op, float* scratch) {
    scratch[threadIdx.x] = v;
    __syncthreads();
    for (int width = blockDim.x / 2; width > 0; width /= 2) {
        if (threadIdx.x < width) scratch[threadIdx.x] = combine(op, scratch[threadIdx.x], scratch[threadIdx.x + width]);
        __syncthreads();
    }
    float r = scratch[0];
    __syncthreads();
    return r;
}

/// The row's maximum m and Σ exp(x − m), shared by the block's threads.
__device__ void rowMaxAndExpSum(const float* xr, i64 cols, float* scratch, float& m, float& s) {
    m = -__int_as_float(0x7f800000);
    for (i64 j = threadIdx.x; j < cols; j += blockDim.x) m = fmaxf(m, xr[j]);
    m = blockReduce(m, 1, scratch);
    s = 0.0f;
    for (i64 j = threadIdx.x; j < cols; j += blockDim.x) s += expf(xr[j] - m);
    s = blockReduce(s, 0, scratch);
}

__global__ void softmax_rows(float* y, const float* x, i64 rows, i64 cols, int logOutput) {
    __shared__ float scratch[256];
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * cols;
        float* yr = y + r * cols;
        float m, s;
        rowMaxAndExpSum(xr, cols, scratch, m, s);
        if (logOutput) {
            float shift = m + logf(s);
            for (i64 j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = xr[j] - shift;
        } else {
            float scale = 1.0f / s;
            for (i64 j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = expf(xr[j] - m) * scale;
        }
    }
}

__global__ void softmax_backward_rows(float* dx, const float* y, const float* g, i64 rows, i64 cols, int logOutput) {
    __shared__ float scratch[256];
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* yr = y + r * cols;
        const float* gr = g + r * cols;
        float* dr = dx + r * cols;
        float s = 0.0f;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) s += logOutput ? gr[j] : gr[j] * yr[j];
        s = blockReduce(s, 0, scratch);
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x)
            dr[j] = logOutput ? gr[j] - expf(yr[j]) * s : yr[j] * (gr[j] - s);
    }
}

// MARK: layer normalization (one block per row; the parameter gradients one thread per column)

/// y = (x − mean)·rstd·w + b per row (w, b used when hasWeight/hasBias), and each row's mean and rstd.
__global__ void layer_norm_rows(float* y, float* mean, float* rstd, const float* x, const float* w, const float* b,
                                i64 rows, i64 cols, float eps, int hasWeight, int hasBias) {
    __shared__ float scratch[256];
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * cols;
        float* yr = y + r * cols;
        float s = 0.0f;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) s += xr[j];
        float m = blockReduce(s, 0, scratch) / (float)cols;
        float q = 0.0f;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) q += (xr[j] - m) * (xr[j] - m);
        float rs = rsqrtf(blockReduce(q, 0, scratch) / (float)cols + eps);
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
            float v = (xr[j] - m) * rs;
            if (hasWeight) v *= w[j];
            if (hasBias) v += b[j];
            yr[j] = v;
        }
        if (threadIdx.x == 0) { mean[r] = m; rstd[r] = rs; }
    }
}

/// dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) per row, with ĝ = g·w and x̂ = (x − mean)·rstd.
__global__ void layer_norm_backward_rows(float* dx, const float* g, const float* x, const float* mean, const float* rstd,
                                         const float* w, i64 rows, i64 cols, int hasWeight) {
    __shared__ float scratch[256];
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* gr = g + r * cols;
        const float* xr = x + r * cols;
        float* dr = dx + r * cols;
        float m = mean[r], rs = rstd[r];
        float gs = 0.0f, gxs = 0.0f;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
            float gw = hasWeight ? gr[j] * w[j] : gr[j];
            gs += gw;
            gxs += gw * (xr[j] - m) * rs;
        }
        float a = blockReduce(gs, 0, scratch) / (float)cols;
        float c = blockReduce(gxs, 0, scratch) / (float)cols;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
            float gw = hasWeight ? gr[j] * w[j] : gr[j];
            dr[j] = rs * (gw - a - (xr[j] - m) * rs * c);
        }
    }
}

/// dw[j] = Σ_rows g·x̂ and db[j] = Σ_rows g: blocks of 32 columns × 8 row lanes (as reduce_cols), each
/// lane summing every eighth row, the lanes combined in shared memory.
__global__ void layer_norm_param_grads(float* dw, float* db, const float* g, const float* x, const float* mean,
                                       const float* rstd, i64 rows, i64 cols) {
    __shared__ float partialW[8][33], partialB[8][33];
    for (i64 tile = blockIdx.x; tile < (cols + 31) / 32; tile += gridDim.x) {
        const i64 j = tile * 32 + threadIdx.x;
        float sw = 0.0f, sb = 0.0f;
        if (j < cols) {
            for (i64 r = threadIdx.y; r < rows; r += 8) {
                float gv = g[r * cols + j];
                sw += gv * (x[r * cols + j] - mean[r]) * rstd[r];
                sb += gv;
            }
        }
        partialW[threadIdx.y][threadIdx.x] = sw;
        partialB[threadIdx.y][threadIdx.x] = sb;
        __syncthreads();
        if (threadIdx.y == 0 && j < cols) {
            for (int k = 1; k < 8; k++) { sw += partialW[k][threadIdx.x]; sb += partialB[k][threadIdx.x]; }
            dw[j] = sw;
            db[j] = sb;
        }
        __syncthreads();
    }
}

/// Per-row loss −log softmax(x)[target] (0 for ignoreIndex) and the row's softmax, kept for backward.
__global__ void cross_entropy_rows(float* loss, float* prob, const float* x, const i64* targets, i64 rows, i64 cols,
                                   i64 ignoreIndex, i64* err) {
    __shared__ float scratch[256];
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * cols;
        float* pr = prob + r * cols;
        float m, s;
        rowMaxAndExpSum(xr, cols, scratch, m, s);
        float scale = 1.0f / s;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) pr[j] = expf(xr[j] - m) * scale;
        if (threadIdx.x == 0) {
            i64 t = targets[r];
            if (t == ignoreIndex) {
                loss[r] = 0.0f;
            } else if (t < 0 || t >= cols) {
                reportError(err, 2, t, cols);
                loss[r] = __int_as_float(0x7fc00000);
            } else {
                loss[r] = logf(s) + m - xr[t];
            }
        }
    }
}

/// The mean of the rows' losses over the rows whose target is not ignoreIndex, and their count:
/// one block (the reduction of cross-entropy's mean, which backward divides by the count).
__global__ void cross_entropy_mean(float* mean, float* kept, const float* loss, const i64* targets, i64 rows,
                                   i64 ignoreIndex) {
    __shared__ float sums[256], counts[256];
    float sum = 0.0f, count = 0.0f;
    for (i64 r = threadIdx.x; r < rows; r += blockDim.x) {
        if (targets[r] != ignoreIndex) { sum += loss[r]; count += 1.0f; }
    }
    sums[threadIdx.x] = sum;
    counts[threadIdx.x] = count;
    __syncthreads();
    for (int width = blockDim.x / 2; width > 0; width /= 2) {
        if (threadIdx.x < width) {
            sums[threadIdx.x] += sums[threadIdx.x + width];
            counts[threadIdx.x] += counts[threadIdx.x + width];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) { mean[0] = sums[0] / counts[0]; kept[0] = counts[0]; }
}

/// dx = (prob - onehot(target)) * g[r] (divided by *divisor, the kept count of a mean, when given).
__global__ void cross_entropy_backward(float* dx, const float* prob, const i64* targets, const float* g, i64 gStride,
                                       const float* divisor, i64 rows, i64 cols, i64 ignoreIndex) {
    GRID_LOOP(k, rows * cols) {
        i64 r = k / cols, j = k - r * cols;
        i64 t = targets[r];
        float scale = divisor ? g[r * gStride] / divisor[0] : g[r * gStride];
        dx[k] = t == ignoreIndex ? 0.0f : prob[k] * scale - (j == t ? scale : 0.0f);
    }
}

// MARK: indexing ([outer, size, inner] arrays; bad indices are reported, their outputs zeroed)

__device__ __forceinline__ bool checkIndex(i64 v, i64 size, i64* err) {
    if (v < 0 || v >= size) { reportError(err, 1, v, size); return false; }
    return true;
}

__global__ void index_select_b4(unsigned* y, const unsigned* x, const i64* idx, i64 outer, i64 size, i64 inner,
                                i64 picks, i64* err) {
    GRID_LOOP(k, outer * picks * inner) {
        i64 i = k % inner, j = (k / inner) % picks, o = k / (inner * picks);
        i64 s = idx[j];
        y[k] = checkIndex(s, size, err) ? x[(o * size + s) * inner + i] : 0u;
    }
}
__global__ void index_select_b8(u64* y, const u64* x, const i64* idx, i64 outer, i64 size, i64 inner,
                                i64 picks, i64* err) {
    GRID_LOOP(k, outer * picks * inner) {
        i64 i = k % inner, j = (k / inner) % picks, o = k / (inner * picks);
        i64 s = idx[j];
        y[k] = checkIndex(s, size, err) ? x[(o * size + s) * inner + i] : 0ull;
    }
}

/// y (zeroed) [outer, size, inner] += g [outer, picks, inner] at idx[j].
__global__ void index_add_f32(float* y, const float* g, const i64* idx, i64 outer, i64 size, i64 inner, i64 picks,
                              i64* err) {
    GRID_LOOP(k, outer * picks * inner) {
        i64 i = k % inner, j = (k / inner) % picks, o = k / (inner * picks);
        i64 t = idx[j];
        if (checkIndex(t, size, err)) atomicAdd(y + (o * size + t) * inner + i, g[k]);
    }
}

/// Of repeated indices one store wins (PyTorch leaves which one unspecified too).
__global__ void scatter_f32(float* y, const float* src, const i64* idx, i64 outer, i64 size, i64 inner, i64 picks,
                            i64* err) {
    GRID_LOOP(k, outer * picks * inner) {
        i64 i = k % inner, o = k / (inner * picks);
        i64 t = idx[k];
        if (checkIndex(t, size, err)) y[(o * size + t) * inner + i] = src[k];
    }
}

__global__ void gather_f32(float* y, const float* x, const i64* idx, i64 outer, i64 size, i64 inner, i64 picks,
                           i64* err) {
    GRID_LOOP(k, outer * picks * inner) {
        i64 i = k % inner, o = k / (inner * picks);
        i64 s = idx[k];
        y[k] = checkIndex(s, size, err) ? x[(o * size + s) * inner + i] : 0.0f;
    }
}

__global__ void scatter_add_f32(float* y, const float* g, const i64* idx, i64 outer, i64 size, i64 inner, i64 picks,
                                i64* err) {
    GRID_LOOP(k, outer * picks * inner) {
        i64 i = k % inner, o = k / (inner * picks);
        i64 t = idx[k];
        if (checkIndex(t, size, err)) atomicAdd(y + (o * size + t) * inner + i, g[k]);
    }
}

// MARK: convolution and pooling (NCHW; geometry as i64s)

struct Geometry { i64 n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow; };

/// columns [C·kh·kw, N·oh·ow], batch-inner, zeros where a window covers padding.
__global__ void im2col_f32(float* cols, const float* x, Geometry g) {
    i64 plane = g.oh * g.ow, width = g.n * plane;
    GRID_LOOP(k, g.c * g.kh * g.kw * width) {
        i64 row = k / width, col = k - row * width;
        i64 n = col / plane, p = col - n * plane, oy = p / g.ow, ox = p - oy * g.ow;
        i64 c = row / (g.kh * g.kw), ki = (row / g.kw) % g.kh, kj = row % g.kw;
        i64 iy = oy * g.sh - g.ph + ki * g.dh, ix = ox * g.sw - g.pw + kj * g.dw;
        cols[k] = (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) ? x[((n * g.c + c) * g.h + iy) * g.w + ix] : 0.0f;
    }
}

/// The adjoint: each image pixel sums the column entries that read it (no atomics needed).
__global__ void col2im_f32(float* x, const float* cols, Geometry g) {
    i64 plane = g.oh * g.ow, width = g.n * plane;
    GRID_LOOP(k, g.n * g.c * g.h * g.w) {
        i64 ix = k % g.w, iy = (k / g.w) % g.h, c = (k / (g.w * g.h)) % g.c, n = k / (g.w * g.h * g.c);
        float acc = 0.0f;
        for (i64 ki = 0; ki < g.kh; ki++) {
            i64 ty = iy + g.ph - ki * g.dh;
            if (ty < 0 || ty % g.sh != 0) continue;
            i64 oy = ty / g.sh;
            if (oy >= g.oh) continue;
            for (i64 kj = 0; kj < g.kw; kj++) {
                i64 tx = ix + g.pw - kj * g.dw;
                if (tx < 0 || tx % g.sw != 0) continue;
                i64 ox = tx / g.sw;
                if (ox >= g.ow) continue;
                i64 row = (c * g.kh + ki) * g.kw + kj;
                acc += cols[row * width + n * plane + oy * g.ow + ox];
            }
        }
        x[k] = acc;
    }
}

/// Window maxima (padding is −∞) and the winners' indices into each H·W plane; a larger value or any
/// NaN takes over (the first maximum wins, or the last NaN), as on the CPU and in PyTorch.
__global__ void max_pool2d_f32(float* values, i64* indices, const float* x, Geometry g) {
    GRID_LOOP(k, g.n * g.c * g.oh * g.ow) {
        i64 ox = k % g.ow, oy = (k / g.ow) % g.oh, plane = k / (g.ow * g.oh);
        const float* image = x + plane * g.h * g.w;
        float best = -__int_as_float(0x7f800000);
        i64 bestIndex = -1;
        for (i64 ki = 0; ki < g.kh; ki++) {
            i64 iy = oy * g.sh - g.ph + ki * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            for (i64 kj = 0; kj < g.kw; kj++) {
                i64 jx = ox * g.sw - g.pw + kj * g.dw;
                if (jx < 0 || jx >= g.w) continue;
                float c = image[iy * g.w + jx];
                if (c > best || bestIndex < 0 || isnan(c)) { best = c; bestIndex = iy * g.w + jx; }
            }
        }
        values[k] = best;
        indices[k] = bestIndex;
    }
}

// MARK: grid sampling (input NCHW, grid [N, Ho, Wo, 2]; the CPU's arithmetic in CPUSampling.swift)

/// padding: 0 zeros, 1 border, 2 reflection.
struct SampleGeometry { i64 n, c, h, w, oh, ow, bilinear, padding, align; };

/// `p` clamped to [0, last] (NaN to 0), keeping the slope only strictly inside.
__device__ __forceinline__ float clipPosition(float p, float last, float* slope) {
    if (p > 0.0f && p < last) return p;
    *slope = 0.0f;
    return isnan(p) ? 0.0f : fminf(fmaxf(p, 0.0f), last);
}

/// A grid coordinate in [-1, 1] as a pixel position after the padding's folding; *slope is
/// d position / d coordinate.
__device__ float sourcePosition(float coord, i64 size, i64 padding, i64 align, float* slope) {
    float last = (float)(size - 1), p;
    if (align) { p = __fmul_rn(__fadd_rn(coord, 1.0f), last / 2.0f); *slope = last / 2.0f; }
    else { p = __fdiv_rn(__fsub_rn(__fmul_rn(__fadd_rn(coord, 1.0f), (float)size), 1.0f), 2.0f); *slope = (float)size / 2.0f; }
    if (padding == 0) return p;
    if (padding == 1) return clipPosition(p, last, slope);
    float low = align ? 0.0f : -0.5f, span = align ? last : (float)size;
    if (!(span > 0.0f)) { *slope = 0.0f; return 0.0f; }
    float offset = p - low, distance = fabsf(offset);
    if (!(offset > 0.0f)) *slope = offset < 0.0f ? -*slope : 0.0f;
    float flips = floorf(distance / span), extra = __fsub_rn(distance, __fmul_rn(flips, span));
    if (extra < 0.0f) { extra += span; flips -= 1.0f; } else if (extra >= span) { extra -= span; flips += 1.0f; }
    if (flips - floorf(flips / 2.0f) * 2.0f == 0.0f) p = extra + low;
    else { p = (span - extra) + low; *slope = -*slope; }
    return clipPosition(p, last, slope);
}

/// Where one grid point reads: the north-west, north-east, south-west and south-east neighbours
/// (offsets valid where inside) with their bilinear weights, or the nearest pixel in slot 0.
struct Tap { i64 off[4]; bool in[4]; float wt[4]; float east, south, dx, dy; };

__device__ Tap makeTap(const SampleGeometry& g, float gx, float gy) {
    Tap t;
    float x = sourcePosition(gx, g.w, g.padding, g.align, &t.dx), y = sourcePosition(gy, g.h, g.padding, g.align, &t.dy);
    float lastX = (float)(g.w - 1), lastY = (float)(g.h - 1);
    for (int k = 0; k < 4; k++) { t.off[k] = 0; t.in[k] = false; t.wt[k] = 0.0f; }
    t.east = 0.0f; t.south = 0.0f;
    if (!g.bilinear) {
        float xi = rintf(x), yi = rintf(y);   // halves to even
        t.in[0] = xi >= 0.0f && xi <= lastX && yi >= 0.0f && yi <= lastY;
        if (t.in[0]) t.off[0] = (i64)yi * g.w + (i64)xi;
        return t;
    }
    float x0 = floorf(x), y0 = floorf(y);
    float e = x - x0, s = y - y0;
    t.east = e; t.south = s;
    t.wt[0] = __fmul_rn(1.0f - s, 1.0f - e); t.wt[1] = __fmul_rn(1.0f - s, e);
    t.wt[2] = __fmul_rn(s, 1.0f - e); t.wt[3] = __fmul_rn(s, e);
    // x0 + 1 <= last as x0 < last: past 2^24 pixels, x0 + 1 would round back to x0 in float.
    bool west = x0 >= 0.0f && x0 <= lastX, eastIn = x0 >= -1.0f && x0 < lastX;
    bool north = y0 >= 0.0f && y0 <= lastY, southIn = y0 >= -1.0f && y0 < lastY;
    t.in[0] = north && west; t.in[1] = north && eastIn; t.in[2] = southIn && west; t.in[3] = southIn && eastIn;
    if (t.in[0] || t.in[1] || t.in[2] || t.in[3]) {
        i64 col = (i64)fmaxf(x0, -1.0f), row = (i64)fmaxf(y0, -1.0f);
        t.off[0] = row * g.w + col; t.off[1] = t.off[0] + 1; t.off[2] = t.off[0] + g.w; t.off[3] = t.off[2] + 1;
    }
    return t;
}

/// Outside neighbours read 0 but keep their weight: a non-finite weight gives NaN, as in PyTorch.
__device__ __forceinline__ float tapRead(const Tap& t, const float* plane, i64 bilinear) {
    if (!bilinear) return t.in[0] ? plane[t.off[0]] : 0.0f;
    float acc = 0.0f;
    for (int k = 0; k < 4; k++) acc = __fadd_rn(acc, __fmul_rn(t.in[k] ? plane[t.off[k]] : 0.0f, t.wt[k]));
    return acc;
}

__global__ void grid_sample2d_f32(float* out, const float* x, const float* grid, SampleGeometry g) {
    i64 points = g.oh * g.ow, plane = g.h * g.w;
    GRID_LOOP(k, g.n * points) {
        i64 n = k / points, p = k - n * points;
        Tap t = makeTap(g, grid[2 * k], grid[2 * k + 1]);
        const float* image = x + n * g.c * plane;
        float* target = out + n * g.c * points + p;
        for (i64 c = 0; c < g.c; c++) target[c * points] = tapRead(t, image + c * plane, g.bilinear);
    }
}

/// dx (zeroed before, or null) gets each point's gradient added at its neighbours; dgrid (or null)
/// gets d/d grid (zero for nearest sampling).
__global__ void grid_sample2d_backward_f32(float* dx, float* dgrid, const float* grad, const float* x, const float* grid,
                                           SampleGeometry g) {
    i64 points = g.oh * g.ow, plane = g.h * g.w;
    GRID_LOOP(k, g.n * points) {
        i64 n = k / points, p = k - n * points;
        Tap t = makeTap(g, grid[2 * k], grid[2 * k + 1]);
        float sx = 0.0f, sy = 0.0f;
        for (i64 c = 0; c < g.c; c++) {
            float go = grad[(n * g.c + c) * points + p];
            i64 base = (n * g.c + c) * plane;
            if (dx) {
                if (!g.bilinear) { if (t.in[0]) atomicAdd(dx + base + t.off[0], go); }
                else for (int j = 0; j < 4; j++) if (t.in[j]) atomicAdd(dx + base + t.off[j], go * t.wt[j]);
            }
            if (dgrid && g.bilinear) {
                const float* image = x + base;
                float a = t.in[0] ? image[t.off[0]] : 0.0f, b = t.in[1] ? image[t.off[1]] : 0.0f;
                float c2 = t.in[2] ? image[t.off[2]] : 0.0f, d = t.in[3] ? image[t.off[3]] : 0.0f;
                sx += go * ((b - a) * (1.0f - t.south) + (d - c2) * t.south);
                sy += go * ((c2 - a) * (1.0f - t.east) + (d - b) * t.east);
            }
        }
        if (dgrid) { dgrid[2 * k] = g.bilinear ? sx * t.dx : 0.0f; dgrid[2 * k + 1] = g.bilinear ? sy * t.dy : 0.0f; }
    }
}

// MARK: optimizers

/// torch.optim.Adam / AdamW arithmetic for element i, in the same order as the CPU kernel (ember_adam_f32).
__device__ __forceinline__ void adamElement(i64 i, float* param, const float* grad, float* expAvg, float* expAvgSq,
                                            float* maxExpAvgSq, float beta1, float beta2, float eps, float stepSize,
                                            float bc2Sqrt, float decay, float coupled) {
    float p = param[i] * decay;
    float g = grad[i] + coupled * p;
    float m = expAvg[i] + (g - expAvg[i]) * (1.0f - beta1);
    float v = expAvgSq[i] * beta2 + (1.0f - beta2) * g * g;
    expAvg[i] = m;
    expAvgSq[i] = v;
    if (maxExpAvgSq) { v = fmaxf(maxExpAvgSq[i], v); maxExpAvgSq[i] = v; }
    param[i] = p - stepSize * (m / (sqrtf(v) / bc2Sqrt + eps));
}

__global__ void adam_f32(float* param, const float* grad, float* expAvg, float* expAvgSq, float* maxExpAvgSq, i64 n,
                         float beta1, float beta2, float eps, float stepSize, float bc2Sqrt, float decay, float coupled) {
    GRID_LOOP(i, n) {
        adamElement(i, param, grad, expAvg, expAvgSq, maxExpAvgSq, beta1, beta2, eps, stepSize, bc2Sqrt, decay, coupled);
    }
}

/// Up to ADAM_LIST parameters of one optimizer step, passed by value (PyTorch's multi-tensor apply).
/// Parameter t gets blocks firstBlock[t] ..< firstBlock[t + 1] of the launch.
#define ADAM_LIST 12
struct AdamList {
    i64 count;
    i64 n[ADAM_LIST];
    i64 firstBlock[ADAM_LIST + 1];
    float* param[ADAM_LIST]; const float* grad[ADAM_LIST]; float* expAvg[ADAM_LIST]; float* expAvgSq[ADAM_LIST];
    float* maxExpAvgSq[ADAM_LIST]; float* step[ADAM_LIST];
};

/// adam_f32 over every parameter of the list, counting its step on the device so that a replayed
/// graph uses each step's own count. Each block's first thread computes the bias corrections for
/// step + 1 (in float, like PyTorch's capturable Adam); the last block of a parameter to finish
/// (counted in `arrivals`, zero between launches) stores the new count, once every block of it
/// has read the old one.
__global__ void adam_foreach_f32(AdamList list, unsigned* arrivals, float lr, float beta1, float beta2, float eps,
                                 float decay, float coupled) {
    int t = 0;
    while (t + 1 < list.count && blockIdx.x >= list.firstBlock[t + 1]) t++;
    const i64 block = blockIdx.x - list.firstBlock[t], blocks = list.firstBlock[t + 1] - list.firstBlock[t];
    __shared__ float corrections[2];
    if (threadIdx.x == 0) {
        const float step = list.step[t][0] + 1.0f;
        corrections[0] = lr / (1.0f - powf(beta1, step));
        corrections[1] = sqrtf(1.0f - powf(beta2, step));
    }
    __syncthreads();
    const float stepSize = corrections[0], bc2Sqrt = corrections[1];
    float* param = list.param[t]; const float* grad = list.grad[t];
    float* expAvg = list.expAvg[t]; float* expAvgSq = list.expAvgSq[t]; float* maxExpAvgSq = list.maxExpAvgSq[t];
    for (i64 i = block * blockDim.x + threadIdx.x; i < list.n[t]; i += blocks * blockDim.x) {
        adamElement(i, param, grad, expAvg, expAvgSq, maxExpAvgSq, beta1, beta2, eps, stepSize, bc2Sqrt, decay, coupled);
    }
    if (threadIdx.x == 0) {
        __threadfence();
        if (atomicAdd(&arrivals[t], 1u) == blocks - 1) {
            list.step[t][0] += 1.0f;
            arrivals[t] = 0u;
        }
    }
}

}
"""#
