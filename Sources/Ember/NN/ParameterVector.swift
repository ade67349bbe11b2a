/// Parameters as one flat vector and back, like `torch.nn.utils.parameters_to_vector` and
/// `vector_to_parameters`: for methods that treat a model's weights as a point in one space
/// (evolution strategies, Hessian-vector products, weight-space interpolation).

/// Every tensor of `parameters` flattened and joined, in order, into one 1-D tensor. It is
/// differentiable: a loss of the vector sends gradients back to each parameter.
public func parametersToVector(_ parameters: [Tensor]) -> Tensor {
    guard let first = parameters.first else {
        shapeFailure(ShapeError("parametersToVector: needs at least one parameter, got none"))
    }
    for parameter in parameters { first.checkSameDevice("parametersToVector", parameter) }
    return Tensor.cat(parameters.map { $0.reshape([-1]) }, dim: 0)
}

/// Copies consecutive pieces of the 1-D `vector` into `parameters`, in place and in order (without
/// recording gradients), the inverse of `parametersToVector`. The parameters keep their identity, so
/// optimizers holding them see the new values.
public func vectorToParameters(_ vector: Tensor, _ parameters: [Tensor]) {
    let total = parameters.reduce(0) { $0 + $1.count }
    guard vector.rank == 1, vector.count == total else {
        shapeFailure(ShapeError("vectorToParameters: expects a 1-D vector of the parameters' \(total) elements, got shape "
            + "\(vector.shape)"))
    }
    noGrad {
        var offset = 0
        for parameter in parameters {
            parameter.copy_(vector.narrow(0, start: offset, length: parameter.count).reshape(parameter.shape))
            offset += parameter.count
        }
    }
}
