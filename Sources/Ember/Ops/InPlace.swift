/// In-place updates for optimizers and initializers (`add_`, `mul_`, ...). They write into the
/// storage, bump its version (so autograd notices a saved tensor that changed) and refuse leaves
/// that require grad while grad mode is on, as PyTorch does.
extension Tensor {
    private func checkInPlace(_ name: String) {
        if GradMode.isEnabled && requiresGrad && isLeaf {
            fatalError("Ember: \(name): a leaf tensor that requires grad (shape \(shape)) is being used in an in-place "
                + "operation; wrap the update in noGrad { } as optimizers do")
        }
        if GradMode.isEnabled && gradFn != nil {
            fatalError("Ember: \(name): in-place operations on tensors that are part of the graph are not supported "
                + "(\(gradFn!.name) produced this tensor); use the out-of-place form")
        }
    }

    /// Refuses a write whose result would depend on the order elements are written in, as PyTorch
    /// does: a target with several elements at one address (an expanded view), or a source that
    /// shares part of the target's memory (`a[1...] += a[..<n-1]`). Dense layouts are compared by
    /// address range; strided ones that may interleave without sharing an element are let through.
    private func checkNoOverlap(with source: Tensor, _ name: String) {
        if zip(shape, strides).contains(where: { $0.0 > 1 && $0.1 == 0 }) {
            fatalError("Ember: \(name): more than one element of the written-to tensor (shape \(shape), strides \(strides)) "
                + "refers to a single memory location, as in an expanded view; clone() it before writing to it")
        }
        guard source.storage === storage, count > 0, source.count > 0 else { return }
        if source.offset == offset && source.shape == shape && source.strides == strides { return }
        guard isContiguous && source.isContiguous,
              source.offset < offset + count && offset < source.offset + source.count else { return }
        fatalError("Ember: \(name): some elements of the source (shape \(source.shape), offset \(source.offset)) and the "
            + "written-to tensor (shape \(shape), offset \(offset)) refer to a single memory location; "
            + "clone() the source first")
    }

    private func inPlace(_ op: BinaryOp, _ other: Tensor, _ name: String) -> Tensor {
        checkInPlace(name)
        checkNoOverlap(with: other, name)
        checkSameDevice(name, other)
        _ = checkShape { () throws(ShapeError) in
            let b = try Shape.broadcast(shape, other.shape, op: name)
            guard b == shape else {
                throw ShapeError("\(name): the source of shape \(other.shape) cannot be broadcast to the target's shape \(shape)")
            }
            return b
        }
        backend.binaryInPlace(op, view, other.view)
        return self
    }

    @discardableResult public func add_(_ other: Tensor) -> Tensor { inPlace(.add, other, "add_") }
    /// self += alpha * other, in one pass.
    @discardableResult public func add_(_ other: Tensor, alpha: Float) -> Tensor {
        alpha == 1 ? add_(other) : inPlace(.linearCombination(a: 1, b: alpha), other, "add_")
    }
    /// self = scale·self + alpha·other, in one pass: a running average m = β·m + (1 − β)·g is
    /// `m.scaleAdd_(β, g, alpha: 1 - β)`.
    @discardableResult public func scaleAdd_(_ scale: Float, _ other: Tensor, alpha: Float) -> Tensor {
        inPlace(.linearCombination(a: scale, b: alpha), other, "scaleAdd_")
    }
    /// self += weight·(end − self), like `torch.Tensor.lerp_`, computed as (1 − weight)·self + weight·end
    /// (it can differ from PyTorch's formula in the last bit).
    @discardableResult public func lerp_(_ end: Tensor, weight: Float) -> Tensor {
        inPlace(.linearCombination(a: 1 - weight, b: weight), end, "lerp_")
    }
    @discardableResult public func sub_(_ other: Tensor) -> Tensor { inPlace(.sub, other, "sub_") }
    @discardableResult public func mul_(_ other: Tensor) -> Tensor { inPlace(.mul, other, "mul_") }
    @discardableResult public func div_(_ other: Tensor) -> Tensor { inPlace(.div, other, "div_") }
    @discardableResult public func add_(_ s: Float) -> Tensor { inPlace(.add, scalarLike(s), "add_") }
    @discardableResult public func mul_(_ s: Float) -> Tensor { inPlace(.mul, scalarLike(s), "mul_") }
    @discardableResult public func clampMax_(_ s: Float) -> Tensor { inPlace(.minimum, scalarLike(s), "clamp_") }
    @discardableResult public func clampMin_(_ s: Float) -> Tensor { inPlace(.maximum, scalarLike(s), "clamp_") }

    /// Overwrites every element with `value`.
    @discardableResult public func fill_(_ value: Float) -> Tensor {
        checkInPlace("fill_")
        if isContiguous && offset == 0 {
            backend.fill(storage, count: count, dtype: dtype, value: Double(value))
            storage.bumpVersion()
        } else {
            backend.copy(Tensor.full([], value, dtype: dtype, device: device).view.broadcast(to: shape), into: view)
        }
        return self
    }

    @discardableResult public func zero_() -> Tensor { fill_(0) }

    /// Copies `source` (broadcast to this shape) into this tensor's elements.
    @discardableResult public func copy_(_ source: Tensor) -> Tensor {
        checkInPlace("copy_")
        _ = checkShape { () throws(ShapeError) in
            let b = try Shape.broadcast(shape, source.shape, op: "copy_")
            guard b == shape else {
                throw ShapeError("copy_: the source of shape \(source.shape) cannot be broadcast to the target's shape \(shape)")
            }
            return b
        }
        checkNoOverlap(with: source, "copy_")
        let converted = source.dtype == dtype ? source : source.to(dtype)
        let local = converted.device == device ? converted : noGrad { converted.to(device) }
        backend.copy(local.view.broadcast(to: shape), into: view)
        return self
    }

    /// A copy with its own storage that stays in the graph (gradient flows through it).
    public func clone() -> Tensor {
        let out = Tensor.result(backend.copy(view), shape: shape, dtype: dtype)
        return out.recording("clone", inputs: [self]) { g in [g] }
    }

    /// The same values in another dtype (a copy), like `x.to(torch.int64)`.
    public func to(_ target: DType) -> Tensor {
        if target == dtype { return self }
        return Tensor.result(backend.convert(view, to: target), shape: shape, dtype: target)
    }

    /// float32 copy of an int64 tensor (or self), like `x.float()`.
    public func float() -> Tensor { to(.float32) }
    /// int64 copy, like `x.long()`.
    public func long() -> Tensor { to(.int64) }
}
