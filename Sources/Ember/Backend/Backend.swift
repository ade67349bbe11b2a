/// The contract between tensors and hardware.
///
/// Tensor ops and autograd never touch memory directly: they describe work as a few dozen primitives
/// over `StridedView`s and call the backend of their inputs' device. A backend (CPU on BLAS today,
/// CUDA later) implements exactly this protocol; nothing above it changes when one is added.
///
/// Conventions: every primitive writes a new contiguous `Storage` that it allocates itself (except the
/// in-place ones, which say so). Shapes are already checked by the caller; a backend may assume them
/// valid. Inputs may be strided unless a parameter is documented as contiguous.
public protocol Backend: AnyObject {
    var device: Device { get }

    // MARK: Memory
    /// Uninitialized memory for `count` elements of `dtype`.
    func allocate(count: Int, dtype: DType) -> Storage
    /// A contiguous copy of `view` (the way a strided view is materialized).
    func copy(_ view: StridedView) -> Storage
    /// A contiguous copy of `view` converted to `dtype`.
    func convert(_ view: StridedView, to dtype: DType) -> Storage
    /// Writes `view`'s elements into `destination` (in place; same shape, may be strided).
    func copy(_ view: StridedView, into destination: StridedView)
    /// Fills `count` elements of a contiguous storage with `value`.
    func fill(_ storage: Storage, count: Int, dtype: DType, value: Double)
    /// Copies host values into a contiguous storage.
    func upload(_ values: UnsafeRawBufferPointer, into storage: Storage)
    /// Copies `view`'s elements, row-major, into host memory (waiting for queued work first).
    func download(_ view: StridedView, into destination: UnsafeMutableRawPointer)
    /// Waits until all queued work has finished (a no-op for backends that run synchronously).
    func synchronize()

    // MARK: Element-wise
    /// `op(x)` element by element.
    func unary(_ op: UnaryOp, _ x: StridedView) -> Storage
    /// `op(a, b)` element by element; `a` and `b` are already broadcast to `shape`.
    func binary(_ op: BinaryOp, _ a: StridedView, _ b: StridedView, shape: [Int]) -> Storage
    /// `condition != 0 ? a : b`, all three broadcast to `shape`.
    func select(_ condition: StridedView, _ a: StridedView, _ b: StridedView, shape: [Int]) -> Storage
    /// In place: `target = op(target, source)`; `source` is broadcast to target's shape.
    func binaryInPlace(_ op: BinaryOp, _ target: StridedView, _ source: StridedView)

    // MARK: Reductions
    /// Reduces the middle axis of a contiguous [outer, size, inner] array to [outer, inner].
    func reduce(_ op: ReduceOp, _ x: StridedView, outer: Int, size: Int, inner: Int) -> Storage
    /// Max or min over the middle axis of a contiguous [outer, size, inner] array:
    /// values (float32) and their indices (int64).
    func reduceWithIndices(_ op: ReduceOp, _ x: StridedView, outer: Int, size: Int, inner: Int)
        -> (values: Storage, indices: Storage)

    // MARK: Linear algebra
    /// Batched `alpha * op(a) @ op(b) + beta * c`, where each operand is [batch, rows, cols]
    /// (batch stride 0 broadcasts) and `bias`, if any, is a contiguous row vector added to every row.
    func matmul(_ a: StridedView, _ b: StridedView, bias: StridedView?, batch: Int, m: Int, n: Int, k: Int) -> Storage

    // MARK: Softmax family (last dimension of a contiguous [rows, cols] array)
    func softmax(_ x: StridedView, rows: Int, cols: Int, log: Bool) -> Storage
    /// Gradient of softmax (`log` false) or log-softmax (`log` true) from the output `y` and `grad`.
    func softmaxBackward(_ y: StridedView, _ grad: StridedView, rows: Int, cols: Int, log: Bool) -> Storage

