/// Element-wise math of one tensor, each with its derivative next to it.
extension Tensor {
    /// Applies a unary kernel and records `derivative(g, x, y)` as its backward, where x is the input
    /// (saved when `savesInput`) and y the output (saved when `savesOutput`).
    func unaryOp(_ op: UnaryOp, name: String, savesInput: Bool = false, savesOutput: Bool = false,
                 _ derivative: @escaping (Tensor, Tensor?, Tensor?) -> Tensor) -> Tensor {
        let out = Tensor.result(backend.unary(op, view), shape: shape)
        let x: Tensor? = savesInput ? self : nil
        let y: Tensor? = savesOutput ? out.detach() : nil
        return out.recording(name, inputs: [self], saving: [x, y].compactMap { $0 }) { g in [derivative(g, x, y?.reattached())] }
    }

    /// Applies `backwardOp(g, saved)` as one fused kernel (activation backward passes); under
    /// `createGraph`, as g times the derivative written with differentiable ops.
    func fusedBackward(_ op: BinaryOp, _ g: Tensor, _ saved: Tensor) -> Tensor {
        guard GradMode.isEnabled else { return g.broadcastBinary(op, saved, name: "backward") }
        return g * Tensor.derivative(op, saved)
    }

    /// The derivative a fused backward op multiplies by, from the saved input x or output y.
    private static func derivative(_ op: BinaryOp, _ s: Tensor) -> Tensor {
        switch op {
        case .reluBackward: return s.gt(0)
        case .leakyReluBackward(let slope): return s.gt(0) * (1 - slope) + slope
        case .sigmoidBackward: return s * (1 - s)
        case .tanhBackward: return 1 - s * s
        case .clampBackward(let lo, let hi): return s.ge(lo) * s.le(hi)
        case .softplusBackward(let beta, let threshold):
            let above = (s * beta).gt(threshold)
            return above + (1 - above) * (s * beta).sigmoid()
        case .siluBackward:
            let sig = s.sigmoid()
            return sig * (1 + s * (1 - sig))
        case .eluBackward(let alpha):
            let positive = s.gt(0)
            return positive + (1 - positive) * s.clamp(max: 0).exp() * alpha
        case .geluBackward:
            // Φ(x) + x·φ(x) by the kernel; its own derivative φ(x)·(2 − x²) composed.
            let value = Tensor.ones([], device: s.device).broadcastBinary(.geluBackward, s, name: "gelu")
            return value.recording("geluDerivative", inputs: [s]) { g in
                [g * (s.square() * -0.5).exp() * 0.3989422804014327 * (2 - s.square())]
            }
        default:
            fatalError("Ember: \(op) is not the backward op of an activation")
        }
    }

    public func exp() -> Tensor { unaryOp(.exp, name: "exp", savesOutput: true) { g, _, y in g * y! } }
    public func log() -> Tensor { unaryOp(.log, name: "log", savesInput: true) { g, x, _ in g / x! } }
    public func sqrt() -> Tensor { unaryOp(.sqrt, name: "sqrt", savesOutput: true) { g, _, y in g / (y! * 2) } }
    public func rsqrt() -> Tensor {
        unaryOp(.rsqrt, name: "rsqrt", savesOutput: true) { g, _, y in g * y!.pow(3) * -0.5 }
    }
    public func abs() -> Tensor { unaryOp(.abs, name: "abs", savesInput: true) { g, x, _ in g * x!.sign() } }
    /// The gradient of a piecewise-constant op: zeros, or under `createGraph` zeros recorded from `g`
    /// (a gradient without a graph there would look like a fused kernel's).
    fileprivate func zeroGradient() -> Tensor { GradMode.isEnabled ? self * 0 : Tensor.zeros(like: self) }

