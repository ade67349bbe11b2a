/// Element-wise functions of two tensors beyond + − × ÷ and pow, like PyTorch's: `atan2`, `hypot`,
/// `copysign`, `fmod`, `remainder`, `floorDivide` (and `div` with a rounding mode), `logaddexp`,
/// `logaddexp2` and `xlogy`. Operands broadcast, and gradients are summed back to each one's shape.
/// On int64 tensors `fmod`, `remainder` and the rounded divisions stay int64, and give 0 for a zero
/// divisor (as Ember's int64 `/` does; PyTorch raises ZeroDivisionError); the others compute in float32.
/// How `div(_:roundingMode:)` rounds the quotient, like PyTorch's `rounding_mode`.
public enum RoundingMode: Sendable {
    /// Toward zero, like C's integer division.
    case trunc
    /// Down, like Python's `//`.
    case floor
}

extension Tensor {
    /// The angle of the point (other, self) in (−π, π], like `torch.atan2(self, other)`.
    public func atan2(_ other: Tensor) -> Tensor {
        if let (a, b) = promotedToFloat(other) { return a.atan2(b) }
        let (a, b) = (self, other)
        return broadcastBinary(.atan2, other, name: "atan2").recording("atan2", inputs: [a, b], saving: [a, b]) { g in
            let scale = g / (a.square() + b.square())
            return [a.requiresGrad ? (scale * b).sumToShape(a.shape) : nil,
                    b.requiresGrad ? (-(scale * a)).sumToShape(b.shape) : nil]
        }
    }

    /// √(self² + other²) without overflow or underflow in the squares, like `torch.hypot`.
    public func hypot(_ other: Tensor) -> Tensor {
        if let (a, b) = promotedToFloat(other) { return a.hypot(b) }
        let (a, b) = (self, other)
        let out = broadcastBinary(.hypot, other, name: "hypot")
        let y = out.detach()   // the output itself would hold its own node: a reference cycle
        return out.recording("hypot", inputs: [a, b], saving: [a, b, y]) { g in
            let y = y.reattached()   // g·a / y, not (g / y)·a, which overflows for a subnormal y
            return [a.requiresGrad ? (g * a / y).sumToShape(a.shape) : nil,
                    b.requiresGrad ? (g * b / y).sumToShape(b.shape) : nil]
        }
    }

    /// |self| with the sign of `other` (−0 counts as negative), like `torch.copysign`. The gradient
    /// is ±1 for self and 0 where self is 0, and nothing flows to other.
    public func copysign(_ other: Tensor) -> Tensor {
        if let (a, b) = promotedToFloat(other) { return a.copysign(b) }
        let (a, b) = (self, other)
        let out = broadcastBinary(.copysign, other, name: "copysign")
        let y = out.detach()
        return out.recording("copysign", inputs: [a, b], saving: [a, y]) { g in
            let ratio = (y.reattached() / a).maskedFill(noGrad { a.eq(0) }, 0)
            return [(g * ratio).sumToShape(a.shape), b.requiresGrad ? Tensor.zeros(b.shape, device: g.device) : nil]
        }
    }

    public func copysign(_ other: Float) -> Tensor { copysign(scalarLike(other)) }

    /// self − trunc(self / other)·other, with the sign of self, like `torch.fmod` (C's fmod).
    public func fmod(_ other: Tensor) -> Tensor {
        let (a, b) = (self, other)
        return broadcastBinary(.fmod, other, name: "fmod").recording("fmod", inputs: [a, b], saving: [a, b]) { g in
            [g.sumToShape(a.shape), b.requiresGrad ? (-(g * noGrad { a.div(b, roundingMode: .trunc) })).sumToShape(b.shape) : nil]
        }
    }

    public func fmod(_ other: Float) -> Tensor { fmod(typedScalar(other)) }

    /// self − floor(self / other)·other, with the sign of other, like `torch.remainder` and Python's `%`
    /// (`-3 % 5` is 2 here, where `fmod` gives −3).
    public func remainder(_ other: Tensor) -> Tensor {
        let (a, b) = (self, other)
        return broadcastBinary(.remainder, other, name: "remainder").recording("remainder", inputs: [a, b],
                                                                               saving: [a, b]) { g in
            [g.sumToShape(a.shape), b.requiresGrad ? (-(g * noGrad { a.floorDivide(b) })).sumToShape(b.shape) : nil]
        }
    }

    public func remainder(_ other: Float) -> Tensor { remainder(typedScalar(other)) }

    /// self / other rounded down, like `torch.floor_divide` and Python's `//`; int64 stays int64.
    /// Piecewise constant, so no gradient flows (as in PyTorch).
    public func floorDivide(_ other: Tensor) -> Tensor {
        roundedQuotient(other, name: "floorDivide") { $0.broadcastBinary(.floorDivide, $1, name: "floorDivide") }
    }

