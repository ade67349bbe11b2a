import Ember

/// Matrix products: Gemm (a Linear layer when it has that form), MatMul and Einsum.
extension Operators {
    static let products: [String: OperatorCompiler] = [
        "Gemm": gemm,
        "MatMul": binary { a, b in
            try checkMatmul(a.shape, b.shape)
            // Integer products go through float32 (exact while the sums stay below 2^24).
            return a.dtype == .int64 && b.dtype == .int64 ? a.float().matmul(b.float()).to(.int64) : a.float().matmul(b.float())
        },
        "Einsum": { node in
            let equation = try node.string("equation", default: "")
            guard !equation.isEmpty else { throw node.invalid("has no equation") }
            let operands = (equation.components(separatedBy: "->").first ?? "").split(separator: ",", omittingEmptySubsequences: false).count
            guard operands == node.inputCount else {
                throw node.invalid("equation '\(equation)' has \(operands) operands, the node \(node.inputCount) inputs")
            }
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
            guard a.rank == 2, b.rank == 2, a.shape[transA ? 0 : 1] == b.shape[transB ? 1 : 0] else {
                throw KernelFailure("Gemm takes matrices whose inner dims agree, got shapes \(a.shape) and \(b.shape) (transA \(transA), transB \(transB))")
            }
            let c = beta == 0 ? nil : inputs.optional(2)   // beta 0 ignores C, infinities included
            if transB && !transA && alpha == 1 && beta == 1 && (c.map { $0.shape == [b.shape[0]] } ?? true) {
                return [linear(a, weight: b, bias: c)]
            }
            var y = (transA ? a.t() : a).matmul(transB ? b.t() : b)
            if alpha != 1 { y = y * alpha }
            if let c {
                guard try broadcastShapes(y.shape, c.shape) == y.shape else {
                    throw KernelFailure("C of shape \(c.shape) does not broadcast to the product's shape \(y.shape)")
                }
                y = y + (beta == 1 ? c : c * beta)
            }
            return [y]
        }
    }
}

/// Checks MatMul's shapes as NumPy's matmul takes them: 1-D operands gain and lose a dim, the inner
/// dims agree and the batch dims broadcast.
func checkMatmul(_ a: [Int], _ b: [Int]) throws {
    guard !a.isEmpty, !b.isEmpty else { throw KernelFailure("MatMul of scalars (shapes \(a) and \(b))") }
    let left = a.count == 1 ? [1] + a : a, right = b.count == 1 ? b + [1] : b
    guard left[left.count - 1] == right[right.count - 2] else {
        throw KernelFailure("MatMul of shapes \(a) and \(b): the inner dims \(left[left.count - 1]) and \(right[right.count - 2]) differ")
    }
    _ = try broadcastShapes(Array(left.dropLast(2)), Array(right.dropLast(2)))
}
