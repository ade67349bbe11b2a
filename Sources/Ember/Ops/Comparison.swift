/// Comparisons (float32 0/1 results, no gradient) and `where`.
extension Tensor {
    private func compare(_ op: BinaryOp, _ other: Tensor, _ name: String) -> Tensor {
        broadcastBinary(op, other, name: name)
    }

    public func eq(_ other: Tensor) -> Tensor { compare(.equal, other, "eq") }
    public func ne(_ other: Tensor) -> Tensor { compare(.notEqual, other, "ne") }
    public func lt(_ other: Tensor) -> Tensor { compare(.less, other, "lt") }
    public func le(_ other: Tensor) -> Tensor { compare(.lessEqual, other, "le") }
    public func gt(_ other: Tensor) -> Tensor { compare(.greater, other, "gt") }
    public func ge(_ other: Tensor) -> Tensor { compare(.greaterEqual, other, "ge") }

    public func eq(_ s: Float) -> Tensor { compare(.equal, scalarLike(s), "eq") }
    public func ne(_ s: Float) -> Tensor { compare(.notEqual, scalarLike(s), "ne") }
    public func lt(_ s: Float) -> Tensor { compare(.less, scalarLike(s), "lt") }
    public func le(_ s: Float) -> Tensor { compare(.lessEqual, scalarLike(s), "le") }
    public func gt(_ s: Float) -> Tensor { compare(.greater, scalarLike(s), "gt") }
    public func ge(_ s: Float) -> Tensor { compare(.greaterEqual, scalarLike(s), "ge") }

    /// True when shapes match and every pair of elements is within atol + rtol·|other|.
    public func allClose(_ other: Tensor, rtol: Float = 1e-5, atol: Float = 1e-8) -> Bool {
        guard shape == other.shape else { return false }
        return zip(toArray(), other.toArray()).allSatisfy { Swift.abs($0 - $1) <= atol + rtol * Swift.abs($1) }
    }
}

/// `condition ? a : b` element by element with broadcasting, like `torch.where`.
/// The gradient flows to `a` where the condition holds and to `b` elsewhere. Two int64 branches
/// give an int64 result (indices, shapes; on the CPU); an int64 and a float32 one compute in float32,
/// as arithmetic promotes.
public func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    if a.dtype != b.dtype { return `where`(condition, a.float(), b.float()) }
    let shape = checkShape { () throws(ShapeError) in
        try Shape.broadcast(Shape.broadcast(condition.shape, a.shape, op: "where"), b.shape, op: "where")
    }
    a.checkSameDevice("where", condition, b)
    if a.dtype == .int64 && a.device != .cpu {
        fatalError("Ember: where over int64 branches runs on the CPU; convert them with .float() or move them with .to(.cpu)")
    }
    let out = Tensor.result(a.backend.select(condition.view.broadcast(to: shape), a.view.broadcast(to: shape),
                                             b.view.broadcast(to: shape), shape: shape), shape: shape, dtype: a.dtype)
    if a.dtype == .int64 { return out }   // nothing to differentiate
    let (sa, sb) = (a.shape, b.shape)
    return out.recording("where", inputs: [a, b], saving: [condition]) { g in
        let zero = Tensor.zeros([], device: g.device)
        return [`where`(condition, g, zero).sumToShape(sa), `where`(condition, zero, g).sumToShape(sb)]
    }
}

extension Tensor {
    /// This tensor with `value` where `mask` is nonzero, like `torch.Tensor.masked_fill`; `mask`
    /// (0/1 floats from a comparison, or int64) broadcasts to this tensor's shape. The gradient flows
    /// only where the mask is zero:
    ///
    ///     scores.maskedFill(tokens.eq(0).unsqueeze(1), -.infinity)   // hide padding before softmax
    public func maskedFill(_ mask: Tensor, _ value: Float) -> Tensor {
        let fits = (try? Shape.broadcast(mask.shape, shape, op: "maskedFill")) == shape
        guard fits else {
            shapeFailure(ShapeError("maskedFill: mask of shape \(mask.shape) does not broadcast to the tensor's shape \(shape)"))
        }
        guard dtype == .float32 else {
            shapeFailure(ShapeError("maskedFill: needs a float32 tensor, got \(dtype) of shape \(shape) (convert it with .float())"))
        }
        return `where`(mask, scalarLike(value), self)
    }
}
