import Ember

/// Shapes, views, joins, indexing and constants. Operators that take a shape, axes, pads or bounds
/// as an input tensor read its (few) values on the host.
extension Operators {
    static let shapes: [String: OperatorCompiler] = [
        "Constant": constant,
        "ConstantOfShape": constantOfShape,
        "Shape": shape,
        "Size": unary { x in Tensor([x.count], shape: []) },
        "Reshape": reshape,
        "Flatten": { node in
            try node.requireInputs(1...1)
            let axis = try node.int("axis", default: 1)
            return { inputs in
                let x = try inputs.required(0)
                let a = axis < 0 ? axis + x.rank : axis
                guard a >= 0 && a <= x.rank else { throw KernelFailure("axis \(axis) is out of range for shape \(x.shape)") }
                return [x.reshape([x.shape[..<a].reduce(1, *), x.shape[a...].reduce(1, *)])]
            }
        },
        "Transpose": { node in
            try node.requireInputs(1...1)
            let perm = try node.ints("perm")
            return { inputs in
                let x = try inputs.required(0)
                let order = perm ?? Array((0..<x.rank).reversed())
                guard order.sorted() == Array(0..<x.rank) else {
                    throw KernelFailure("perm \(order) is not a permutation of the dims of shape \(x.shape)")
                }
                return [x.permute(order)]
            }
        },
        "Squeeze": squeeze,
        "Unsqueeze": unsqueeze,
        "Concat": { node in
            guard let axis = try node.int("axis") else { throw node.invalid("needs an axis") }
            guard node.inputCount >= 1 else { throw node.invalid("needs at least one input") }
            return { inputs in
                let parts = try inputs.indices.map { try inputs.required($0) }
                guard parts.allSatisfy({ $0.rank == parts[0].rank && $0.rank >= 1 }) else {
                    throw KernelFailure("inputs of shapes \(parts.map(\.shape)) differ in rank or are scalars")
                }
                let a = try normalizedAxis(axis, rank: parts[0].rank)
                for part in parts where part.shape.indices.contains(where: { $0 != a && part.shape[$0] != parts[0].shape[$0] }) {
                    throw KernelFailure("inputs of shapes \(parts.map(\.shape)) differ outside axis \(a)")
                }
                // Mixed integer and float parts (a constant and a shape) join as float.
                let sameType = parts.allSatisfy { $0.dtype == parts[0].dtype }
                return [Tensor.cat(sameType ? parts : parts.map { $0.float() }, dim: a)]
            }
        },
        "Split": split,
        "Slice": slice,
        "Gather": gather,
        "GatherElements": { node in
            try node.requireInputs(2...2)
            let axis = try node.int("axis", default: 0)
            return { inputs in
                let (x, index) = (try inputs.required(0), try inputs.required(1))
                guard x.rank >= 1 && index.rank == x.rank else {
                    throw KernelFailure("indices of shape \(index.shape) do not fit data of shape \(x.shape)")
                }
                let a = try normalizedAxis(axis, rank: x.rank)
                let wrapped = try wrappedIndices(index, size: x.shape[a], what: "dim \(a) of shape \(x.shape)", device: x.device)
                return [x.gather(dim: a, indices: wrapped.reshape(index.shape))]
            }
        },
        "Expand": binary { x, shape in
            let target = try checkedShape(broadcastShapes(x.shape, shape.hostInts()), "the expanded shape")
            return x.expand(target)
        },
        "Tile": binary { x, repeats in
            let counts = try repeats.hostInts()
            guard counts.count == x.rank, counts.allSatisfy({ $0 >= 0 }) else {
                throw KernelFailure("repeats \(counts) must give a count of at least 0 for each dim of shape \(x.shape)")
            }
            _ = try checkedShape(x.shape + counts, "the tiled shape")   // its element count bounds the tiled one
            return x.repeat(counts)
        },
        "Range": range,
        "Pad": padOperator,
        "Trilu": { node in
            try node.requireInputs(1...2)
            let upper = try node.int("upper", default: 1) == 1
            return { inputs in
                let x = try inputs.required(0)
                let k = try inputs.optional(1).map { try exactInt(try scalar($0, "k"), "k") } ?? 0
                return [upper ? x.triu(diagonal: k) : x.tril(diagonal: k)]
            }
        },
    ]