    /// Layer normalization of each row of [rows, cols]: (x − mean)·rstd·weight + bias (weight and bias
    /// [cols], each optional), rstd = 1/√(biased variance + eps); also each row's mean and rstd [rows],
    /// kept for backward.
    func layerNorm(_ x: StridedView, weight: StridedView?, bias: StridedView?, rows: Int, cols: Int, eps: Float)
        -> (output: Storage, mean: Storage, rstd: Storage)
    /// Its gradients: the input's [rows, cols] and, with `parameterGrads`, the weight's and the bias's [cols].
    func layerNormBackward(_ grad: StridedView, _ x: StridedView, mean: StridedView, rstd: StridedView,
                           weight: StridedView?, rows: Int, cols: Int, parameterGrads: Bool)
        -> (input: Storage, weight: Storage?, bias: Storage?)

    /// Cross-entropy of each row of contiguous logits [rows, cols] against int64 class indices [rows]:
    /// per-row losses (0 where the target is `ignoreIndex`) and the rows' softmax, kept for backward.
    /// A target outside 0..<cols (other than `ignoreIndex`) stops with a message naming it.
    func crossEntropy(_ logits: StridedView, targets: StridedView, rows: Int, cols: Int, ignoreIndex: Int)
        -> (losses: Storage, softmax: Storage)
    /// The mean of per-row `losses` [rows] over the rows whose target is not `ignoreIndex`, and the
    /// number of those rows: two float32 scalars, left on the device (cross-entropy's `.mean`).
    func crossEntropyMean(_ losses: StridedView, targets: StridedView, rows: Int, ignoreIndex: Int)
        -> (mean: Storage, kept: Storage)
    /// Its gradient: (softmax − onehot(target)) · grad[row] (a one-element `grad` serves every row),
    /// divided by `divisor` (a scalar) when given; zero rows where the target is `ignoreIndex`.
    func crossEntropyBackward(softmax: StridedView, targets: StridedView, grad: StridedView, divisor: StridedView?,
                              rows: Int, cols: Int, ignoreIndex: Int) -> Storage

    // MARK: Indexing (contiguous [outer, size, inner] arrays; indices are int64)
    /// `out[o, j, i] = x[o, indices[j], i]`.
    func indexSelect(_ x: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int) -> Storage
    /// The adjoint of indexSelect: `out[o, indices[j], i] += g[o, j, i]`, with out sized [outer, size, inner].
    func indexAdd(_ g: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int) -> Storage
    /// `out[o, j, i] = x[o, indices[o, j, i], i]` where x is [outer, size, inner] and indices [outer, picks, inner].
    func gather(_ x: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int, picks: Int) -> Storage
    /// The adjoint of gather: zeros of [outer, size, inner] with `g` added at the indices.
    func scatterAdd(_ g: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int, picks: Int) -> Storage
    /// A copy of `base` [outer, size, inner] with `src` [outer, picks, inner] written at the indices:
    /// `out[o, indices[o, j, i], i] = src[o, j, i]` (of repeated indices, one write wins).
    func scatter(_ base: StridedView, _ src: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int,
                 picks: Int) -> Storage

