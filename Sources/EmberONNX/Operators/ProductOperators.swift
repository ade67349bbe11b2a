import Ember

/// Matrix products: Gemm (a Linear layer when it has that form), MatMul and Einsum.
extension Operators {
    static let products: [String: OperatorCompiler] = [
        "Gemm": gemm,
        "MatMul": binary { a, b in
            // Integer products go through float32 (exact while the sums stay below 2^24).
            a.dtype == .int64 && b.dtype == .int64 ? a.float().matmul(b.float()).to(.int64) : a.float().matmul(b.float())
        },
        "Einsum": { node in
            let equation = try node.string("equation", default: "")
            guard !equation.isEmpty else { throw node.invalid("has no equation") }
            return { inputs in [einsum(equation, try inputs.indices.map { try inputs.required($0) })] }
        },
    ]

    /// alpha·A'·B' + beta·C, with A' and B' transposed as transA and transB ask. The form exporters
    /// give a Linear layer (transB, alpha = beta = 1) runs as Ember's `linear`: one product through
    /// BLAS with the weight's transpose flag, bias added in the same pass.
    private static func gemm(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(2...3)
        let alpha = try node.float("alpha", default: 1), beta = try node.float("beta", default: 1)
        let transA = try node.int("transA", default: 0) == 1, transB = try node.int("transB", default: 0) == 1
        return { inputs in
            let (a, b) = (try inputs.required(0), try inputs.required(1))
            guard a.rank == 2, b.rank == 2 else {
                throw KernelFailure("Gemm takes matrices, got shapes \(a.shape) and \(b.shape)")
            }
            let c = beta == 0 ? nil : inputs.optional(2)   // beta 0 ignores C, infinities included
            if transB && !transA && alpha == 1 && beta == 1 && (c.map { $0.shape == [b.shape[0]] } ?? true) {
                return [linear(a, weight: b, bias: c)]
            }
            var y = (transA ? a.t() : a).matmul(transB ? b.t() : b)
            if alpha != 1 { y = y * alpha }
            if let c { y = y + (beta == 1 ? c : c * beta) }
            return [y]
        }
    }
}
