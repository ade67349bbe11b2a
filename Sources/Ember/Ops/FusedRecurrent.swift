/// One direction of one LSTM layer over packed steps (`batchSizes[t]` sequences at step t, longest
/// first) as a single recorded op in the backend's own kernels (`Backend.lstm`), or nil where it has
/// none. `projected` [N, 4·hidden] is W_ih·x + b_ih for every step; `h0`, `c0` [batchSizes[0], hidden].
/// Returns every step's h [N, hidden] and each sequence's final h and c, all views of one output.
///
/// Composed step by step, an LSTM layer records a dozen ops per step, and each step's weight
/// gradient is a product of its own; here the backward pass walks the steps in one kernel, and the
/// weight gradient is one product over all of them. A backward pass that is itself recorded (double
/// backward) differentiates `stepwise`, the same layer as composed ops.
func fusedLSTM(_ projected: Tensor, h0: Tensor, c0: Tensor, weightHH: Tensor, biasHH: Tensor?, batchSizes: [Int],
               reverse: Bool, stepwise: @escaping () -> (output: Tensor, h: Tensor, c: Tensor))
    -> (output: Tensor, h: Tensor, c: Tensor)? {
    let inputs = [projected, h0, c0, weightHH] + (biasHH.map { [$0] } ?? [])
    guard inputs.allSatisfy({ $0.dtype == .float32 && $0.device == projected.device }) else { return nil }
    let backend = projected.backend
    let count = projected.shape[0], batch = batchSizes[0], hidden = weightHH.shape[1]
    let keep = GradMode.isEnabled && inputs.contains(where: \.requiresGrad)
    guard let (storage, saved) = backend.lstm(projected.view, h0: h0.view, c0: c0.view, weightHH: weightHH.view,
                                              biasHH: biasHH?.view, batchSizes: batchSizes, reverse: reverse,
                                              keep: keep) else { return nil }
    let all = Tensor.result(storage, shape: [count + 2 * batch, hidden])
    let versions = inputs.map(\.storage.version)
    all.recording("lstm", inputs: inputs, saving: [weightHH]) { g in
        if Tensor.isRecordingBackward {
            return recomputedGradients("lstm", inputs, versions: versions, g) {
                let steps = stepwise()
                return Tensor.cat([steps.output, steps.h, steps.c])
            }
        }
        guard let saved, let (gates, dh0, dc0) = backend.lstmBackward(
            g.view, saved: saved, weightHH: weightHH.view, batchSizes: batchSizes, reverse: reverse) else {
            fatalError("Ember: lstm: the \(backend.device) backend ran the forward pass but has no backward")
        }
        let dGates = Tensor.result(gates, shape: [count, 4 * hidden])
        // Each step's h before it, for dW_hh = Σ_t dGates_tᵀ · h_{t-1} in one product.
        let hPrev = Tensor.result(saved.states, shape: [3 * count, hidden]).narrow(0, start: 0, length: count)
        return [projected.requiresGrad ? dGates : nil,
                h0.requiresGrad ? Tensor.result(dh0, shape: h0.shape) : nil,
                c0.requiresGrad ? Tensor.result(dc0, shape: c0.shape) : nil,
                weightHH.requiresGrad ? dGates.transpose(0, 1).matmul(hPrev) : nil]
            + (biasHH.map { [$0.requiresGrad ? dGates.sum(dims: [0]) : nil] } ?? [])
    }
    return (all.narrow(0, start: 0, length: count), all.narrow(0, start: count, length: batch),
            all.narrow(0, start: count + batch, length: batch))
}

/// One direction of one GRU layer over packed steps as a single recorded op (`Backend.gru`), or nil
/// where the backend has none; as `fusedLSTM`, with `projected` [N, 3·hidden], no cell state, and
/// every step's h [N, hidden] and each sequence's final h returned.
func fusedGRU(_ projected: Tensor, h0: Tensor, weightHH: Tensor, biasHH: Tensor?, batchSizes: [Int], reverse: Bool,
              stepwise: @escaping () -> (output: Tensor, h: Tensor)) -> (output: Tensor, h: Tensor)? {
    let inputs = [projected, h0, weightHH] + (biasHH.map { [$0] } ?? [])
    guard inputs.allSatisfy({ $0.dtype == .float32 && $0.device == projected.device }) else { return nil }
    let backend = projected.backend
    let count = projected.shape[0], batch = batchSizes[0], hidden = weightHH.shape[1]
    let keep = GradMode.isEnabled && inputs.contains(where: \.requiresGrad)
    guard let (storage, saved) = backend.gru(projected.view, h0: h0.view, weightHH: weightHH.view, biasHH: biasHH?.view,
                                             batchSizes: batchSizes, reverse: reverse, keep: keep) else { return nil }
    let all = Tensor.result(storage, shape: [count + batch, hidden])
    let versions = inputs.map(\.storage.version)
    all.recording("gru", inputs: inputs, saving: [weightHH]) { g in
        if Tensor.isRecordingBackward {
            return recomputedGradients("gru", inputs, versions: versions, g) {
                let steps = stepwise()
                return Tensor.cat([steps.output, steps.h])
            }
        }
        guard let saved, let (dProjected, dHidden, dh0) = backend.gruBackward(
            g.view, saved: saved, weightHH: weightHH.view, batchSizes: batchSizes, reverse: reverse) else {
            fatalError("Ember: gru: the \(backend.device) backend ran the forward pass but has no backward")
        }
        let hiddenGates = Tensor.result(dHidden, shape: [count, 3 * hidden])
        // Each step's h before it, for dW_hh = Σ_t dHiddenGates_tᵀ · h_{t-1} in one product.
        let hPrev = Tensor.result(saved.states, shape: [count, hidden])
        return [projected.requiresGrad ? Tensor.result(dProjected, shape: [count, 3 * hidden]) : nil,
                h0.requiresGrad ? Tensor.result(dh0, shape: h0.shape) : nil,
                weightHH.requiresGrad ? hiddenGates.transpose(0, 1).matmul(hPrev) : nil]
            + (biasHH.map { [$0.requiresGrad ? hiddenGates.sum(dims: [0]) : nil] } ?? [])
    }
    return (all.narrow(0, start: 0, length: count), all.narrow(0, start: count, length: batch))
}

/// The gradients of a fused recurrent op when its backward pass is itself recorded: the layer as
/// composed ops (`composed`, its outputs concatenated as the fused op's) differentiated, after
/// checking that no input changed in place since the forward pass.
private func recomputedGradients(_ op: String, _ inputs: [Tensor], versions: [Int], _ g: Tensor,
                                 _ composed: () -> Tensor) -> [Tensor?] {
    for (input, version) in zip(inputs, versions) { input.checkUnchanged(since: version, by: op) }
    return Tensor.recomputedGradients(of: inputs, outputGradient: g, composed)
}
