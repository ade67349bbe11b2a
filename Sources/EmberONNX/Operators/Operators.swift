import Ember

/// The operators Ember runs, by ONNX name, gathered from the files of this folder.
enum Operators {
    static let table: [String: OperatorCompiler] = {
        var table: [String: OperatorCompiler] = [:]
        for group in [elementwise, products, convolutions, normalizations, shapes, reductions, resizing] {
            table.merge(group) { first, _ in first }
        }
        return table
    }()

    static func compiler(for opType: String) -> OperatorCompiler? { table[opType] }
    static var supported: [String] { table.keys.sorted() }

    // MARK: Building blocks

    /// An operator of one input and one output.
    static func unary(_ body: @escaping (Tensor) -> Tensor) -> OperatorCompiler {
        { node in
            try node.requireInputs(1...1)
            return { inputs in [body(try inputs.required(0))] }
        }
    }

    /// An operator of one input whose attributes are read once, when the model loads.
    static func unary(_ make: @escaping (ONNXNode) throws -> (Tensor) -> Tensor) -> OperatorCompiler {
        { node in
            try node.requireInputs(1...1)
            let body = try make(node)
            return { inputs in [body(try inputs.required(0))] }
        }
    }

    /// An element-wise operator of two inputs whose shapes must broadcast (checked here, so that a
    /// broken model gets an error naming the node rather than stopping in Ember's op).
    static func broadcasting(_ body: @escaping (Tensor, Tensor) throws -> Tensor) -> OperatorCompiler {
        binary { a, b in
            _ = try broadcastShapes(a.shape, b.shape)
            return try body(a, b)
        }
    }

    /// An operator of two inputs.
    static func binary(_ body: @escaping (Tensor, Tensor) throws -> Tensor) -> OperatorCompiler {
        { node in
            try node.requireInputs(2...2)
            return { inputs in [try body(inputs.required(0), inputs.required(1))] }
        }
    }
}

/// An axis that may count from the end (-1 is the last), checked against a rank.
func normalizedAxis(_ axis: Int, rank: Int) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0 && a < max(rank, 1) else {
        throw KernelFailure("axis \(axis) is out of range for a tensor of rank \(rank)")
    }
    return a
}

/// The value of a one-element tensor given as an input (a bound, an exponent, a count).
func scalar(_ t: Tensor, _ what: String) throws -> Float {
    guard t.count == 1 else { throw KernelFailure("\(what) must hold one value, got shape \(t.shape)") }
    return t.item()
}
