/// + − × ÷ and pow with NumPy/PyTorch broadcasting. Gradients are summed back to each input's shape.
extension Tensor {
    /// Runs a broadcasting binary kernel and returns the result (no graph recording).
    func broadcastBinary(_ op: BinaryOp, _ other: Tensor, name: String) -> Tensor {
        guard device == other.device else {
            fatalError("Ember: \(name): expected all tensors on the same device, got \(device) and \(other.device)")
        }
        let outShape = checkShape { () throws(ShapeError) in try Shape.broadcast(shape, other.shape, op: name) }
        let storage = backend.binary(op, view.broadcast(to: outShape), other.view.broadcast(to: outShape), shape: outShape)
        let dtype: DType = !op.isComparison && dtype == .int64 && other.dtype == .int64 ? .int64 : .float32
        return Tensor.result(storage, shape: outShape, dtype: dtype)
    }

    /// A rank-0 tensor on this tensor's device.
    func scalarLike(_ value: Float) -> Tensor {
        Tensor.full([], value, device: device)
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        return a.broadcastBinary(.add, b, name: "add").recording("add", inputs: [a, b]) { g in
            [g.sumToShape(sa), g.sumToShape(sb)]
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        return a.broadcastBinary(.sub, b, name: "sub").recording("sub", inputs: [a, b]) { g in
            [g.sumToShape(sa), (-g).sumToShape(sb)]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        return a.broadcastBinary(.mul, b, name: "mul").recording("mul", inputs: [a, b], saving: [a, b]) { g in
            [a.requiresGrad ? (g * b).sumToShape(sa) : nil, b.requiresGrad ? (g * a).sumToShape(sb) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        return a.broadcastBinary(.div, b, name: "div").recording("div", inputs: [a, b], saving: [a, b]) { g in
            [a.requiresGrad ? (g / b).sumToShape(sa) : nil,
             b.requiresGrad ? (-(g * a) / (b * b)).sumToShape(sb) : nil]
        }
    }

    public static prefix func - (x: Tensor) -> Tensor {
        x.unaryOp(.neg, name: "neg") { g, _, _ in -g }
    }

    // Scalars on either side.
    public static func + (a: Tensor, s: Float) -> Tensor { a.unaryOp(.addScalar(s), name: "add") { g, _, _ in g } }
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
    public static func - (s: Float, a: Tensor) -> Tensor { a.unaryOp(.rsubScalar(s), name: "rsub") { g, _, _ in -g } }
    public static func * (a: Tensor, s: Float) -> Tensor { a.unaryOp(.mulScalar(s), name: "mul") { g, _, _ in g * s } }
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }
    public static func / (s: Float, a: Tensor) -> Tensor {
        a.unaryOp(.rdivScalar(s), name: "rdiv", savesInput: true) { g, x, _ in g * (-s) / (x! * x!) }
    }

    /// Element-wise power with a tensor exponent (broadcast).
    public func pow(_ exponent: Tensor) -> Tensor {
        let (sa, sb) = (shape, exponent.shape)
        let base = self
        let out = broadcastBinary(.pow, exponent, name: "pow")
        let y = out.detach()  // the output itself would hold its own node: a reference cycle
        return out.recording("pow", inputs: [base, exponent], saving: [base, exponent, y]) { g in
            [base.requiresGrad ? (g * exponent * base.pow(exponent - 1)).sumToShape(sa) : nil,
             exponent.requiresGrad ? Tensor.powExponentGradient(g, y.reattached(), base, exponent).sumToShape(sb) : nil]
        }
    }

    /// g·bᵉ·log b, taken as 0 where b = 0 and e ≥ 0 (where bᵉ is flat in e, or 0·−∞), as PyTorch does:
    /// a base of exactly 0 would otherwise put NaN into the exponent's gradient.
    static func powExponentGradient(_ g: Tensor, _ y: Tensor, _ base: Tensor, _ exponent: Tensor) -> Tensor {
        let flat = noGrad { base.eq(0) * exponent.ge(0) }
        let one = Tensor.ones([], device: base.device)
        return `where`(flat, Tensor.zeros([], device: g.device), g * y * `where`(flat, one, base).log())
    }

    /// Element-wise power with a scalar exponent.
    public func pow(_ exponent: Float) -> Tensor {
        unaryOp(.powScalar(exponent), name: "pow", savesInput: true) { g, x, _ in
            exponent == 2 ? g * x! * 2 : g * exponent * x!.pow(exponent - 1)
        }
    }

    /// Element-wise maximum of two tensors (broadcast); ties send half the gradient to each.
    public func maximum(_ other: Tensor) -> Tensor { extremum(other, .maximum, "maximum") }

    /// Element-wise minimum of two tensors (broadcast).
    public func minimum(_ other: Tensor) -> Tensor { extremum(other, .minimum, "minimum") }

    private func extremum(_ other: Tensor, _ op: BinaryOp, _ name: String) -> Tensor {
        let (sa, sb) = (shape, other.shape)
        let a = self
        return broadcastBinary(op, other, name: name).recording(name, inputs: [a, other], saving: [a, other]) { g in
            let wins = a.broadcastBinary(op == .maximum ? .greater : .less, other, name: name)
            let ties = a.broadcastBinary(.equal, other, name: name) * 0.5
            let share = wins + ties
            return [(g * share).sumToShape(sa), (g * (1 - share)).sumToShape(sb)]
        }
    }
}

extension Tensor {
    /// self + weight·(end − self), like `torch.lerp`; from a weight of 0.5 on, end − (end − self)·(1 − weight)
    /// as PyTorch computes it, so that a weight of 1 gives `end` exactly.
    public func lerp(_ end: Tensor, weight: Float) -> Tensor {
        weight < 0.5 ? self + weight * (end - self) : end - (end - self) * (1 - weight)
    }

    /// `lerp` with a tensor weight (all three broadcast), each element by PyTorch's two formulas.
    public func lerp(_ end: Tensor, weight: Tensor) -> Tensor {
        let difference = end - self
        return `where`(noGrad { weight.lt(0.5) }, self + weight * difference, end - difference * (1 - weight))
    }
}
