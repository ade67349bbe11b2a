import Ember

/// Conv, ConvTranspose and the pooling operators, 1-D and 2-D. A 1-D input [N, C, L] runs as a
/// 2-D one [N, C, 1, L], so every case goes through Ember's 2-D kernels.
extension Operators {
    static let convolutions: [String: OperatorCompiler] = [
        "Conv": conv,
        "ConvTranspose": convTranspose,
        "MaxPool": { node in try pool(node, max: true) },
        "AveragePool": { node in try pool(node, max: false) },
        "GlobalAveragePool": unary { x in x.mean(dims: Array(2..<x.rank), keepdim: true) },
        "GlobalMaxPool": unary { x in x.amax(dims: Array(2..<x.rank), keepdim: true) },
    ]

    private static func conv(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(2...3)
        let window = try Window(node)
        let groups = try node.int("group", default: 1)
        return { inputs in
            let (x, weight) = (try inputs.required(0), try inputs.required(1))
            let bias = inputs.optional(2)
            let flat = try Spatial(x, weight: weight, node: "Conv")
            let kernel = Array(weight.shape.dropFirst(2))
            guard weight.shape[0] % groups == 0, weight.shape[1] * groups == x.shape[1],
                  bias.map({ $0.shape == [weight.shape[0]] }) ?? true else {
                throw KernelFailure("input of shape \(x.shape), weight of shape \(weight.shape), bias of shape \(bias?.shape ?? []) and \(groups) group(s) do not fit together")
            }
            let geometry = try window.resolve(input: flat.sizes, kernel: kernel, ceil: false)
            try geometry.checkFits(input: flat.liftPair(flat.sizes, fill: 1), kernel: flat.liftPair(kernel, fill: 1))
            var input = flat.input
            let padding: Padding
            if geometry.symmetric {
                padding = .explicit(geometry.begin[0], geometry.begin[1])
            } else {
                input = pad(input, geometry.torchPadding)
                padding = .valid
            }
            let y = conv2d(input, weight: flat.lift(weight), bias: bias, stride: (geometry.strides[0], geometry.strides[1]),
                           padding: padding, dilation: (geometry.dilations[0], geometry.dilations[1]), groups: groups)
            return [flat.lower(y)]
        }
    }

