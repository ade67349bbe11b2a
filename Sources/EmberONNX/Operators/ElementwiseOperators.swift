import Ember

/// Activations, arithmetic, comparisons, logic and casts: one Ember op each, or a short composition.
extension Operators {
    static let elementwise: [String: OperatorCompiler] = [
        "Identity": unary { $0 },
        "Relu": unary { $0.relu() },
        "Sigmoid": unary { $0.sigmoid() },
        "Tanh": unary { $0.tanh() },
        "Exp": unary { $0.exp() },
        "Log": unary { $0.log() },
        "Sqrt": unary { $0.sqrt() },
        "Abs": unary { x in x.dtype == .int64 ? `where`(x.lt(0), -x.float(), x.float()).to(.int64) : x.abs() },
        "Neg": unary { $0.dtype == .int64 ? $0 * Tensor.full([], -1, dtype: .int64, device: $0.device) : -$0 },
        "Erf": unary { $0.erf() },
        "Reciprocal": unary { $0.reciprocal() },
        "Floor": unary { $0.floor() },
        "Ceil": unary { $0.ceil() },
        "Round": unary { $0.round() },
        "Sin": unary { $0.sin() },
        "Cos": unary { $0.cos() },
        "Tan": unary { $0.tan() },
        "Atan": unary { $0.atan() },
        "Sign": unary { x in x.dtype == .int64 ? x.float().sign().to(.int64) : x.sign() },
        "Softplus": unary { $0.softplus() },   // log(1 + e^x), and x itself past 20 (where they agree in float32)
        "Softsign": unary { $0.softsign() },
        "Mish": unary { $0.mish() },
        "HardSwish": unary { $0.hardswish() },
        "IsNaN": unary { $0.ne($0) },
        "IsInf": unary { node in
            let (positive, negative) = (try node.int("detect_positive", default: 1) == 1, try node.int("detect_negative", default: 1) == 1)
            return { x in
                switch (positive, negative) {
                case (true, true): return x.abs().eq(.infinity)
                case (true, false): return x.eq(.infinity)
                case (false, true): return x.eq(-.infinity)
                case (false, false): return Tensor.zeros(x.shape, device: x.device)
                }
            }
        },
        "Not": unary { 1 - $0.ne(0) },
        "LeakyRelu": unary { node in
            let alpha = try node.float("alpha", default: 0.01)
            return { $0.leakyRelu(negativeSlope: alpha) }
        },
        "Elu": unary { node in
            let alpha = try node.float("alpha", default: 1)
            return { $0.elu(alpha: alpha) }
        },
        "Selu": unary { node in
            let alpha = try node.float("alpha", default: 1.67326319217681884765625)
            let gamma = try node.float("gamma", default: 1.05070102214813232421875)
            return { x in gamma * (x.relu() + (alpha * (x.clamp(max: 0).exp() - 1))) }
        },
        "Celu": unary { node in
            let alpha = try node.float("alpha", default: 1)
            return { x in x.relu() + (alpha * ((x / alpha).exp() - 1)).clamp(max: 0) }
        },
        "HardSigmoid": unary { node in
            let alpha = try node.float("alpha", default: 0.2), beta = try node.float("beta", default: 0.5)
            return { x in (alpha * x + beta).clamp(min: 0, max: 1) }
        },
        "ThresholdedRelu": unary { node in
            let alpha = try node.float("alpha", default: 1)
            return { x in x * x.gt(alpha) }
        },
        "Gelu": unary { node in
            switch try node.string("approximate", default: "none") {
            case "none": return { $0.gelu() }
            case "tanh":
                return { x in 0.5 * x * (1 + (Float(0.7978845608028654) * (x + 0.044715 * x * x * x)).tanh()) }
            case let other: throw node.invalid("approximate must be 'none' or 'tanh', got '\(other)'")
            }
        },
        "PRelu": broadcasting { x, slope in x.relu() + slope * x.clamp(max: 0) },
        "Clip": clip,
        "Dropout": dropout,
        "Cast": cast,
        "CastLike": binary { x, like in like.dtype == x.dtype ? x : x.to(like.dtype) },

        "Add": broadcasting { $0 + $1 },
        "Sub": broadcasting { $0 - $1 },
        "Mul": broadcasting { $0 * $1 },
        "Div": broadcasting { a, b in
            // Integer division truncates, as ONNX's (and C's); mixed types divide in float.
            a.dtype == .int64 && b.dtype == .int64 ? a / b : a.float() / b.float()
        },
        "Pow": broadcasting { base, exponent in
            let x = base.float()
            guard exponent.count == 1 else { return x.pow(exponent.float()) }
            // A scalar exponent (x², x^0.5) through the scalar op, which also takes negative bases.
            let y = x.pow(exponent.item())
            let shape = try broadcastShapes(x.shape, exponent.shape)
            return y.shape == shape ? y : y.reshape(shape)
        },
        "Mod": mod,
        "Equal": broadcasting { $0.eq($1) },
        "Greater": broadcasting { $0.gt($1) },
        "Less": broadcasting { $0.lt($1) },
        "GreaterOrEqual": broadcasting { $0.ge($1) },
        "LessOrEqual": broadcasting { $0.le($1) },
        "And": broadcasting { $0.ne(0) * $1.ne(0) },
        "Or": broadcasting { $0.ne(0).maximum($1.ne(0)) },
        "Xor": broadcasting { $0.ne(0).ne($1.ne(0)) },
        "Where": { node in
            try node.requireInputs(3...3)
            return { inputs in
                let (condition, a, b) = (try inputs.required(0), try inputs.required(1), try inputs.required(2))
                _ = try checkedShape(broadcastShapes(broadcastShapes(condition.shape, a.shape), b.shape), "the result")
                return [`where`(condition, a, b)]
            }
        },
        "Sum": variadic { $0 + $1 },
        "Max": variadic { $0.maximum($1) },
        "Min": variadic { $0.minimum($1) },
        "Mean": { node in
            let sum = try variadic { $0 + $1 }(node)
            let n = Float(node.inputCount)
            return { inputs in [try sum(inputs)[0] / n] }
        },
    ]