    private static func constant(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(0...0)
        let value: Tensor
        if let proto = try node.tensor("value") {
            value = try TensorDecoder(baseDirectory: node.baseDirectory).tensor(proto, what: "the value of \(node.label)")
        } else if let f = try node.floats("value_floats") {
            value = Tensor(f, shape: [f.count])
        } else if let i = try node.ints("value_ints") {
            value = Tensor(i, shape: [i.count])
        } else if node.attributeNames.contains("value_float") {
            value = Tensor(try node.float("value_float", default: 0))
        } else if let i = try node.int("value_int") {
            value = Tensor([i], shape: [])
        } else {
            throw node.unsupported("a Constant without a numeric value (attributes \(node.attributeNames.sorted()))")
        }
        return { _ in [value] }
    }

    private static func constantOfShape(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(1...1)
        let fill = try node.tensor("value").map { try TensorDecoder(baseDirectory: node.baseDirectory).tensor($0, what: "the value of \(node.label)") }
        return { inputs in
            let shape = try checkedShape(inputs.required(0).hostInts(), "shape")
            guard let fill else { return [Tensor.zeros(shape)] }
            guard fill.count == 1 else { throw KernelFailure("value must hold one element, got shape \(fill.shape)") }
            if fill.dtype == .int64 {   // built from Ints: an int64 fill past 2^24 stays exact
                return [Tensor(Array(repeating: fill.toIntArray()[0], count: shape.reduce(1, *)), shape: shape)]
            }
            return [Tensor.full(shape, fill.item(), dtype: fill.dtype)]
        }
    }

    private static func shape(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(1...1)
        let start = try node.int("start", default: 0), end = try node.int("end")
        return { inputs in
            let dims = try inputs.required(0).shape
            func clamped(_ i: Int) -> Int { min(max(i < 0 ? i + dims.count : i, 0), dims.count) }
            let (s, e) = (clamped(start), clamped(end ?? dims.count))
            let values = s < e ? Array(dims[s..<e]) : []
            return [Tensor(values, shape: [values.count])]
        }
    }

    /// 0 keeps the input's dim (unless allowzero), -1 takes what is left.
    private static func reshape(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(2...2)
        let allowZero = try node.int("allowzero", default: 0) == 1
        return { inputs in
            let x = try inputs.required(0)
            var target = try inputs.required(1).hostInts()
            for i in target.indices where target[i] == 0 && !allowZero {
                guard i < x.rank else { throw KernelFailure("shape \(target) copies dim \(i) of an input of shape \(x.shape)") }
                target[i] = x.shape[i]
            }
            guard target.allSatisfy({ $0 >= -1 }) else { throw KernelFailure("shape \(target) has a dim below -1") }
            let known = try checkedShape(target.filter { $0 != -1 }, "shape").reduce(1, *)
            guard target.filter({ $0 == -1 }).count <= 1,
                  target.contains(-1) ? (known > 0 && x.count % known == 0) : known == x.count else {
                throw KernelFailure("cannot reshape a tensor of shape \(x.shape) (\(x.count) elements) to \(target)")
            }
            return [x.reshape(target)]
        }
    }

    /// Axes from an attribute (before operator set 13) or from input 1.
    private static func axes(_ node: ONNXNode, _ inputs: [Tensor?], attribute: [Int]?) throws -> [Int]? {
        try node.opset < 13 ? attribute : inputs.optional(1)?.hostInts()
    }

    private static func squeeze(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(1...2)
        let attribute = try node.ints("axes")
        return { inputs in
            let x = try inputs.required(0)
            let given = try axes(node, inputs, attribute: attribute)
            let dims = try (given ?? x.shape.indices.filter { x.shape[$0] == 1 }).map { try normalizedAxis($0, rank: x.rank) }
            for d in dims where x.shape[d] != 1 {
                throw KernelFailure("cannot squeeze dim \(d) of shape \(x.shape): its size is not 1")
            }
            let kept = x.shape.indices.filter { !dims.contains($0) }.map { x.shape[$0] }
            return [x.reshape(kept)]
        }
    }

    private static func unsqueeze(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(1...2)
        let attribute = try node.ints("axes")
        return { inputs in
            let x = try inputs.required(0)
            guard let given = try axes(node, inputs, attribute: attribute) else { throw KernelFailure("no axes given") }
            let rank = x.rank + given.count
            let dims = Set(try given.map { try normalizedAxis($0, rank: rank) })
            guard dims.count == given.count else { throw KernelFailure("axes \(given) repeat a dim") }
            var source = x.shape.makeIterator()
            let shape = (0..<rank).map { dims.contains($0) ? 1 : source.next()! }
            return [x.reshape(shape)]
        }
    }