    /// −1, 0 or 1 by sign (zero gradient).
    public func sign() -> Tensor { unaryOp(.sign, name: "sign") { g, _, _ in g.zeroGradient() } }
    public func square() -> Tensor { unaryOp(.square, name: "square", savesInput: true) { g, x, _ in g * x! * 2 } }
    public func reciprocal() -> Tensor {
        unaryOp(.reciprocal, name: "reciprocal", savesOutput: true) { g, _, y in -(g * y! * y!) }
    }
    public func sin() -> Tensor { unaryOp(.sin, name: "sin", savesInput: true) { g, x, _ in g * x!.cos() } }
    public func cos() -> Tensor { unaryOp(.cos, name: "cos", savesInput: true) { g, x, _ in -(g * x!.sin()) } }
    public func tan() -> Tensor { unaryOp(.tan, name: "tan", savesOutput: true) { g, _, y in g * (y!.square() + 1) } }
    public func atan() -> Tensor { unaryOp(.atan, name: "atan", savesInput: true) { g, x, _ in g / (x!.square() + 1) } }
    /// The error function, 2/√π ∫₀ˣ e^(−t²) dt.
    public func erf() -> Tensor {
        unaryOp(.erf, name: "erf", savesInput: true) { g, x, _ in g * (-x!.square()).exp() * 1.1283791670955126 }
    }
    /// The inverse error function on (−1, 1), like `torch.erfinv`: erf(erfinv(x)) = x, ±∞ at ±1.
    /// With it uniform draws become normal ones (√2·erfinv(2u − 1)), as `Init.truncNormal` uses.
    public func erfinv() -> Tensor {
        unaryOp(.erfinv, name: "erfinv", savesOutput: true) { g, _, y in g * y!.square().exp() * 0.886226925452758 }
    }
    public func asin() -> Tensor {
        unaryOp(.asin, name: "asin", savesInput: true) { g, x, _ in g * (1 - x!.square()).rsqrt() }
    }
    public func acos() -> Tensor {
        unaryOp(.acos, name: "acos", savesInput: true) { g, x, _ in -(g * (1 - x!.square()).rsqrt()) }
    }
    public func sinh() -> Tensor { unaryOp(.sinh, name: "sinh", savesInput: true) { g, x, _ in g * x!.cosh() } }
    public func cosh() -> Tensor { unaryOp(.cosh, name: "cosh", savesInput: true) { g, x, _ in g * x!.sinh() } }
    public func asinh() -> Tensor {
        unaryOp(.asinh, name: "asinh", savesInput: true) { g, x, _ in g * (x!.square() + 1).rsqrt() }
    }
    /// The inverse hyperbolic cosine on [1, ∞).
    public func acosh() -> Tensor {
        unaryOp(.acosh, name: "acosh", savesInput: true) { g, x, _ in g * (x!.square() - 1).rsqrt() }
    }
    public func atanh() -> Tensor {
        unaryOp(.atanh, name: "atanh", savesInput: true) { g, x, _ in g / (1 - x!.square()) }
    }
    public func log2() -> Tensor {
        unaryOp(.log2, name: "log2", savesInput: true) { g, x, _ in g / (x! * 0.6931471805599453) }
    }
    public func log10() -> Tensor {
        unaryOp(.log10, name: "log10", savesInput: true) { g, x, _ in g / (x! * 2.302585092994046) }
    }
    /// 2ˣ.
    public func exp2() -> Tensor {
        unaryOp(.exp2, name: "exp2", savesOutput: true) { g, _, y in g * y! * 0.6931471805599453 }
    }
    /// log |Γ(x)|, like `torch.lgamma`: log n! = lgamma(n + 1) without overflow.
    public func lgamma() -> Tensor { unaryOp(.lgamma, name: "lgamma", savesInput: true) { g, x, _ in g * x!.digamma() } }
    /// ψ(x) = d/dx log Γ(x), like `torch.digamma`.
    public func digamma() -> Tensor {
        unaryOp(.digamma, name: "digamma", savesInput: true) { g, x, _ in g * x!.polygamma(1) }
    }
    /// ψ⁽ⁿ⁾(x), the n-th derivative of digamma, like `torch.polygamma(n, x)` (n = 0 is digamma).
    public func polygamma(_ n: Int) -> Tensor {
        guard n >= 0 else { shapeFailure(ShapeError("polygamma: n must be non-negative, got \(n)")) }
        if n == 0 { return digamma() }
        return unaryOp(.polygamma(n), name: "polygamma", savesInput: true) { g, x, _ in g * x!.polygamma(n + 1) }
    }
    /// log(1 + x), accurate for small x.
    public func log1p() -> Tensor { unaryOp(.log1p, name: "log1p", savesInput: true) { g, x, _ in g / (x! + 1) } }
    /// exp(x) − 1, accurate for small x.
    public func expm1() -> Tensor { unaryOp(.expm1, name: "expm1", savesOutput: true) { g, _, y in g * (y! + 1) } }

