import Foundation

/// Reading a tensor's values back into Swift.
extension Tensor {
    /// All elements in row-major order, as Float (int64 tensors are converted).
    public func toArray() -> [Float] {
        let c = contiguousOnCPU()
        let n = c.count
        switch c.dtype {
        case .float32:
            return Array(UnsafeBufferPointer(start: c.storage.floats() + c.offset, count: n))
        case .int64:
            let p = c.storage.int64s() + c.offset
            return (0..<n).map { Float(p[$0]) }
        }
    }

    /// All elements in row-major order, as Int (float tensors are truncated).
    public func toIntArray() -> [Int] {
        let c = contiguousOnCPU()
        let n = c.count
        switch c.dtype {
        case .int64:
            let p = c.storage.int64s() + c.offset
            return (0..<n).map { Int(p[$0]) }
        case .float32:
            let p = c.storage.floats() + c.offset
            return (0..<n).map { Int(p[$0]) }
        }
    }

    /// The value of a one-element tensor.
    public func item() -> Float {
        guard count == 1 else {
            shapeFailure(ShapeError("item: a tensor with \(count) elements (shape \(shape)) cannot be converted to a scalar"))
        }
        return toArray()[0]
    }

    /// The element at a multi-index, for inspection and tests (not for inner loops).
    public subscript(element index: Int...) -> Float {
        precondition(index.count == rank, "Ember: element index \(index) does not match shape \(shape)")
        var position = offset
        for (i, ix) in index.enumerated() {
            precondition(ix >= 0 && ix < shape[i], "Ember: index \(ix) is out of range for dim \(i) of shape \(shape)")
            position += ix * strides[i]
        }
        let host = device == .cpu ? self : to(.cpu)
        switch dtype {
        case .float32: return host.storage.floats()[host === self ? position : 0]
        case .int64: return Float(host.storage.int64s()[host === self ? position : 0])
        }
    }

    private func contiguousOnCPU() -> Tensor {
        let host = device == .cpu ? self : to(.cpu)
        return noGrad { host.contiguous() }
    }

    /// Copies the tensor to another device (returns self when already there), like `x.to(device)`.
    /// The copy stays in the graph: its gradient flows back to the original's device.
    public func to(_ target: Device) -> Tensor {
        if target == device { return self }
        let out = Tensor(uninitializedShape: shape, dtype: dtype, device: target)
        if target == .cpu {
            backend.download(view, into: out.storage.pointer)
        } else if device == .cpu {
            let source = noGrad { contiguous() }
            let bytes = UnsafeRawBufferPointer(start: source.storage.pointer + source.offset * dtype.itemSize,
                                               count: count * dtype.itemSize)
            target.backend.upload(bytes, into: out.storage)
            withExtendedLifetime(source) {}
        } else {
            // Between two GPUs: through the host (rare; keeps each backend to its own device).
            return to(.cpu).to(target)
        }
        let origin = device
        return out.recording("to", inputs: [self]) { g in [g.to(origin)] }
    }
}

extension Tensor: CustomStringConvertible {
    /// Prints like PyTorch: values (abbreviated when large), shape and dtype.
    public var description: String {
        let values = count <= 64 ? toArray() : Array(toArray().prefix(32))
        func fmt(_ v: Float) -> String { dtype == .int64 ? String(Int(v)) : String(format: "%.4f", v) }
        if rank == 0 { return "tensor(\(fmt(values[0])))" }
        var text = values.map(fmt).joined(separator: ", ")
        if count > 64 { text += ", ..." }
        let grad = requiresGrad ? ", requiresGrad: true" : ""
        return "tensor([\(text)], shape: \(shape), dtype: \(dtype)\(grad))"
    }
}
