import Ember

/// Resize (and Upsample, its predecessor): nearest with every coordinate and rounding mode of the
/// specification, by gathering source rows and columns; linear through Ember's `interpolate`.
extension Operators {
    static let resizing: [String: OperatorCompiler] = [
        "Resize": resize,
        "Upsample": resize,
    ]

    private static func resize(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(1...4)
        let mode = try node.string("mode", default: "nearest")
        // Operator set 10 and Upsample map coordinates as "asymmetric" and round nearest down.
        let legacy = node.opset < 11 || node.proto.opType == "Upsample"
        let coordinates = try node.string("coordinate_transformation_mode", default: legacy ? "asymmetric" : "half_pixel")
        let rounding = try node.string("nearest_mode", default: legacy ? "floor" : "round_prefer_floor")
        let scalesAttribute = try node.floats("scales")
        if try node.int("antialias", default: 0) != 0 { throw node.unsupported("antialias") }
        if try node.ints("axes") != nil { throw node.unsupported("axes") }
        if let policy = try? node.string("keep_aspect_ratio_policy", default: "stretch"), policy != "stretch" {
            throw node.unsupported("keep_aspect_ratio_policy \(policy)")
        }
        guard mode == "nearest" || mode == "linear" else {
            throw node.unsupported("mode '\(mode)'; Ember resizes with nearest and linear")
        }
        let knownCoordinates = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "half_pixel_symmetric", "tf_half_pixel_for_nn"]
        guard knownCoordinates.contains(coordinates) else {
            throw node.unsupported("coordinate_transformation_mode '\(coordinates)'")
        }
        guard ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(rounding) else {
            throw node.invalid("nearest_mode '\(rounding)' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil")
        }
        return { inputs in
            let x = try inputs.required(0)
            // Inputs: X, roi, scales, sizes from operator set 11; X, scales in 10 and Upsample.
            let scalesInput = legacy ? inputs.optional(1) : inputs.optional(2)
            let sizesInput = legacy ? nil : inputs.optional(3)
            var scales: [Double], sizes: [Int]
            var scalesGiven = false
            if let sizesInput, sizesInput.count > 0 {
                sizes = try checkedShape(sizesInput.hostInts(), "sizes")
                guard sizes.count == x.rank else { throw KernelFailure("sizes \(sizes) do not fit shape \(x.shape)") }
                scales = zip(sizes, x.shape).map { Double($0) / Double($1) }
            } else if let given = scalesInput.map({ $0.toArray() }) ?? scalesAttribute, !given.isEmpty {
                guard given.count == x.rank else { throw KernelFailure("scales \(given) do not fit shape \(x.shape)") }
                guard given.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw KernelFailure("scales \(given) must be positive and finite") }
                scales = given.map { Double($0) }
                scalesGiven = true
                sizes = try checkedShape(zip(x.shape, scales).map { Int(min((Double($0) * $1).rounded(.down), Double(maxElements))) }, "the resized shape")
            } else {
                throw KernelFailure("neither scales nor sizes are given")
            }
            guard sizes[0] == x.shape[0] && sizes[1] == x.shape[1] || x.rank < 3 else {
                throw KernelFailure("resizing the batch or channel dims (shape \(x.shape) to \(sizes))")
            }
            if mode == "linear" {
                guard x.rank == 3 || x.rank == 4 else { throw KernelFailure("linear resize of a tensor of shape \(x.shape)") }
                let alignCorners: Bool
                switch coordinates {
                case "align_corners": alignCorners = true
                case "half_pixel", "pytorch_half_pixel": alignCorners = false
                default: throw KernelFailure("linear resize with coordinate_transformation_mode '\(coordinates)'")
                }
                // With scales, coordinates map through the scale itself (as PyTorch's scale_factor does).
                let linear: InterpolationMode = x.rank == 3 ? .linear : .bilinear
                if scalesGiven && !alignCorners {
                    return [interpolate(x, scaleFactor: Array(scales.suffix(x.rank - 2)), mode: linear)]
                }
                return [interpolate(x, size: Array(sizes.suffix(x.rank - 2)), mode: linear, alignCorners: alignCorners)]
            }
            var y = x
            for d in 0..<x.rank where sizes[d] != x.shape[d] {
                let source = nearestSources(input: x.shape[d], output: sizes[d], scale: scales[d],
                                            coordinates: coordinates, rounding: rounding)
                y = y.indexSelect(dim: d, indices: Tensor(source, shape: [source.count], device: x.device))
            }
            return [y]
        }
    }

    /// For each output index, the input index nearest resize reads (ONNX's coordinate transforms).
    static func nearestSources(input: Int, output: Int, scale: Double, coordinates: String, rounding: String) -> [Int] {
        (0..<output).map { i in
            let r = Double(i)
            let original: Double
            switch coordinates {
            case "asymmetric": original = r / scale
            case "align_corners": original = output == 1 ? 0 : r * Double(input - 1) / Double(output - 1)
            case "pytorch_half_pixel": original = output > 1 ? (r + 0.5) / scale - 0.5 : 0
            case "tf_half_pixel_for_nn": original = (r + 0.5) / scale
            case "half_pixel_symmetric":
                let adjustment = Double(output) / (scale * Double(input))
                let center = Double(input) / 2
                original = center * (1 - adjustment) + (r + 0.5) / scale - 0.5
            default: original = (r + 0.5) / scale - 0.5      // half_pixel
            }
            let index: Double
            switch rounding {
            case "floor": index = original.rounded(.down)
            case "ceil": index = original.rounded(.up)
            case "round_prefer_ceil": index = (original + 0.5).rounded(.down)
            default: index = original == original.rounded(.down) + 0.5 ? original.rounded(.down) : original.rounded()
            }
            return min(max(Int(index), 0), input - 1)
        }
    }
}