    // MARK: Convolution and pooling (contiguous NCHW)
    /// Unfolds the sliding windows of a contiguous [N, C, H, W] input into columns
    /// [C·kh·kw, N·outH·outW] (zeros where a window covers padding): row (c, ki, kj) holds that
    /// kernel tap's input for every output position of image 0, then image 1, ... Batch-inner, so a
    /// convolution's weight and input gradients are single GEMMs over the whole batch, and image n's
    /// columns are a strided block (leading dimension N·outH·outW) for the forward product.
    func im2col(_ x: StridedView, _ geometry: ConvGeometry) -> Storage
    /// The adjoint of im2col: sums columns [C·kh·kw, N·outH·outW] back into a [N, C, H, W] image.
    func col2im(_ columns: StridedView, _ geometry: ConvGeometry) -> Storage
    /// A whole convolution in the backend's own kernels, or nil where it has none and the convolution
    /// runs as im2col and matmul. `x` and `weight` [out, C/groups, kh, kw] are views of any strides; the output is [N, out, outH, outW];
    /// `keepColumns` also returns the unfolded input, in a layout of the backend's choosing, for
    /// `conv2dBackward`'s weight gradient.
    func conv2d(_ x: StridedView, weight: StridedView, bias: StridedView?, _ geometry: ConvGeometry, groups: Int,
                keepColumns: Bool) -> (output: Storage, columns: Storage?)?
    /// Its gradients from the output's `grad` [N, out, outH, outW]: the input's (when `inputGrad`) and
    /// the weight's (when the `columns` kept by `conv2d` are given). nil where `conv2d` is.
    func conv2dBackward(_ grad: StridedView, weight: StridedView, columns: Storage?, _ geometry: ConvGeometry, groups: Int,
                        inputGrad: Bool) -> (input: Storage?, weight: Storage?)?
    /// Max over each window of a contiguous [N, C, H, W] input (padding counts as −∞): values
    /// [N, C, outH, outW] and int64 indices of the winners into each H·W plane.
    func maxPool2d(_ x: StridedView, _ geometry: ConvGeometry) -> (values: Storage, indices: Storage)

    // MARK: Recurrent layers (float32; operands of any strides)
    /// One direction of one LSTM layer over packed steps in the backend's own kernels, or nil where
    /// it has none and the layer runs step by step as composed ops. `projected` [N, 4·hidden] is
    /// W_ih·x + b_ih for every step (`batchSizes[t]` rows at step t, longest first), `h0` and `c0`
    /// [batchSizes[0], hidden] the initial states, `weightHH` [4·hidden, hidden]. The output is
    /// [N + 2·batchSizes[0], hidden]: every step's h, then each sequence's final h and final c.
    /// `keep` also returns what `lstmBackward` needs.
    func lstm(_ projected: StridedView, h0: StridedView, c0: StridedView, weightHH: StridedView, biasHH: StridedView?,
              batchSizes: [Int], reverse: Bool, keep: Bool) -> (output: Storage, saved: RecurrentSaved?)?
    /// Its backward from the output's `grad` [N + 2·batchSizes[0], hidden]: the gradient of the
    /// gates' pre-activations [N, 4·hidden] (which is `projected`'s gradient and gives the weight
    /// and bias gradients), and of `h0` and `c0`. nil where `lstm` is.
    func lstmBackward(_ grad: StridedView, saved: RecurrentSaved, weightHH: StridedView, batchSizes: [Int],
                      reverse: Bool) -> (gates: Storage, h0: Storage, c0: Storage)?
    /// One direction of one GRU layer the same way (`weightHH` [3·hidden, hidden]); the output is
    /// [N + batchSizes[0], hidden]: every step's h, then each sequence's final h.
    func gru(_ projected: StridedView, h0: StridedView, weightHH: StridedView, biasHH: StridedView?,
             batchSizes: [Int], reverse: Bool, keep: Bool) -> (output: Storage, saved: RecurrentSaved?)?
    /// Its backward: the gradients of `projected` and of the hidden gates W_hh·h + b_hh (each
    /// [N, 3·hidden]; the second gives the weight and bias gradients), and of `h0`.
    func gruBackward(_ grad: StridedView, saved: RecurrentSaved, weightHH: StridedView, batchSizes: [Int],
                     reverse: Bool) -> (projected: Storage, hiddenGates: Storage, h0: Storage)?

    // MARK: Sampling (contiguous float32 [N, C, H, W] input and [N, Ho, Wo, 2] grid)
    /// The input read at each grid point: [N, C, Ho, Wo], with `F.grid_sample`'s arithmetic (see
    /// `gridSample` for the rules at borders and for non-finite points).
    func gridSample2d(_ input: StridedView, grid: StridedView, _ g: GridSampleGeometry) -> Storage
    /// Its gradients from the output's `grad` [N, C, Ho, Wo]: the input's (when `inputGrad`) and the
    /// grid's (when `gridGrad`; zeros for nearest sampling).
    func gridSample2dBackward(_ grad: StridedView, input: StridedView, grid: StridedView, _ g: GridSampleGeometry,
                              inputGrad: Bool, gridGrad: Bool) -> (input: Storage?, grid: Storage?)

