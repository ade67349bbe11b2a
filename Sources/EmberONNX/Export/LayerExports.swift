import Ember

/// How Ember's layers write themselves into an exported graph (inference form: dropout is the
/// identity, batch norm uses its running statistics).
extension ONNXExportable {
    /// The layer's own output on the example, which the exported node must reproduce.
    func run(_ x: ONNXValue) -> Tensor { noGrad { self(x.example) } }
}

extension Sequential: ONNXExportable {
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        var x = input
        for (name, layer) in namedChildren() { x = try graph.call(layer, x, as: name) }
        return x
    }
}

extension Linear: ONNXExportable {
    /// Gemm on a matrix (as PyTorch exports it); MatMul by the weight's transpose, plus the bias,
    /// on inputs of other ranks.
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let w = graph.weight(weight, name: "weight")
        let b = bias.map { graph.weight($0, name: "bias") }
        if x.example.rank == 2 {
            return graph.node("Gemm", [x.name, w] + (b.map { [$0] } ?? []), attributes: ["transB": .int(1)], example: run(x))
        }
        let wt = graph.node("Transpose", [w], attributes: ["perm": .ints([1, 0])])
        let product = graph.node("MatMul", [x.name, wt])
        return ONNXValue(name: b.map { graph.node("Add", [product, $0]) } ?? product, example: run(x))
    }
}

extension Conv2d: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let (kh, kw) = kernelSize
        var pads: [Int]
        switch padding {
        case .valid: pads = [0, 0, 0, 0]
        case .explicit(let ph, let pw): pads = [ph, pw, ph, pw]
        case .same:
            // PyTorch's "same": the extra row/column at the end.
            let (th, tw) = (dilation.0 * (kh - 1), dilation.1 * (kw - 1))
            pads = [th / 2, tw / 2, th - th / 2, tw - tw / 2]
        }
        var input = x.name
        if paddingMode != .zeros && pads.contains(where: { $0 != 0 }) {
            let mode = paddingMode == .reflect ? "reflect" : paddingMode == .replicate ? "edge" : "wrap"
            let padAmounts = graph.constant(Tensor([0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]], shape: [8]), hint: "pads")
            input = graph.node("Pad", [input, padAmounts], attributes: ["mode": .string(mode)])
            pads = [0, 0, 0, 0]
        }
        let w = graph.weight(weight, name: "weight")
        let b = bias.map { graph.weight($0, name: "bias") }
        return graph.node("Conv", [input, w] + (b.map { [$0] } ?? []), attributes: [
            "kernel_shape": .ints([kh, kw]), "strides": .ints([stride.0, stride.1]), "pads": .ints(pads),
            "dilations": .ints([dilation.0, dilation.1]), "group": .int(groups),
        ], example: run(x))
    }
}

extension MaxPool2d: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        graph.node("MaxPool", [x.name], attributes: [
            "kernel_shape": .ints([kernelSize.0, kernelSize.1]), "strides": .ints([stride.0, stride.1]),
            "pads": .ints([padding.0, padding.1, padding.0, padding.1]), "dilations": .ints([dilation.0, dilation.1]),
            "ceil_mode": .int(ceilMode ? 1 : 0),
        ], example: run(x))
    }
}

extension AvgPool2d: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        if divisorOverride != nil {
            throw ONNXError.unsupported("exporting AvgPool2d with divisorOverride: ONNX's AveragePool divides by the window's size")
        }
        return graph.node("AveragePool", [x.name], attributes: [
            "kernel_shape": .ints([kernelSize.0, kernelSize.1]), "strides": .ints([stride.0, stride.1]),
            "pads": .ints([padding.0, padding.1, padding.0, padding.1]), "count_include_pad": .int(countIncludePad ? 1 : 0),
            "ceil_mode": .int(ceilMode ? 1 : 0),
        ], example: run(x))
    }
}

extension AdaptiveAvgPool2d: ONNXExportable {
    /// Global pooling (output 1 × 1), or fixed windows when the output divides the example's size.
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        if outputSize == (1, 1) { return graph.node("GlobalAveragePool", [x.name], example: run(x)) }
        let (h, w) = (x.example.shape[2], x.example.shape[3])
        guard h % outputSize.0 == 0 && w % outputSize.1 == 0 else {
            throw ONNXError.unsupported("exporting AdaptiveAvgPool2d to \(outputSize) from \(h) × \(w): ONNX pools with fixed windows, which need the output to divide the input")
        }
        let kernel = [h / outputSize.0, w / outputSize.1]
        return graph.node("AveragePool", [x.name], attributes: ["kernel_shape": .ints(kernel), "strides": .ints(kernel)],
                          example: run(x))
    }
}