    /// Sizes from input 1 (operator set 13 on) or the `split` attribute, else `num_outputs` or one
    /// equal part per output (the last smaller when the dim does not divide).
    private static func split(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(1...2)
        let axis = try node.int("axis", default: 0)
        let attribute = try node.ints("split")
        let parts = node.outputCount
        guard parts >= 1 else { throw node.invalid("has no outputs") }
        return { inputs in
            let x = try inputs.required(0)
            guard x.rank >= 1 else { throw KernelFailure("cannot split a scalar") }
            let a = try normalizedAxis(axis, rank: x.rank)
            let n = x.shape[a]
            let sizes = try (node.opset < 13 ? attribute : inputs.optional(1)?.hostInts())
                ?? { let chunk = (n + parts - 1) / parts; return (0..<parts).map { min(chunk, max(0, n - $0 * chunk)) } }()
            guard sizes.count == parts, sizes.reduce(0, +) == n, sizes.allSatisfy({ $0 >= 0 }) else {
                throw KernelFailure("split sizes \(sizes) do not divide dim \(a) of shape \(x.shape) into \(parts) outputs")
            }
            var start = 0
            return sizes.map { size in
                defer { start += size }
                return x.narrow(a, start: start, length: size)
            }
        }
    }

    /// starts, ends, axes and steps as inputs (operator set 10 on) or attributes (before); bounds
    /// clamp as Python's slices do, and a negative step walks backwards.
    private static func slice(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(node.opset < 10 ? 1...1 : 3...5)
        let (startsAttribute, endsAttribute, axesAttribute) = (try node.ints("starts"), try node.ints("ends"), try node.ints("axes"))
        return { inputs in
            var x = try inputs.required(0)
            let starts = try node.opset < 10 ? startsAttribute.unwrap("starts") : inputs.required(1).hostInts()
            let ends = try node.opset < 10 ? endsAttribute.unwrap("ends") : inputs.required(2).hostInts()
            let axes = try (node.opset < 10 ? axesAttribute : inputs.optional(3)?.hostInts()) ?? Array(0..<starts.count)
            let steps = try (node.opset < 10 ? nil : inputs.optional(4)?.hostInts()) ?? Array(repeating: 1, count: starts.count)
            guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
                throw KernelFailure("starts \(starts), ends \(ends), axes \(axes) and steps \(steps) differ in length")
            }
            for i in starts.indices {
                let a = try normalizedAxis(axes[i], rank: x.rank)
                let n = x.shape[a], step = steps[i]
                guard step != 0 && step != Int.min else { throw KernelFailure("a step of \(step)") }
                func wrapped(_ v: Int) -> Int { v < 0 ? v + n : v }
                if step > 0 {
                    let s = min(max(wrapped(starts[i]), 0), n), e = min(max(wrapped(ends[i]), 0), n)
                    x = x.slice(a, start: s, end: max(s, e), step: step)
                } else {
                    // Backwards from start (at most n - 1) down to end (exclusive, at least -1): the same
                    // walk forwards over the flipped dim.
                    guard n > 0 else { continue }
                    let s = min(max(wrapped(starts[i]), 0), n - 1), e = min(max(wrapped(ends[i]), -1), n - 1)
                    let (fs, fe) = (n - 1 - s, n - 1 - e)
                    x = x.flip([a]).slice(a, start: fs, end: max(fs, fe), step: -step)
                }
            }
            return [x]
        }
    }

    /// Entries of `axis` at the indices (any shape, negative ones counting from the end): the
    /// indices' dims replace that axis.
    private static func gather(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(2...2)
        let axis = try node.int("axis", default: 0)
        return { inputs in
            let (x, indices) = (try inputs.required(0), try inputs.required(1))
            guard x.rank >= 1 else { throw KernelFailure("cannot gather from a scalar") }
            let a = try normalizedAxis(axis, rank: x.rank)
            let n = x.shape[a]
            let flat = try wrappedIndices(indices, size: n, what: "dim \(a) of shape \(x.shape)", device: x.device)
            let picked = x.indexSelect(dim: a, indices: flat)
            return [picked.reshape(Array(x.shape[..<a]) + indices.shape + Array(x.shape[(a + 1)...]))]
        }
    }

    /// Indices flattened, checked and with negative ones counted from the end (read on the host:
    /// index tensors are small next to what they select).
    private static func wrappedIndices(_ indices: Tensor, size n: Int, what: String, device: Device) throws -> Tensor {
        let values = try indices.hostInts().map { i in
            guard i >= -n && i < n else { throw KernelFailure("index \(i) is out of range for \(what)") }
            return i < 0 ? i + n : i
        }
        return Tensor(values, shape: [values.count], device: device)
    }

    private static func range(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(3...3)
        return { inputs in
            let (start, limit, delta) = (try inputs.required(0), try inputs.required(1), try inputs.required(2))
            if start.dtype == .int64 && limit.dtype == .int64 && delta.dtype == .int64 {
                // In Int, exactly: ceil((limit - start) / delta) elements.
                let (s, l, d) = (try start.hostInts()[0], try limit.hostInts()[0], try delta.hostInts()[0])
                let (span, overflow) = l.subtractingReportingOverflow(s)
                guard d != 0, !overflow else { throw KernelFailure("start \(s), limit \(l) and delta \(d) give no range") }
                let count = span == 0 || (span > 0) != (d > 0) ? 0 : (span.magnitude + d.magnitude - 1) / d.magnitude
                guard count <= UInt(maxElements) else { throw KernelFailure("the range holds \(count) elements, more than \(maxElements)") }
                return [Tensor((0..<Int(count)).map { s + $0 * d }, shape: [Int(count)])]
            }
            let (s, l, d) = (try scalar(start, "start"), try scalar(limit, "limit"), try scalar(delta, "delta"))
            guard s.isFinite && l.isFinite && d.isFinite && d != 0 else {
                throw KernelFailure("start \(s), limit \(l) and delta \(d) must be finite, with delta not 0")
            }
            let steps: Double = ((Double(l) - Double(s)) / Double(d)).rounded(.up)
            guard steps <= Double(maxElements) else { throw KernelFailure("the range holds \(steps) elements, more than \(maxElements)") }
            let count = max(Int(steps), 0)
            return [Tensor((0..<count).map { s + Float($0) * d }, shape: [count])]
        }
    }

    /// Pads (and crops, with negative pads) by `pads` [begin..., end...] for every dim or for `axes`.
    private static func padOperator(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(node.opset < 11 ? 1...1 : 2...4)
        let mode: PadMode
        switch try node.string("mode", default: "constant") {
        case "constant": mode = .constant
        case "reflect": mode = .reflect
        case "edge": mode = .replicate
        case "wrap": mode = .circular
        case let other: throw node.invalid("mode must be constant, reflect, edge or wrap, got '\(other)'")
        }
        let (padsAttribute, valueAttribute) = (try node.ints("pads"), try node.float("value", default: 0))
        return { inputs in
            let x = try inputs.required(0)
            let pads = try node.opset < 11 ? padsAttribute.unwrap("pads") : inputs.required(1).hostInts()
            let value = node.opset < 11 ? valueAttribute : try inputs.optional(2).map { try scalar($0, "constant_value") } ?? 0
            let axes = try (inputs.optional(3)?.hostInts() ?? Array(0..<x.rank)).map { try normalizedAxis($0, rank: x.rank) }
            guard pads.count == 2 * axes.count else {
                throw KernelFailure("pads \(pads) do not give a begin and an end for each of \(axes.count) axes")
            }
            guard pads.allSatisfy({ abs($0) <= maxElements }) else { throw KernelFailure("pads \(pads) are out of range") }
            var begin = Array(repeating: 0, count: x.rank), end = Array(repeating: 0, count: x.rank)
            for (i, a) in axes.enumerated() { (begin[a], end[a]) = (pads[i], pads[i + axes.count]) }
            let outShape = x.shape.indices.map { x.shape[$0] + begin[$0] + end[$0] }
            guard outShape.allSatisfy({ $0 >= 0 }) else { throw KernelFailure("pads \(pads) crop more than shape \(x.shape) holds") }
            _ = try checkedShape(outShape, "the padded shape")
            // `pad` takes (before, after) pairs from the last dim backwards; it crops (negative pads)
            // in constant mode only, so crops come first and the other modes pad what is left.
            func torchPads(_ keep: (Int) -> Int) -> [Int] {
                let first = begin.indices.first { keep(begin[$0]) != 0 || keep(end[$0]) != 0 } ?? x.rank
                return (first..<x.rank).reversed().flatMap { [keep(begin[$0]), keep(end[$0])] }
            }
            var y = x
            let crops = torchPads { min($0, 0) }, grows = torchPads { max($0, 0) }
            if !crops.isEmpty { y = pad(y, crops) }
            if !grows.isEmpty { y = pad(y, grows, mode: mode, value: value) }
            return [y]
        }
    }
}

extension Optional where Wrapped == [Int] {
    func unwrap(_ name: String) throws -> [Int] {
        guard let self else { throw KernelFailure("attribute '\(name)' is missing") }
        return self
    }
}

/// The broadcast of two shapes (NumPy's rules, as Expand and the element-wise operators take them),
/// as a node's error when they do not broadcast.
func broadcastShapes(_ a: [Int], _ b: [Int]) throws -> [Int] {
    do {
        return try Shape.broadcast(a, b, op: "broadcast")
    } catch {
        throw KernelFailure("shapes \(a) and \(b) do not broadcast")
    }
}
