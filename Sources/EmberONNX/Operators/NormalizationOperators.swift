import Ember

/// Normalization layers (inference form) and softmax.
extension Operators {
    static let normalizations: [String: OperatorCompiler] = [
        "BatchNormalization": batchNormalization,
        "LayerNormalization": layerNormalization,
        "InstanceNormalization": { node in
            try node.requireInputs(3...3)
            let eps = try node.float("epsilon", default: 1e-5)
            return { inputs in
                let (x, scale, bias) = (try inputs.required(0), try inputs.required(1), try inputs.required(2))
                guard x.rank >= 3, scale.shape == [x.shape[1]], bias.shape == [x.shape[1]] else {
                    throw KernelFailure("scale and bias of shapes \(scale.shape), \(bias.shape) do not fit an input of shape \(x.shape)")
                }
                return [instanceNorm(x, weight: scale, bias: bias, eps: eps)]
            }
        },
        "GroupNormalization": groupNormalization,
        "Softmax": { node in try softmax(node, log: false) },
        "LogSoftmax": { node in try softmax(node, log: true) },
    ]

    /// With the running statistics (inference). A graph that asks for the updated statistics was
    /// exported for training, which Ember does in its own modules.
    private static func batchNormalization(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(5...5)
        if try node.int("training_mode", default: 0) == 1 || node.proto.output.dropFirst().contains(where: { !$0.isEmpty }) {
            throw node.unsupported("batch normalization in training mode; export the model in eval mode")
        }
        let eps = try node.float("epsilon", default: 1e-5)
        return { inputs in
            let x = try inputs.required(0)
            let parameters = try (1...4).map { try inputs.required($0) }
            guard x.rank >= 2, parameters.allSatisfy({ $0.shape == [x.shape[1]] }) else {
                throw KernelFailure("scale, bias, mean and variance of shapes \(parameters.map(\.shape)) do not give one value per channel of an input of shape \(x.shape)")
            }
            return [batchNorm(x, runningMean: parameters[2], runningVar: parameters[3], weight: parameters[0],
                              bias: parameters[1], training: false, eps: eps)]
        }
    }

    /// Normalizes over the dims from `axis` on (Ember's one-kernel layer norm).
    private static func layerNormalization(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(2...3)
        if node.proto.output.dropFirst().contains(where: { !$0.isEmpty }) {
            throw node.unsupported("the Mean and InvStdDev outputs of LayerNormalization")
        }
        let axis = try node.int("axis", default: -1)
        let eps = try node.float("epsilon", default: 1e-5)
        return { inputs in
            let x = try inputs.required(0)
            let a = try normalizedAxis(axis, rank: x.rank)
            let normalized = Array(x.shape[a...])
            // Scale and bias broadcast to the normalized dims (a [1] scale is allowed).
            func fitted(_ t: Tensor) throws -> Tensor {
                t.shape == normalized ? t : try t.expand(broadcastShapes(t.shape, normalized)).contiguous()
            }
            let scale = try fitted(inputs.required(1)), bias = try inputs.optional(2).map(fitted)
            guard scale.shape == normalized && (bias?.shape ?? normalized) == normalized else {
                throw KernelFailure("scale of shape \(scale.shape) does not fit the normalized dims \(normalized)")
            }
            return [layerNorm(x, normalizedShape: normalized, weight: scale, bias: bias, eps: eps)]
        }
    }

    /// Operator sets 18 to 20 scale and shift per group, 21 on per channel; both are read.
    private static func groupNormalization(_ node: ONNXNode) throws -> ONNXKernel {
        try node.requireInputs(3...3)
        guard let groups = try node.int("num_groups"), groups > 0 else { throw node.invalid("needs num_groups") }
        let eps = try node.float("epsilon", default: 1e-5)
        return { inputs in
            let x = try inputs.required(0)
            var (scale, bias) = (try inputs.required(1), try inputs.required(2))
            guard x.rank >= 2, x.shape[1] % groups == 0 else {
                throw KernelFailure("\(groups) groups do not divide the channels of an input of shape \(x.shape)")
            }
            let channels = x.shape[1]
            if scale.count == groups && groups != channels {
                scale = scale.view(groups, 1).expand(groups, channels / groups).reshape([channels])
                bias = bias.view(groups, 1).expand(groups, channels / groups).reshape([channels])
            }
            guard scale.shape == [channels], bias.shape == [channels] else {
                throw KernelFailure("scale and bias of shapes \(scale.shape), \(bias.shape) fit neither \(groups) groups nor \(channels) channels")
            }
            return [groupNorm(x, numGroups: groups, weight: scale, bias: bias, eps: eps)]
        }
    }

    /// From operator set 13 along `axis` (default -1); before, over all dims from `axis` (default 1)
    /// on, as one flattened row.
    private static func softmax(_ node: ONNXNode, log: Bool) throws -> ONNXKernel {
        try node.requireInputs(1...1)
        let flattened = node.opset < 13
        let axis = try node.int("axis", default: flattened ? 1 : -1)
        return { inputs in
            let x = try inputs.required(0)
            let a = try normalizedAxis(axis, rank: x.rank)
            if flattened && a < x.rank - 1 {
                let rows = x.shape[..<a].reduce(1, *)
                let flat = x.reshape([rows, -1])
                return [(log ? flat.logSoftmax(dim: 1) : flat.softmax(dim: 1)).reshape(x.shape)]
            }
            return [log ? x.logSoftmax(dim: a) : x.softmax(dim: a)]
        }
    }
}