extension BatchNormBase: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        guard trackRunningStats else {
            throw ONNXError.unsupported("exporting a batch norm without running statistics (trackRunningStats false)")
        }
        let scale = graph.weight(weight ?? Tensor.ones([numFeatures]), name: "weight")
        let shift = graph.weight(bias ?? Tensor.zeros([numFeatures]), name: "bias")
        let mean = graph.weight(runningMean, name: "running_mean")
        let variance = graph.weight(runningVar, name: "running_var")
        return graph.node("BatchNormalization", [x.name, scale, shift, mean, variance],
                          attributes: ["epsilon": .float(eps)], example: run(x))
    }
}

extension LayerNorm: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let scale = graph.weight(weight ?? Tensor.ones(normalizedShape), name: "weight")
        let shift = bias.map { graph.weight($0, name: "bias") }
        return graph.node("LayerNormalization", [x.name, scale] + (shift.map { [$0] } ?? []),
                          attributes: ["axis": .int(-normalizedShape.count), "epsilon": .float(eps)], example: run(x))
    }
}

extension Flatten: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let rank = x.example.rank
        let start = startDim < 0 ? startDim + rank : startDim, end = endDim < 0 ? endDim + rank : endDim
        if end == rank - 1 { return graph.node("Flatten", [x.name], attributes: ["axis": .int(start)], example: run(x)) }
        // Dims before start and after end kept (0 copies a dim), the ones between merged (-1).
        let shape = (0..<start).map { _ in 0 } + [-1] + x.example.shape[(end + 1)...]
        return graph.node("Reshape", [x.name, graph.constant(Tensor(Array(shape), shape: [shape.count]), hint: "shape")],
                          example: run(x))
    }
}

extension Softmax: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        graph.node("Softmax", [x.name], attributes: ["axis": .int(dim)], example: run(x))
    }
}

extension LogSoftmax: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        graph.node("LogSoftmax", [x.name], attributes: ["axis": .int(dim)], example: run(x))
    }
}

extension ReLU: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        graph.node("Relu", [x.name], example: run(x))
    }
}

extension Sigmoid: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        graph.node("Sigmoid", [x.name], example: run(x))
    }
}

extension Tanh: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        graph.node("Tanh", [x.name], example: run(x))
    }
}

extension LeakyReLU: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        graph.node("LeakyRelu", [x.name], attributes: ["alpha": .float(negativeSlope)], example: run(x))
    }
}

extension ELU: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        graph.node("Elu", [x.name], attributes: ["alpha": .float(alpha)], example: run(x))
    }
}

extension SiLU: ONNXExportable {
    /// x · sigmoid(x) (operator set 17 has no SiLU).
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let gate = graph.node("Sigmoid", [x.name])
        return graph.node("Mul", [x.name, gate], example: run(x))
    }
}

extension GELU: ONNXExportable {
    /// x · (1 + erf(x / √2)) / 2, as PyTorch exports it for operator sets before 20.
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let scaled = graph.node("Mul", [x.name, graph.constant(Tensor(Float(0.5).squareRoot()), hint: "rsqrt2")])
        let onePlus = graph.node("Add", [graph.node("Erf", [scaled]), graph.constant(Tensor(Float(1)), hint: "one")])
        let half = graph.node("Mul", [x.name, graph.constant(Tensor(Float(0.5)), hint: "half")])
        return graph.node("Mul", [half, onePlus], example: run(x))
    }
}

extension DropoutBase: ONNXExportable {
    /// The identity: an exported graph is an inference graph.
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue { x }
}

extension Identity: ONNXExportable {
    public func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue { x }
}

extension LazyLayer: ONNXExportable {
    /// Exports the layer it created, under the lazy layer's name (run a batch through it first).
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        guard let layer else {
            throw ONNXError.unsupported("exporting \(type(of: self)): it has no weights yet; run a batch through the model first")
        }
        return try graph.call(layer, input, as: "")
    }
}
