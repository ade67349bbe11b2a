/// Gradient checkpointing, like `torch.utils.checkpoint`: trades compute for memory by running a
/// part of the model without keeping its activations, and running it again during backward.
///
///     // Each block's activations are dropped after its forward and rebuilt when backward reaches it.
///     var h = x
///     for block in blocks { h = checkpoint(block, h) }
///
/// The recomputation draws the same random numbers as the first run (the global generator's state is
/// saved and replayed), so dropout masks agree. Gradients reach the module's parameters and the input,
/// through `backward()`, `Autograd.grad` and `createGraph` alike.
public func checkpoint(_ module: Module, _ input: Tensor) -> Tensor {
    checkpoint([input], parameters: module.parameters()) { module($0[0]) }
}

/// `checkpoint` for a function of several tensors. `parameters` lists every other tensor the function
/// reads that needs a gradient (a module's `parameters()`); one left out stops backward with a message,
/// since its gradient would be lost.
public func checkpoint(_ inputs: [Tensor], parameters: [Tensor] = [], _ function: @escaping ([Tensor]) -> Tensor) -> Tensor {
    let recorded = inputs + parameters
    guard GradMode.isEnabled, recorded.contains(where: \.requiresGrad) else { return function(inputs) }
    let randomState = RandomGenerator.global.state
    let output = noGrad { function(inputs) }
    let inputVersions = inputs.map { $0.storage.version }
    return output.detach().recording("checkpoint", inputs: recorded) { g in
        for (input, version) in zip(inputs, inputVersions) {
            input.checkUnchanged(since: version, by: "checkpoint")
        }
        // Recompute, replaying the random draws, and take the partial derivatives (the pass stops at
        // the inputs and parameters; it is recorded under createGraph).
        return Tensor.recomputedGradients(of: recorded, outputGradient: g, recording: GradMode.isEnabled) {
            let resumeState = RandomGenerator.global.state
            RandomGenerator.global.state = randomState
            defer { RandomGenerator.global.state = resumeState }
            let recomputed = GradNode.$recomputing.withValue(true) { function(inputs) }
            checkEveryGradientHasAWayBack(recomputed, recorded)
            return recomputed
        }
    }
}

/// Stops unless every tensor needing a gradient that the recomputed graph reads from outside is an
/// input or a listed parameter: another leaf would get no gradient, and a tensor computed outside
/// (with a node of the outer graph) would have that node run by this pass and by the outer one, in
/// either order.
private func checkEveryGradientHasAWayBack(_ output: Tensor, _ listed: [Tensor]) {
    let known = Set(listed.map(ObjectIdentifier.init))
    guard !known.contains(ObjectIdentifier(output)) else { return }   // an input returned as it is
    var visited = Set<ObjectIdentifier>()
    var pending = output.gradFn.map { [$0] } ?? []
    while let node = pending.popLast() {
        for input in node.inputs where input.requiresGrad && !known.contains(ObjectIdentifier(input)) {
            guard let producer = input.gradFn else {
                fatalError("Ember: checkpoint: the function reads a tensor of shape \(input.shape) that requires grad "
                    + "but is neither an input nor in parameters:, so its gradient would be lost; "
                    + "list it in parameters: (a module's parameters())")
            }
            guard producer.madeInRecomputation else {
                fatalError("Ember: checkpoint: the function reads a tensor of shape \(input.shape) computed outside it "
                    + "(by \(producer.name)); pass it as one of the inputs")
            }
            if visited.insert(ObjectIdentifier(producer)).inserted { pending.append(producer) }
        }
    }
}