    private static func convTranspose(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(2...3)
        let window = try Window(node)
        let groups = try node.int("group", default: 1)
        let outputPaddingAttribute = try node.ints("output_padding")
        let outputShape = try node.ints("output_shape")
        let autoPad = try node.string("auto_pad", default: "NOTSET")
        return { inputs in
            let (x, weight) = (try inputs.required(0), try inputs.required(1))
            let bias = inputs.optional(2)
            let flat = try Spatial(x, weight: weight, node: "ConvTranspose")
            let kernel = Array(weight.shape.dropFirst(2))
            guard weight.shape[0] == x.shape[1], weight.shape[0] % groups == 0,
                  bias.map({ $0.shape == [weight.shape[1] * groups] }) ?? true else {
                throw KernelFailure("input of shape \(x.shape), weight of shape \(weight.shape), bias of shape \(bias?.shape ?? []) and \(groups) group(s) do not fit together")
            }
            let spatial = 2   // every per-dim list below is lifted to (height, width)
            let strides = flat.liftPair(window.strides ?? Array(repeating: 1, count: kernel.count), fill: 1)
            let dilations = flat.liftPair(window.dilations ?? Array(repeating: 1, count: kernel.count), fill: 1)
            let liftedKernel = flat.liftPair(kernel, fill: 1)
            let outputPadding = flat.liftPair(outputPaddingAttribute ?? Array(repeating: 0, count: kernel.count), fill: 0)
            // The output before any padding is removed: (in - 1)·stride + (k - 1)·dilation + 1.
            let sizes = flat.liftPair(flat.sizes, fill: 1)
            var full: [Int] = []
            for i in 0..<spatial {
                let reach: Int = (liftedKernel[i] - 1) * dilations[i] + 1
                full.append((sizes[i] - 1) * strides[i] + reach)
            }
            var begin: [Int], end: [Int]
            if let outputShape {
                // The padding that gives output_shape (negative when it asks for more: zeros at the edges).
                let target = flat.liftPair(Array(outputShape.suffix(kernel.count)), fill: 1)
                let total = (0..<spatial).map { full[$0] + outputPadding[$0] - target[$0] }
                begin = total.map { autoPad == "SAME_UPPER" ? $0 / 2 : $0 - $0 / 2 }
                end = zip(total, begin).map { $0 - $1 }
            } else if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
                // Output = input · stride: the padding that removes the excess.
                let total = (0..<spatial).map { max(0, full[$0] + outputPadding[$0] - sizes[$0] * strides[$0]) }
                begin = total.map { autoPad == "SAME_UPPER" ? $0 / 2 : $0 - $0 / 2 }
                end = zip(total, begin).map { $0 - $1 }
            } else {
                let pads = window.pads ?? Array(repeating: 0, count: 2 * kernel.count)
                begin = flat.liftPair(Array(pads.prefix(kernel.count)), fill: 0)
                end = flat.liftPair(Array(pads.suffix(kernel.count)), fill: 0)
            }
            if begin == end && begin.allSatisfy({ $0 >= 0 }) && zip(outputPadding, zip(strides, dilations)).allSatisfy({ $0 < max($1.0, $1.1) }) {
                let y = convTranspose2d(flat.input, weight: flat.lift(weight), bias: bias, stride: (strides[0], strides[1]),
                                        padding: (begin[0], begin[1]), outputPadding: (outputPadding[0], outputPadding[1]),
                                        groups: groups, dilation: (dilations[0], dilations[1]))
                return [flat.lower(y)]
            }
            // Uneven padding: the full output, extended by the output padding, then cropped.
            var y = convTranspose2d(flat.input, weight: flat.lift(weight), bias: nil, stride: (strides[0], strides[1]),
                                    groups: groups, dilation: (dilations[0], dilations[1]))
            y = pad(y, [-begin[1], outputPadding[1] - end[1], -begin[0], outputPadding[0] - end[0]])
            if let bias { y = y + bias.view(1, -1, 1, 1) }
            return [flat.lower(y)]
        }
    }

    /// MaxPool and AveragePool. Uneven or ceil-mode padding pads explicitly: with -inf for max, and
    /// for the average by dividing window sums by window counts of the cells that count.
    private static func pool(_ node: ONNXNode, max: Bool) throws -> ONNXKernel {
        try node.requireInputs(1...1)
        if node.outputCount > 1 && !node.proto.output[1].isEmpty {
            throw node.unsupported("the Indices output of MaxPool")
        }
        guard let kernelShape = try node.ints("kernel_shape"), (1...2).contains(kernelShape.count) else {
            throw node.unsupported("kernel_shape \(try node.ints("kernel_shape").map { "\($0)" } ?? "missing"); Ember pools over 1 or 2 dims")
        }
        let window = try Window(node)
        let ceil = try node.int("ceil_mode", default: 0) == 1
        let countIncludePad = try node.int("count_include_pad", default: 0) == 1
        if try node.int("storage_order", default: 0) != 0 { throw node.unsupported("storage_order 1 (column-major indices)") }
        return { inputs in
            let x = try inputs.required(0)
            guard x.rank == kernelShape.count + 2 else {
                throw KernelFailure("input of shape \(x.shape) does not fit kernel_shape \(kernelShape)")
            }
            let flat = try Spatial(x, weight: nil, node: node.proto.opType)
            let g = try window.resolve(input: flat.sizes, kernel: kernelShape, ceil: ceil)
            let kernel = flat.liftPair(kernelShape, fill: 1)
            guard kernel.allSatisfy({ $0 >= 1 }) else { throw KernelFailure("kernel_shape \(kernelShape) has a size below 1") }
            try g.checkFits(input: flat.liftPair(flat.sizes, fill: 1), kernel: kernel)
            let (stride, dilation) = ((g.strides[0], g.strides[1]), (g.dilations[0], g.dilations[1]))
            let simple = g.symmetric && g.ceilExtra.allSatisfy { $0 == 0 }
            if max {
                if simple && g.begin[0] <= kernel[0] / 2 && g.begin[1] <= kernel[1] / 2 {
                    return [flat.lower(maxPool2d(flat.input, kernel: (kernel[0], kernel[1]), stride: stride,
                                                 padding: (g.begin[0], g.begin[1]), dilation: dilation))]
                }
                let padded = pad(flat.input, g.torchPadding(extraEnd: g.ceilExtra), value: -.infinity)
                return [flat.lower(maxPool2d(padded, kernel: (kernel[0], kernel[1]), stride: stride, dilation: dilation))]
            }
            guard g.dilations.allSatisfy({ $0 == 1 }) else { throw KernelFailure("AveragePool with dilations \(g.dilations)") }
            if simple && g.begin[0] <= kernel[0] / 2 && g.begin[1] <= kernel[1] / 2 {
                return [flat.lower(avgPool2d(flat.input, kernel: (kernel[0], kernel[1]), stride: stride,
                                             padding: (g.begin[0], g.begin[1]), countIncludePad: countIncludePad))]
            }
            // Window sums over the zero-padded input, divided by how many cells of each window count:
            // the input's, and the declared padding's too with count_include_pad (never the ceil extra).
            let padding = g.torchPadding(extraEnd: g.ceilExtra)
            let k = (kernel[0], kernel[1])
            let sums = avgPool2d(pad(flat.input, padding), kernel: k, stride: stride)
            var counted = pad(Tensor.ones([1, 1] + flat.input.shape.suffix(2), device: x.device), g.torchPadding,
                              value: countIncludePad ? 1 : 0)
            counted = pad(counted, g.torchPadding(extraEnd: g.ceilExtra, declared: false))
            let counts = avgPool2d(counted, kernel: k, stride: stride)
            return [flat.lower(sums / counts)]
        }
    }
}