    public func floorDivide(_ other: Float) -> Tensor { floorDivide(typedScalar(other)) }

    /// self / other rounded toward zero or down, like `torch.div(a, b, rounding_mode=...)`; int64
    /// operands give int64. No gradient flows through the rounding.
    public func div(_ other: Tensor, roundingMode: RoundingMode) -> Tensor {
        switch roundingMode {
        case .floor:
            return floorDivide(other)
        case .trunc:
            return roundedQuotient(other, name: "div") { a, b in
                a.dtype == .int64 && b.dtype == .int64 ? a.broadcastBinary(.div, b, name: "div") : noGrad { (a / b).trunc() }
            }
        }
    }

    /// A rounded quotient with the zero gradient PyTorch gives it (a gradient through the division
    /// itself would be 0/0 = NaN where other is 0).
    private func roundedQuotient(_ other: Tensor, name: String, _ compute: (Tensor, Tensor) -> Tensor) -> Tensor {
        let (a, b) = (self, other)
        let out = compute(a, b)
        guard out.dtype == .float32 else { return out }
        return out.recording(name, inputs: [a, b]) { g in
            [a.requiresGrad ? Tensor.zeros(a.shape, device: g.device) : nil,
             b.requiresGrad ? Tensor.zeros(b.shape, device: g.device) : nil]
        }
    }

    /// log(eˢᵉˡᶠ + eᵒᵗʰᵉʳ) without overflow, like `torch.logaddexp`: max + log1p(e^−|self − other|),
    /// and the infinity itself when both are the same infinity.
    public func logaddexp(_ other: Tensor) -> Tensor { logAddExp(other, base2: false) }

    /// log₂(2ˢᵉˡᶠ + 2ᵒᵗʰᵉʳ), like `torch.logaddexp2`.
    public func logaddexp2(_ other: Tensor) -> Tensor { logAddExp(other, base2: true) }

    private func logAddExp(_ other: Tensor, base2: Bool) -> Tensor {
        if let (a, b) = promotedToFloat(other) { return a.logAddExp(b, base2: base2) }
        let (a, b) = (self, other)
        let power = { (t: Tensor) in base2 ? t.exp2() : t.exp() }
        let out = noGrad { () -> Tensor in
            let correction = power(-(a - b).abs()).log1p()
            let sum = a.maximum(b) + (base2 ? correction * 1.4426950408889634 : correction)
            return `where`(a.eq(b) * a.abs().eq(.infinity), a, sum)
        }
        // d/da = 1 / (1 + base^(b − a)): a sigmoid, so it neither overflows nor cancels.
        return out.recording(base2 ? "logaddexp2" : "logaddexp", inputs: [a, b], saving: [a, b]) { g in
            [a.requiresGrad ? (g / (power(b - a) + 1)).sumToShape(a.shape) : nil,
             b.requiresGrad ? (g / (power(a - b) + 1)).sumToShape(b.shape) : nil]
        }
    }

    /// self·log(other), 0 where self is 0 (unless other is NaN), like `torch.xlogy`: the terms of an
    /// entropy or a KL divergence, where 0·log 0 counts as 0.
    public func xlogy(_ other: Tensor) -> Tensor {
        if let (a, b) = promotedToFloat(other) { return a.xlogy(b) }
        let (a, b) = (self, other)
        let out = noGrad { `where`(a.eq(0) * b.eq(b), Tensor.zeros([], device: a.device), a * b.log()) }
        return out.recording("xlogy", inputs: [a, b], saving: [a, b]) { g in
            [a.requiresGrad ? g.xlogy(b).maskedFill(noGrad { a.eq(0) * b.le(0) }, 0).sumToShape(a.shape) : nil,
             b.requiresGrad ? (g * a / b).sumToShape(b.shape) : nil]
        }
    }

    /// Both operands as float32 when either is int64, as PyTorch promotes for these functions (whose
    /// results are not integers); nil when both are float32 already.
    private func promotedToFloat(_ other: Tensor) -> (Tensor, Tensor)? {
        dtype == .int64 || other.dtype == .int64 ? (float(), other.float()) : nil
    }

    /// A rank-0 tensor of `value` with this tensor's dtype where it is exact (an integer for an int64
    /// tensor), so that `ints.fmod(3)` stays int64 as in PyTorch. (A Swift literal cannot say whether
    /// it meant 2 or 2.0, so `ints.fmod(2.0)` stays int64 too, where PyTorch's 2.0 gives float32.)
    private func typedScalar(_ value: Float) -> Tensor {
        if dtype == .int64, value == value.rounded(), value.magnitude < 0x1p62 {
            return Tensor([Int(value)], shape: [], device: device)
        }
        return scalarLike(value)
    }
}