    // MARK: Optimizer updates (in place, contiguous float32 buffers of one size)
    /// One Adam/AdamW step: updates `parameter`, `expAvg`, `expAvgSq` (and `maxExpAvgSq` for AMSGrad)
    /// from `grad` in a single pass, with `torch.optim.Adam`'s arithmetic.
    func adamStep(parameter: StridedView, grad: StridedView, expAvg: StridedView, expAvgSq: StridedView,
                  maxExpAvgSq: StridedView?, _ hyper: AdamHyperparameters)
    /// One Adam/AdamW step over several parameters at once (a single launch on a GPU). Each one's
    /// `step` counter is incremented first and its new value gives the bias corrections (`hyper.step`
    /// is not used), so the whole update stays on the device and a captured CUDA graph replays it right.
    func adamStep(_ parameters: [AdamParameterViews], _ hyper: AdamHyperparameters)

    // MARK: Random numbers (contiguous; filled from Ember's seeded generator on the host)
    func uniform(_ storage: Storage, count: Int, low: Float, high: Float, generator: RandomGenerator)
    /// Fills a contiguous float32 storage with a dropout mask: `scale` with probability 1 − p, else 0.
    func dropoutMask(_ storage: Storage, count: Int, p: Float, scale: Float, generator: RandomGenerator)
    func normal(_ storage: Storage, count: Int, mean: Float, std: Float, generator: RandomGenerator)
}

/// What a fused recurrent layer keeps for its backward pass. LSTM: `gates` [N, 4·hidden], the
/// activations σ(i), σ(f), tanh(g), σ(o) of every step; `states` [3, N, hidden], each step's h and c
/// before it and tanh of its new c. GRU: `gates` [2, N, 3·hidden], the activations r, z, n and the
/// hidden gates W_hh·h + b_hh; `states` [N, hidden], each step's h before it.
public struct RecurrentSaved {
    public let gates: Storage
    public let states: Storage

    public init(gates: Storage, states: Storage) {
        self.gates = gates
        self.states = states
    }
}

extension Backend {
    /// No fused LSTM or GRU: the layers run step by step as composed ops.
    public func lstm(_ projected: StridedView, h0: StridedView, c0: StridedView, weightHH: StridedView,
                     biasHH: StridedView?, batchSizes: [Int], reverse: Bool, keep: Bool) -> (output: Storage, saved: RecurrentSaved?)? {
        nil
    }
    public func lstmBackward(_ grad: StridedView, saved: RecurrentSaved, weightHH: StridedView, batchSizes: [Int],
                             reverse: Bool) -> (gates: Storage, h0: Storage, c0: Storage)? { nil }
    public func gru(_ projected: StridedView, h0: StridedView, weightHH: StridedView, biasHH: StridedView?,
                    batchSizes: [Int], reverse: Bool, keep: Bool) -> (output: Storage, saved: RecurrentSaved?)? { nil }
    public func gruBackward(_ grad: StridedView, saved: RecurrentSaved, weightHH: StridedView, batchSizes: [Int],
                            reverse: Bool) -> (projected: Storage, hiddenGates: Storage, h0: Storage)? { nil }
}

extension Backend {
    /// No convolution kernels of its own: im2col and matmul do the work.
    public func conv2d(_ x: StridedView, weight: StridedView, bias: StridedView?, _ geometry: ConvGeometry, groups: Int,
                       keepColumns: Bool) -> (output: Storage, columns: Storage?)? { nil }
    public func conv2dBackward(_ grad: StridedView, weight: StridedView, columns: Storage?, _ geometry: ConvGeometry,
                               groups: Int, inputGrad: Bool) -> (input: Storage?, weight: Storage?)? { nil }
}