/// A 1-D or 2-D input seen as 2-D: [N, C, L] as [N, C, 1, L].
private struct Spatial {
    let input: Tensor
    let oneDimensional: Bool

    init(_ x: Tensor, weight: Tensor?, node: String) throws {
        guard x.rank == 3 || x.rank == 4, weight.map({ $0.rank == x.rank }) ?? true else {
            throw KernelFailure("\(node) runs over 1-D [N, C, L] and 2-D [N, C, H, W] inputs, got an input of shape \(x.shape)"
                + (weight.map { " and a weight of shape \($0.shape)" } ?? ""))
        }
        oneDimensional = x.rank == 3
        input = oneDimensional ? x.unsqueeze(2) : x
    }

    /// The spatial sizes of the original input.
    var sizes: [Int] { oneDimensional ? [input.shape[3]] : Array(input.shape.suffix(2)) }
    func lift(_ weight: Tensor) -> Tensor { oneDimensional ? weight.unsqueeze(2) : weight }
    func lower(_ y: Tensor) -> Tensor { oneDimensional ? y.squeeze(2) : y }
    /// Per-dim values of the original rank as a (height, width) pair.
    func liftPair(_ values: [Int], fill: Int) -> [Int] { oneDimensional ? [fill] + values : values }
}

/// The window attributes shared by convolution and pooling, resolved against an input's size.
private struct Window {
    let strides: [Int]?
    let dilations: [Int]?
    let pads: [Int]?
    let autoPad: String

