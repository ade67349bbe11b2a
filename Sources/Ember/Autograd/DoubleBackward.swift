/// Second derivatives through fused kernels. A fused op's backward (one kernel, the fast path) gives
/// values without a graph; under `createGraph` its closure instead recomputes the op from
/// differentiable ops and differentiates that, so the gradients it returns can be differentiated again.
extension Tensor {
    /// Whether a backward closure runs under `createGraph` and must return recorded gradients.
    static var isRecordingBackward: Bool { GradMode.isEnabled && GradNode.applying != nil }

    /// Stops when `input`, which a recomputation reads, changed in place since `version` (the
    /// fast backward works from what it saved, so only the recomputation needs the check).
    func checkUnchanged(since version: Int, by op: String) {
        guard storage.version != version else { return }
        fatalError("Ember: a tensor of shape \(shape) that \(op) reads for its gradient was modified by an in-place "
            + "operation after it was used; its version is \(storage.version), expected \(version). "
            + "Use an out-of-place op (x = x + y instead of x.add_(y)).")
    }

    /// The gradients with respect to `inputs` (nil entries and inputs that need no gradient get nil)
    /// of `composed()`, the op written with differentiable ops, against the output gradient `g`:
    /// partial derivatives, recorded (unless `recording` is false) so that they can be differentiated again.
    static func recomputedGradients(of inputs: [Tensor?], outputGradient g: Tensor, recording: Bool = true,
                                    _ composed: () -> Tensor) -> [Tensor?] {
        let wanted = inputs.compactMap { $0 }.filter(\.requiresGrad)
        let output = enableGrad(composed)
        guard output.requiresGrad, !wanted.isEmpty else { return inputs.map { _ in nil } }
        // The pass may run through nodes of the outer graph (a tensor made outside from a target): it
        // must not free them.
        var pass = BackwardPass(retainGraph: true, createGraph: recording, targets: wanted)
        pass.stopsAtTargets = true
        pass.run([(output, g.shape == output.shape ? g : g.reshape(output.shape))])
        var found = pass.captured.makeIterator()
        return inputs.map { input in
            guard let input, input.requiresGrad else { return nil }
            return found.next()!
        }
    }
}