    /// The fractional part, x − trunc(x), with the sign of x, like `torch.frac`; the gradient is 1.
    public func frac() -> Tensor { self - trunc() }

    /// log(p / (1 − p)), the inverse of sigmoid, like `torch.logit`. With `eps`, p is first clamped to
    /// [eps, 1 − eps] (and no gradient flows from outside it), so 0 and 1 give finite values.
    public func logit(eps: Float? = nil) -> Tensor {
        let x = self
        let out = noGrad { () -> Tensor in
            let p = eps.map { x.clamp(min: $0, max: 1 - $0) } ?? x
            return (p / (1 - p)).log()
        }
        // PyTorch's derivative: 1/(x(1 − x)), ±∞ at 0 and 1, NaN outside [0, 1] (0 outside the clamp).
        return out.recording("logit", inputs: [x], saving: [x]) { g in
            let grad = g / (x * (1 - x))
            let outside = noGrad { eps.map { x.lt($0) + x.gt(1 - $0) } ?? (x.lt(0) + x.gt(1)) }
            return [grad.maskedFill(outside, eps == nil ? .nan : 0)]
        }
    }

    /// sin(πx)/(πx), 1 at 0, like `torch.sinc`.
    public func sinc() -> Tensor {
        let x = self
        let out = noGrad { () -> Tensor in
            let product = x * Float.pi
            return `where`(x.eq(0), Tensor.ones([], device: x.device), product.sin() / product)
        }
        // PyTorch's derivative, (πx·cos(πx) − sin(πx)) / (πx²), and 0 where πx² underflows to 0.
        return out.recording("sinc", inputs: [x], saving: [x]) { g in
            let product = x * Float.pi, denominator = x * x * Float.pi
            let derivative = (product * product.cos() - product.sin()) / denominator
            return [(g * derivative).maskedFill(noGrad { denominator.eq(0) }, 0)]
        }
    }

    /// Degrees to radians and back, like `torch.deg2rad` and `torch.rad2deg`.
    public func deg2rad() -> Tensor { self * Float(Double.pi / 180) }
    public func rad2deg() -> Tensor { self * Float(180 / Double.pi) }

    // Rounding: piecewise constant, so the gradient is zero (as in PyTorch).
    /// Nearest integer, halves to even (0.5 → 0, 1.5 → 2), like `torch.round`.
    public func round() -> Tensor { unaryOp(.round, name: "round") { g, _, _ in g.zeroGradient() } }
    public func floor() -> Tensor { unaryOp(.floor, name: "floor") { g, _, _ in g.zeroGradient() } }
    public func ceil() -> Tensor { unaryOp(.ceil, name: "ceil") { g, _, _ in g.zeroGradient() } }
    /// Rounds toward zero, like `torch.trunc`.
    public func trunc() -> Tensor { unaryOp(.trunc, name: "trunc") { g, _, _ in g.zeroGradient() } }

    /// Limits values to [min, max]; the gradient passes only where the input was inside.
    public func clamp(min lo: Float = -.infinity, max hi: Float = .infinity) -> Tensor {
        unaryOp(.clamp(min: lo, max: hi), name: "clamp", savesInput: true) { g, x, _ in
            g.fusedBackward(.clampBackward(min: lo, max: hi), g, x!)
        }
    }

    // MARK: Activations

    public func relu() -> Tensor {
        unaryOp(.relu, name: "relu", savesOutput: true) { g, _, y in g.fusedBackward(.reluBackward, g, y!) }
    }

    public func leakyRelu(negativeSlope: Float = 0.01) -> Tensor {
        unaryOp(.leakyRelu(slope: negativeSlope), name: "leakyRelu", savesInput: true) { g, x, _ in
            g.fusedBackward(.leakyReluBackward(slope: negativeSlope), g, x!)
        }
    }

    public func sigmoid() -> Tensor {
        unaryOp(.sigmoid, name: "sigmoid", savesOutput: true) { g, _, y in g.fusedBackward(.sigmoidBackward, g, y!) }
    }

    public func tanh() -> Tensor {
        unaryOp(.tanh, name: "tanh", savesOutput: true) { g, _, y in g.fusedBackward(.tanhBackward, g, y!) }
    }