    init(_ node: ONNXNode) throws {
        strides = try node.ints("strides")
        dilations = try node.ints("dilations")
        pads = try node.ints("pads")
        autoPad = try node.string("auto_pad", default: "NOTSET")
        guard (strides ?? [1]).allSatisfy({ $0 >= 1 }), (dilations ?? [1]).allSatisfy({ $0 >= 1 }) else {
            throw node.invalid("strides \(strides ?? []) and dilations \(dilations ?? []) must be at least 1")
        }
        guard (pads ?? [0]).allSatisfy({ $0 >= 0 }) else { throw node.invalid("pads \(pads ?? []) must not be negative") }
        guard ["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"].contains(autoPad) else {
            throw node.invalid("auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got '\(autoPad)'")
        }
    }

    struct Geometry {
        var strides: [Int], dilations: [Int], begin: [Int], end: [Int]
        /// Padding past the end that ceil mode adds, so that a last partial window counts.
        var ceilExtra: [Int]
        var symmetric: Bool { begin == end }

        /// The window, dilated, must fit in the padded input.
        func checkFits(input: [Int], kernel: [Int]) throws {
            for i in 0..<2 where input[i] + begin[i] + end[i] + ceilExtra[i] < (kernel[i] - 1) * dilations[i] + 1 {
                throw KernelFailure("a window of \(kernel) (dilations \(dilations)) is larger than the padded input of \(input) (pads \(begin), \(end))")
            }
        }
        /// As `pad` takes it: last dim first, (before, after).
        var torchPadding: [Int] { torchPadding(extraEnd: [0, 0]) }
        func torchPadding(extraEnd: [Int], declared: Bool = true) -> [Int] {
            let b = declared ? begin : [0, 0], e = declared ? end : [0, 0]
            return [b[1], e[1] + extraEnd[1], b[0], e[0] + extraEnd[0]]
        }
    }

    /// Strides, dilations and padding as 2-D pairs for an input of `input` spatial sizes.
    func resolve(input: [Int], kernel: [Int], ceil: Bool) throws -> Geometry {
        let n = input.count
        let strides = self.strides ?? Array(repeating: 1, count: n)
        let dilations = self.dilations ?? Array(repeating: 1, count: n)
        guard strides.count == n, dilations.count == n, kernel.count == n else {
            throw KernelFailure("strides \(strides), dilations \(dilations) and kernel \(kernel) do not fit \(n) spatial dims")
        }
        var begin = Array(repeating: 0, count: n), end = Array(repeating: 0, count: n)
        let span = (0..<n).map { (kernel[$0] - 1) * dilations[$0] + 1 }
        switch autoPad {
        case "SAME_UPPER", "SAME_LOWER":
            for i in 0..<n {
                let out = (input[i] + strides[i] - 1) / strides[i]
                let total = max(0, (out - 1) * strides[i] + span[i] - input[i])
                let small = total / 2
                (begin[i], end[i]) = autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small)
            }
        case "VALID": break
        default:
            if let pads {
                guard pads.count == 2 * n else { throw KernelFailure("pads \(pads) do not fit \(n) spatial dims") }
                begin = Array(pads.prefix(n))
                end = Array(pads.suffix(n))
            }
        }
        var extra = Array(repeating: 0, count: n)
        if ceil {
            for i in 0..<n {
                let padded = input[i] + begin[i] + end[i]
                var out = (padded - span[i] + strides[i] - 1) / strides[i] + 1
                // As PyTorch and ONNX: the last window must start inside the input or the leading padding.
                if (out - 1) * strides[i] >= input[i] + begin[i] { out -= 1 }
                extra[i] = max(0, (out - 1) * strides[i] + span[i] - padded)
            }
        }
        if n == 1 {
            return Geometry(strides: [1] + strides, dilations: [1] + dilations, begin: [0] + begin, end: [0] + end,
                            ceilExtra: [0] + extra)
        }
        return Geometry(strides: strides, dilations: dilations, begin: begin, end: end, ceilExtra: extra)
    }
}
