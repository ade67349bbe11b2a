/// Element-wise functions of two tensors beyond + − × ÷ and pow, like PyTorch's: `atan2`, `hypot`,
/// `copysign`, `fmod`, `remainder`, `floorDivide` (and `div` with a rounding mode), `logaddexp`,
/// `logaddexp2` and `xlogy`. Operands broadcast, and gradients are summed back to each one's shape.
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
        let (a, b) = (self, other)
        return broadcastBinary(.atan2, other, name: "atan2").recording("atan2", inputs: [a, b], saving: [a, b]) { g in
            let scale = g / (a.square() + b.square())
            return [a.requiresGrad ? (scale * b).sumToShape(a.shape) : nil,
                    b.requiresGrad ? (-(scale * a)).sumToShape(b.shape) : nil]
        }
    }

    /// √(self² + other²) without overflow or underflow in the squares, like `torch.hypot`.
    public func hypot(_ other: Tensor) -> Tensor {
        let (a, b) = (self, other)
        let out = broadcastBinary(.hypot, other, name: "hypot")
        let y = out.detach()   // the output itself would hold its own node: a reference cycle
        return out.recording("hypot", inputs: [a, b], saving: [a, b, y]) { g in
            let scale = g / y.reattached()
            return [a.requiresGrad ? (scale * a).sumToShape(a.shape) : nil,
                    b.requiresGrad ? (scale * b).sumToShape(b.shape) : nil]
        }
    }

    /// |self| with the sign of `other` (−0 counts as negative), like `torch.copysign`. The gradient
    /// is ±1 for self and 0 where self is 0, and nothing flows to other.
    public func copysign(_ other: Tensor) -> Tensor {
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
        let (a, b) = (self, other)
        let out = broadcastBinary(.floorDivide, other, name: "floorDivide")
        guard out.dtype == .float32 else { return out }
        return out.recording("floorDivide", inputs: [a, b]) { g in
            [a.requiresGrad ? Tensor.zeros(a.shape, device: g.device) : nil,
             b.requiresGrad ? Tensor.zeros(b.shape, device: g.device) : nil]
        }
    }

    public func floorDivide(_ other: Float) -> Tensor { floorDivide(typedScalar(other)) }

    /// self / other rounded toward zero or down, like `torch.div(a, b, rounding_mode=...)`; int64
    /// operands give int64. No gradient flows through the rounding.
    public func div(_ other: Tensor, roundingMode: RoundingMode) -> Tensor {
        switch roundingMode {
        case .floor:
            return floorDivide(other)
        case .trunc:
            if dtype == .int64 && other.dtype == .int64 { return broadcastBinary(.div, other, name: "div") }
            return (self / other).trunc()
        }
    }

    /// log(eˢᵉˡᶠ + eᵒᵗʰᵉʳ) without overflow, like `torch.logaddexp`: max + log1p(e^−|self − other|),
    /// and the infinity itself when both are the same infinity.
    public func logaddexp(_ other: Tensor) -> Tensor { logAddExp(other, base2: false) }

    /// log₂(2ˢᵉˡᶠ + 2ᵒᵗʰᵉʳ), like `torch.logaddexp2`.
    public func logaddexp2(_ other: Tensor) -> Tensor { logAddExp(other, base2: true) }

    private func logAddExp(_ other: Tensor, base2: Bool) -> Tensor {
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
        let (a, b) = (self, other)
        let out = noGrad { `where`(a.eq(0) * b.eq(b), Tensor.zeros([], device: a.device), a * b.log()) }
        return out.recording("xlogy", inputs: [a, b], saving: [a, b]) { g in
            [a.requiresGrad ? g.xlogy(b).maskedFill(noGrad { a.eq(0) * b.le(0) }, 0).sumToShape(a.shape) : nil,
             b.requiresGrad ? (g * a / b).sumToShape(b.shape) : nil]
        }
    }

    /// A rank-0 tensor of `value` with this tensor's dtype where it is exact (an integer for an int64
    /// tensor), so that `ints.fmod(3)` stays int64 as in PyTorch.
    private func typedScalar(_ value: Float) -> Tensor {
        if dtype == .int64, value == value.rounded(), value.magnitude < 0x1p62 {
            return Tensor([Int(value)], shape: [], device: device)
        }
        return scalarLike(value)
    }
}
