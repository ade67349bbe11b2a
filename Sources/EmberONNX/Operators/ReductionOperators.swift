import Ember

/// Reductions over axes, arg-max/min, top-k and running sums.
extension Operators {
    static let reductions: [String: OperatorCompiler] = [
        "ReduceSum": reduce(axesInputFrom: 13) { x, dims, keep in x.sum(dims: dims, keepdim: keep) },
        "ReduceMean": reduce { x, dims, keep in x.mean(dims: dims, keepdim: keep) },
        "ReduceMax": reduce { x, dims, keep in x.amax(dims: dims, keepdim: keep) },
        "ReduceMin": reduce { x, dims, keep in x.amin(dims: dims, keepdim: keep) },
        "ReduceProd": reduce { x, dims, keep in
            dims.sorted(by: >).reduce(x) { $0.prod(dim: $1, keepdim: true) }.reshapedDropping(dims, keep: keep)
        },
        "ReduceL1": reduce { x, dims, keep in x.abs().sum(dims: dims, keepdim: keep) },
        "ReduceL2": reduce { x, dims, keep in x.square().sum(dims: dims, keepdim: keep).sqrt() },
        "ReduceSumSquare": reduce { x, dims, keep in x.square().sum(dims: dims, keepdim: keep) },
        "ReduceLogSum": reduce { x, dims, keep in x.sum(dims: dims, keepdim: keep).log() },
        "ReduceLogSumExp": reduce { x, dims, keep in
            let top = x.amax(dims: dims, keepdim: true).detach()
            return ((x - top).exp().sum(dims: dims, keepdim: true).log() + top).reshapedDropping(dims, keep: keep)
        },
        "ArgMax": { node in try argExtreme(node, max: true) },
        "ArgMin": { node in try argExtreme(node, max: false) },
        "TopK": topK,
        "CumSum": { node in
            try node.requireInputs(2...2)
            if try node.int("exclusive", default: 0) != 0 || node.int("reverse", default: 0) != 0 {
                throw node.unsupported("CumSum with exclusive or reverse")
            }
            return { inputs in
                let x = try inputs.required(0)
                return [x.cumsum(dim: try normalizedAxis(try exactInt(try scalar(inputs.required(1), "axis"), "axis"), rank: x.rank))]
            }
        },
    ]

    /// A reduction whose axes are an attribute before operator set `axesInputFrom` (18 for most,
    /// 13 for ReduceSum) and input 1 from it on; no axes means all of them, unless
    /// `noop_with_empty_axes` makes it the identity.
    private static func reduce(axesInputFrom: Int = 18,
                               _ body: @escaping (Tensor, [Int], Bool) -> Tensor) -> OperatorCompiler {
        { node in
            try node.requireInputs(1...2)
            let keep = try node.int("keepdims", default: 1) == 1
            let noop = try node.int("noop_with_empty_axes", default: 0) == 1
            let attribute = try node.ints("axes")
            return { inputs in
                let x = try inputs.required(0)
                let given = try node.opset < axesInputFrom ? attribute : inputs.optional(1)?.hostInts()
                if (given ?? []).isEmpty && noop { return [x] }
                let dims = try (given.flatMap { $0.isEmpty ? nil : $0 } ?? Array(0..<x.rank)).map { try normalizedAxis($0, rank: x.rank) }
                let input = x.dtype == .int64 ? x.float() : x
                let y = body(input, Array(Set(dims)).sorted(), keep)
                return [x.dtype == .int64 ? y.to(.int64) : y]
            }
        }
    }

    private static func argExtreme(_ node: ONNXNode, max: Bool) throws -> ONNXKernel {
        try node.requireInputs(1...1)
        let axis = try node.int("axis", default: 0)
        let keep = try node.int("keepdims", default: 1) == 1
        if try node.int("select_last_index", default: 0) != 0 { throw node.unsupported("select_last_index 1") }
        return { inputs in
            let x = try inputs.required(0)
            let a = try normalizedAxis(axis, rank: x.rank)
            return [max ? x.argmax(dim: a, keepdim: keep) : x.argmin(dim: a, keepdim: keep)]
        }
    }

    /// K as input 1 from operator set 10, as attribute `k` before.
    private static func topK(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(node.opset < 10 ? 1...1 : 2...2)
        let axis = try node.int("axis", default: -1)
        let largest = try node.int("largest", default: 1) == 1
        let kAttribute = try node.int("k")
        return { inputs in
            let x = try inputs.required(0)
            let k = try node.opset < 10 ? kAttribute ?? 0 : exactInt(try scalar(inputs.required(1), "K"), "K")
            let a = try normalizedAxis(axis, rank: x.rank)
            guard k >= 0 && k <= x.shape[a] else { throw KernelFailure("K = \(k) is out of range for dim \(a) of shape \(x.shape)") }
            let (values, indices) = x.topk(k, dim: a, largest: largest)
            return [values, indices]
        }
    }
}

extension Tensor {
    /// A result reduced with kept dims, with those dims dropped unless `keep`.
    fileprivate func reshapedDropping(_ dims: [Int], keep: Bool) -> Tensor {
        keep ? self : reshape(shape.indices.filter { !dims.contains($0) }.map { shape[$0] })
    }
}