    /// GELU with the exact erf form (PyTorch's default).
    public func gelu() -> Tensor {
        unaryOp(.gelu, name: "gelu", savesInput: true) { g, x, _ in g.fusedBackward(.geluBackward, g, x!) }
    }

    /// log(1 + exp(beta x)) / beta, linear above `threshold` like PyTorch.
    public func softplus(beta: Float = 1, threshold: Float = 20) -> Tensor {
        unaryOp(.softplus(beta: beta, threshold: threshold), name: "softplus", savesInput: true) { g, x, _ in
            g.fusedBackward(.softplusBackward(beta: beta, threshold: threshold), g, x!)
        }
    }

    /// x · sigmoid(x), also called swish.
    public func silu() -> Tensor {
        unaryOp(.silu, name: "silu", savesInput: true) { g, x, _ in g.fusedBackward(.siluBackward, g, x!) }
    }

    /// x where x > 0, else alpha · (exp(x) − 1).
    public func elu(alpha: Float = 1) -> Tensor {
        unaryOp(.elu(alpha: alpha), name: "elu", savesInput: true) { g, x, _ in
            g.fusedBackward(.eluBackward(alpha: alpha), g, x!)
        }
    }

    /// scale · elu(x, alpha) with the self-normalizing constants of Klambauer et al. (PyTorch's SELU).
    public func selu() -> Tensor {
        elu(alpha: 1.6732632423543772848170429916717) * 1.0507009873554804934193349852946
    }

    /// x · tanh(softplus(x)).
    public func mish() -> Tensor { self * softplus().tanh() }

    /// x clamped to [minVal, maxVal]. Unlike `clamp`, the gradient passes only strictly inside, as
    /// PyTorch's hardtanh (so relu6 has gradient 0 at x = 0).
    public func hardtanh(minVal: Float = -1, maxVal: Float = 1) -> Tensor {
        unaryOp(.clamp(min: minVal, max: maxVal), name: "hardtanh", savesInput: true) { g, x, _ in
            g * (x!.gt(minVal) * x!.lt(maxVal))
        }
    }

    /// min(max(x, 0), 6).
    public func relu6() -> Tensor { hardtanh(minVal: 0, maxVal: 6) }

    /// relu6(x + 3) / 6: a piecewise-linear sigmoid (gradient 1/6 for −3 < x < 3).
    public func hardsigmoid() -> Tensor { (self / 6 + 0.5).hardtanh(minVal: 0, maxVal: 1) }

    /// x · relu6(x + 3) / 6 (MobileNetV3).
    public func hardswish() -> Tensor { self * (self + 3).clamp(min: 0, max: 6) / 6 }

    /// x / (1 + |x|).
    public func softsign() -> Tensor { self / (abs() + 1) }

    /// log(sigmoid(x)), computed as −softplus(−x), which stays finite where sigmoid rounds to 0.
    public func logSigmoid() -> Tensor { -(-self).softplus() }

    /// max(0, x) + min(0, alpha · (exp(x / alpha) − 1)): ELU with the slope at 0 kept at 1 for any alpha.
    public func celu(alpha: Float = 1) -> Tensor {
        precondition(alpha != 0, "Ember: celu: alpha must not be 0 (it divides x)")
        // The exponential term is negative only for x < 0, whatever alpha's sign: x/alpha is clamped to
        // that side, so positive x adds 0 (no overflow of exp, no gradient) and relu gives x itself.
        let scaled = self / alpha
        return relu() + ((alpha > 0 ? scaled.clamp(max: 0) : scaled.clamp(min: 0)).exp() - 1) * alpha
    }

    /// x where |x| > lambd, else 0.
    public func hardshrink(lambd: Float = 0.5) -> Tensor { maskedFill(abs().le(lambd), 0) }

    /// x − lambd above lambd, x + lambd below −lambd, else 0 (`lambd` ≥ 0).
    public func softshrink(lambd: Float = 0.5) -> Tensor {
        precondition(lambd >= 0, "Ember: softshrink: lambd must be ≥ 0, got \(lambd)")
        return self - clamp(min: -lambd, max: lambd)
    }

    /// x − tanh(x).
    public func tanhshrink() -> Tensor { self - tanh() }

    /// x where x > threshold, else `value`, like `F.threshold`.
    public func threshold(_ threshold: Float, value: Float) -> Tensor { maskedFill(le(threshold), value) }
}