/// Element-wise functions of one tensor.
public enum UnaryOp: Equatable, Sendable {
    case neg, exp, log, sqrt, rsqrt, abs, sign, square, reciprocal
    case relu, sigmoid, tanh, gelu, softplus(beta: Float, threshold: Float), leakyRelu(slope: Float)
    /// x · sigmoid(x) (swish)
    case silu
    /// x where x > 0, else alpha · (exp(x) − 1)
    case elu(alpha: Float)
    case sin, cos, tan, atan, erf, log1p, expm1
    /// The inverse of erf on (−1, 1).
    case erfinv
    /// Inverse trigonometric, hyperbolic and inverse hyperbolic functions.
    case asin, acos, sinh, cosh, asinh, acosh, atanh
    /// Logarithms and powers in bases 2 and 10.
    case log2, log10, exp2
    /// log |Γ(x)|, its derivative ψ(x), and ψ's n-th derivative (n ≥ 1).
    case lgamma, digamma, polygamma(Int)
    /// Rounding to integers: half to even (like torch.round), down, up, toward zero.
    case round, floor, ceil, trunc
    case addScalar(Float), mulScalar(Float), powScalar(Float), rsubScalar(Float), rdivScalar(Float)
    case clamp(min: Float, max: Float)
    /// 1 where x > threshold else 0 (dropout masks, ReLU derivative).
    case greaterThan(Float)
}

/// Element-wise functions of two tensors (after broadcasting). The `...Backward` cases compute an
/// op's input gradient in one pass from (upstream gradient, saved tensor).
public enum BinaryOp: Equatable, Sendable {
    case add, sub, mul, div, pow, maximum, minimum
    /// atan(a / b) in the quadrant of (b, a); √(a² + b²) without overflow; |a| with b's sign.
    case atan2, hypot, copysign
    /// a − trunc(a / b)·b (C's fmod, the sign of a); the same with the sign of b (Python's %);
    /// a / b rounded down (Python's //).
    case fmod, remainder, floorDivide
    /// Comparisons give 1 or 0 as float32.
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    /// (g, x) → g * 1[x > 0]
    case reluBackward
    /// (g, x) → g * (x > 0 ? 1 : slope)
    case leakyReluBackward(slope: Float)
    /// (g, y) → g * y * (1 - y) with y = sigmoid(x)
    case sigmoidBackward
    /// (g, y) → g * (1 - y²) with y = tanh(x)
    case tanhBackward
    /// (g, x) → g * gelu'(x)
    case geluBackward
    /// (g, x) → g * sigmoid(beta x) (identity above the threshold)
    case softplusBackward(beta: Float, threshold: Float)
    /// (g, x) → g where min ≤ x ≤ max, else 0
    case clampBackward(min: Float, max: Float)
    /// (g, x) → g * s (1 + x (1 − s)) with s = sigmoid(x)
    case siluBackward
    /// (g, x) → g where x > 0, else g * alpha * exp(x)
    case eluBackward(alpha: Float)
    /// (x, y) → a·x + b·y: in place, one pass for `add_(y, alpha:)`, `lerp_` and the optimizers'
    /// running averages (m = β·m + (1 − β)·g).
    case linearCombination(a: Float, b: Float)
}

extension BinaryOp {
    /// The comparisons, which give float32 0/1 whatever their operands' dtype.
    public var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return true
        default: return false
        }
    }
}

public enum ReduceOp: Sendable {
    case sum, max, min
}

/// Sizes of a 2-D sliding-window op (convolution or pooling) over an [N, C, H, W] input.
public struct ConvGeometry: Equatable, Sendable {
    public var batch: Int, channels: Int, height: Int, width: Int
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padH: Int, padW: Int
    public var dilationH: Int, dilationW: Int
    /// Pooling's `ceil_mode`: a last window that starts inside the input or its leading padding counts
    /// even when it runs past the end (the kernels test every window's bounds then).
    public var ceilMode = false