    /// Sum, Max, Min: any number of broadcasting inputs folded pairwise.
    private static func variadic(_ combine: @escaping (Tensor, Tensor) -> Tensor) -> OperatorCompiler {
        { node in
            guard node.inputCount >= 1 else { throw node.invalid("needs at least one input") }
            return { inputs in
                var result = try inputs.required(0)
                for i in 1..<max(inputs.count, 1) {
                    let next = try inputs.required(i)
                    _ = try broadcastShapes(result.shape, next.shape)
                    result = combine(result, next)
                }
                return [result]
            }
        }
    }

    /// Bounds from inputs 1 and 2 (operator set 11 on) or from attributes `min` and `max` (before).
    private static func clip(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(1...3)
        if node.opset < 11 {
            let lo = try node.float("min", default: -.infinity), hi = try node.float("max", default: .infinity)
            return { inputs in [try inputs.required(0).clamp(min: lo, max: hi)] }
        }
        return { inputs in
            let x = try inputs.required(0)
            let lo = try inputs.optional(1).map { try scalar($0, "min") } ?? -.infinity
            let hi = try inputs.optional(2).map { try scalar($0, "max") } ?? .infinity
            return [x.dtype == .int64 ? x.float().clamp(min: lo, max: hi).to(.int64) : x.clamp(min: lo, max: hi)]
        }
    }

    /// Inference: the identity, and a mask of ones when the graph asks for it. A graph exported for
    /// training (`training_mode` true) is refused: Ember trains with its own `Dropout` module.
    private static func dropout(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(1...3)
        return { inputs in
            let x = try inputs.required(0)
            if let training = inputs.optional(2), try scalar(training, "training_mode") != 0 {
                throw KernelFailure("training_mode is true; Ember runs exported graphs for inference")
            }
            return [x, Tensor.ones(x.shape, device: x.device)]
        }
    }

    private static func cast(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(1...1)
        guard let to = try node.int("to"), let type = Onnx_TensorProto.DataType(rawValue: to), let dtype = type.emberType else {
            throw node.unsupported("cast to data type \(try node.int("to").map(String.init) ?? "(none)"); Ember casts to floating-point, integer and bool types")
        }
        if type == .bool { return { inputs in [try inputs.required(0).ne(0)] } }
        // Integers narrower than int64 wrap around as in C (300 as UINT8 is 44).
        let wrap: ((Int) -> Int)? = switch type {
        case .int8: { Int(Int8(truncatingIfNeeded: $0)) }
        case .uint8: { Int(UInt8(truncatingIfNeeded: $0)) }
        case .int16: { Int(Int16(truncatingIfNeeded: $0)) }
        case .uint16: { Int(UInt16(truncatingIfNeeded: $0)) }
        case .int32: { Int(Int32(truncatingIfNeeded: $0)) }
        case .uint32: { Int(UInt32(truncatingIfNeeded: $0)) }
        default: nil
        }
        return { inputs in
            var x = try inputs.required(0)
            if dtype == .int64 && x.dtype == .float32 {
                // NaN becomes 0 and infinities the ends of int64 (C leaves them undefined; this does not trap).
                let finite = `where`(x.ne(x), Tensor.zeros([], device: x.device), x)
                x = finite.clamp(min: -9.2e18, max: 9.2e18).to(.int64)
            }
            if let wrap {
                return [Tensor(x.toIntArray().map(wrap), shape: x.shape, device: x.device)]
            }
            return [x.dtype == dtype ? x : x.to(dtype)]
        }
    }

    /// fmod 0: the remainder takes the divisor's sign (Python's %); fmod 1: the dividend's (C's fmod).
    private static func mod(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(2...2)
        let cStyle = try node.int("fmod", default: 0) == 1
        return { inputs in
            let (a, b) = (try inputs.required(0), try inputs.required(1))
            if a.dtype == .int64 && b.dtype == .int64 {
                let truncated = a - (a / b) * b
                if cStyle { return [truncated] }
                // Where the remainder and the divisor differ in sign, add the divisor once.
                let adjust = truncated.ne(0) * (truncated.lt(0).ne(b.lt(0)))
                return [truncated + adjust.to(.int64) * b]
            }
            let q = a.float() / b.float()
            return [a - b * (cStyle ? q.trunc() : q.floor())]
        }
    }
}