    public init(batch: Int, channels: Int, height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int),
                padding: (Int, Int), dilation: (Int, Int)) {
        self.batch = batch; self.channels = channels; self.height = height; self.width = width
        (kernelH, kernelW) = kernel
        (strideH, strideW) = stride
        (padH, padW) = padding
        (dilationH, dilationW) = dilation
    }

    public var outHeight: Int {
        Self.outputSize(height, kernel: kernelH, stride: strideH, padding: padH, dilation: dilationH, ceilMode: ceilMode)
    }
    public var outWidth: Int {
        Self.outputSize(width, kernel: kernelW, stride: strideW, padding: padW, dilation: dilationW, ceilMode: ceilMode)
    }

    /// The number of windows along one dim, by PyTorch's rule (`pooling_output_shape`); below 1 when
    /// the window does not fit (in ceil mode it may run up to stride − 1 past the padded input).
    public static func outputSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool) -> Int {
        let span = size + 2 * padding - dilation * (kernel - 1) - 1
        func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
        guard ceilMode else { return floorDivide(span, stride) + 1 }
        let count = floorDivide(span + stride - 1, stride) + 1
        // The last window must start inside the input or its leading padding.
        return count > 0 && (count - 1) * stride >= size + padding ? count - 1 : count
    }
}

/// Sizes and rules of a 2-D grid sample: input [batch, channels, height, width] read at the points of a
/// grid [batch, outHeight, outWidth, 2].
public struct GridSampleGeometry: Equatable, Sendable {
    public var batch: Int, channels: Int, height: Int, width: Int
    public var outHeight: Int, outWidth: Int
    public var mode: GridSampleMode
    public var padding: GridSamplePadding
    public var alignCorners: Bool

    public init(batch: Int, channels: Int, height: Int, width: Int, outHeight: Int, outWidth: Int, mode: GridSampleMode,
                padding: GridSamplePadding, alignCorners: Bool) {
        self.batch = batch; self.channels = channels; self.height = height; self.width = width
        self.outHeight = outHeight; self.outWidth = outWidth
        self.mode = mode; self.padding = padding; self.alignCorners = alignCorners
    }

    /// Grid points per image.
    public var points: Int { outHeight * outWidth }
}

/// The scalars of one Adam step (bias corrections already folded in).
/// The buffers of one parameter in a multi-parameter Adam step: contiguous float32 views of the
/// parameter's shape, and `step`, its float32 scalar step counter.
public struct AdamParameterViews {
    public var parameter, grad, expAvg, expAvgSq: StridedView
    public var maxExpAvgSq: StridedView?
    public var step: StridedView

    public init(parameter: StridedView, grad: StridedView, expAvg: StridedView, expAvgSq: StridedView,
                maxExpAvgSq: StridedView?, step: StridedView) {
        self.parameter = parameter; self.grad = grad; self.expAvg = expAvg; self.expAvgSq = expAvgSq
        self.maxExpAvgSq = maxExpAvgSq; self.step = step
    }
}

public struct AdamHyperparameters: Sendable {
    public var lr: Float, beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    /// AdamW: decay the weights directly instead of adding weightDecay·p to the gradient.
    public var decoupledWeightDecay: Bool
    /// 1-based step count, for the bias corrections.
    public var step: Int

    public init(lr: Float, beta1: Float, beta2: Float, eps: Float, weightDecay: Float, decoupledWeightDecay: Bool, step: Int) {
        self.lr = lr; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        self.weightDecay = weightDecay; self.decoupledWeightDecay = decoupledWeightDecay; self.step = step
    }

    /// lr / (1 − β1ᵗ), computed in double with pow, like PyTorch's Python scalars (`beta1 ** step`).
    public var stepSize: Float {
        Float(Double(lr) / (1 - _pow(Double(beta1), Double(step))))
    }

    /// √(1 − β2ᵗ).
    public var biasCorrection2Sqrt: Float {
        Float((1 - _pow(Double(beta2), Double(step))).squareRoot())
    }
}
