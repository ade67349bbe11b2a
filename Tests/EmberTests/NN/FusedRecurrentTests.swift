import Testing
@testable import Ember

/// The fused LSTM and GRU layers (one op per layer and direction) against the layers written out step by step
/// with plain tensor ops, one sequence at a time. The shapes are large enough that each step's rows
/// are split over the cores, and the packed lengths make sequences end (going forward) and join
/// (going backward) mid-walk; a hidden size of 45 leaves partial column blocks in the products.
@Suite struct FusedRecurrentTests {
    static let (inputSize, hidden, layers) = (5, 45, 2)
    static let lengths = (0..<40).map { 1 + ($0 * 7) % 9 }

    /// The names of the recorded ops `tensor` was computed by.
    static func opNames(behind tensor: Tensor) -> Set<String> {
        var names: Set<String> = [], pending = [tensor], seen: Set<ObjectIdentifier> = []
        while let t = pending.popLast() {
            guard let node = t.gradFn, seen.insert(ObjectIdentifier(node)).inserted else { continue }
            names.insert(node.name)
            pending += node.inputs
        }
        return names
    }

    /// A 2-layer LSTM over one sequence [T, inputSize] from the given states [layers·directions,
    /// hidden], composed of matmul, sigmoid and tanh: every step's last-layer output
    /// [T, directions·hidden] and the final h and c [layers·directions, hidden].
    static func stepByStep(_ lstm: LSTM, _ x: Tensor, h0: Tensor, c0: Tensor) -> (output: Tensor, h: Tensor, c: Tensor) {
        let p = Dictionary(uniqueKeysWithValues: lstm.directParameters())
        var input = x, finalH: [Tensor] = [], finalC: [Tensor] = []
        for layer in 0..<layers {
            var outputs: [Tensor] = []
            for (direction, suffix) in ["", "_reverse"].prefix(lstm.directions).enumerated() {
                let index = layer * lstm.directions + direction
                let (wih, whh) = (p["weight_ih_l\(layer)\(suffix)"]!, p["weight_hh_l\(layer)\(suffix)"]!)
                let bias = lstm.bias ? p["bias_ih_l\(layer)\(suffix)"]! + p["bias_hh_l\(layer)\(suffix)"]! : Tensor(Float(0))
                var h = h0[index].unsqueeze(0), c = c0[index].unsqueeze(0)
                var hs = [Tensor](repeating: h, count: x.shape[0])
                for s in 0..<x.shape[0] {
                    let t = direction == 0 ? s : x.shape[0] - 1 - s
                    let gates = (input[t].unsqueeze(0).matmul(wih.transpose(0, 1)) + h.matmul(whh.transpose(0, 1)) + bias)
                        .chunk(4, dim: 1)
                    c = gates[1].sigmoid() * c + gates[0].sigmoid() * gates[2].tanh()
                    h = gates[3].sigmoid() * c.tanh()
                    hs[t] = h
                }
                outputs.append(Tensor.cat(hs))
                finalH.append(h.squeeze(0))
                finalC.append(c.squeeze(0))
            }
            input = Tensor.cat(outputs, dim: 1)
        }
        return (input, Tensor.stack(finalH), Tensor.stack(finalC))
    }

    /// Outputs, final states, and the gradients of a weighted sum of them with respect to every
    /// input, state and parameter that needs one, all equal to the step-by-step LSTM's; and the same
    /// results without a graph (the fused kernel then keeps nothing for backward). Bidirectional with
    /// biases and every gradient; and one direction without biases, its weights frozen.
    @Test(arguments: [(bidirectional: true, bias: true), (bidirectional: false, bias: false)])
    func packedLayersMatchTheStepByStepLSTM(_ config: (bidirectional: Bool, bias: Bool)) {
        manualSeed(11)
        let lstm = LSTM(Self.inputSize, Self.hidden, numLayers: Self.layers, bias: config.bias,
                        bidirectional: config.bidirectional)
        if !config.bias { lstm.requiresGrad_(false) }
        let batch = Self.lengths.count, states = Self.layers * lstm.directions
        let sequences = Self.lengths.map { Tensor.randn([$0, Self.inputSize], requiresGrad: true) }
        let h0 = Tensor.randn([states, batch, Self.hidden], requiresGrad: true)
        let c0 = Tensor.randn([states, batch, Self.hidden], requiresGrad: true)
        let upH = Tensor.randn(h0.shape), upC = Tensor.randn(c0.shape)
        let upOutputs = Self.lengths.map { Tensor.randn([$0, lstm.directions * Self.hidden]) }
        let parameters = lstm.parameters().filter(\.requiresGrad)
        let wrt = parameters + sequences + [h0, c0]

        let (packed, (h, c)) = lstm(packSequence(sequences, enforceSorted: false), (h0, c0))
        let outputs = unpackSequence(packed)
        // Where the CPU has the kernels (AVX2 and FMA), the layers ran fused.
        #expect(Self.opNames(behind: h).contains("lstm") == CPUBackend.ProductKernel.available)
        var loss = (h * upH).sum() + (c * upC).sum()
        for (output, up) in zip(outputs, upOutputs) { loss = loss + (output * up).sum() }
        let fusedGrads = Autograd.grad(of: loss, wrt: wrt)

        var referenceLoss = Tensor(Float(0))
        for (i, x) in sequences.enumerated() {
            let r = Self.stepByStep(lstm, x, h0: h0.select(1, i), c0: c0.select(1, i))
            expectClose(outputs[i].toArray(), r.output.toArray(), "sequence \(i) output")
            expectClose(h.select(1, i).toArray(), r.h.toArray(), "sequence \(i) h")
            expectClose(c.select(1, i).toArray(), r.c.toArray(), "sequence \(i) c")
            referenceLoss = referenceLoss + (r.output * upOutputs[i]).sum() + (r.h * upH.select(1, i)).sum()
                + (r.c * upC.select(1, i)).sum()
        }
        let referenceGrads = Autograd.grad(of: referenceLoss, wrt: wrt)
        let names = lstm.namedParameters().filter(\.1.requiresGrad).map(\.0) + sequences.indices.map { "sequence \($0)" }
            + ["h0", "c0"]
        #expect(fusedGrads.count == (config.bias ? 16 : 0) + batch + 2)
        for (name, (fused, reference)) in zip(names, zip(fusedGrads, referenceGrads)) {
            expectClose(fused.toArray(), reference.toArray(), atol: 1e-4, "grad of \(name)")
        }

        let inference = noGrad { lstm(packSequence(sequences, enforceSorted: false), (h0, c0)) }
        #expect(!inference.output.data.requiresGrad)
        expectClose(inference.output.data.toArray(), packed.data.toArray(), "output without a graph")
        expectClose(inference.state.h.toArray(), h.toArray(), "h without a graph")
        expectClose(inference.state.c.toArray(), c.toArray(), "c without a graph")
    }

    /// A 2-layer bidirectional GRU over one sequence [T, inputSize], written out the same way.
    static func gruStepByStep(_ gru: GRU, _ x: Tensor, h0: Tensor) -> (output: Tensor, h: Tensor) {
        let p = Dictionary(uniqueKeysWithValues: gru.directParameters())
        var input = x, finalH: [Tensor] = []
        for layer in 0..<layers {
            var outputs: [Tensor] = []
            for (direction, suffix) in ["", "_reverse"].enumerated() {
                let (wih, whh) = (p["weight_ih_l\(layer)\(suffix)"]!, p["weight_hh_l\(layer)\(suffix)"]!)
                let (bih, bhh) = (p["bias_ih_l\(layer)\(suffix)"]!, p["bias_hh_l\(layer)\(suffix)"]!)
                var h = h0[layer * 2 + direction].unsqueeze(0)
                var hs = [Tensor](repeating: h, count: x.shape[0])
                for s in 0..<x.shape[0] {
                    let t = direction == 0 ? s : x.shape[0] - 1 - s
                    let xg = (input[t].unsqueeze(0).matmul(wih.transpose(0, 1)) + bih).chunk(3, dim: 1)
                    let hg = (h.matmul(whh.transpose(0, 1)) + bhh).chunk(3, dim: 1)
                    let r = (xg[0] + hg[0]).sigmoid(), z = (xg[1] + hg[1]).sigmoid()
                    let n = (xg[2] + r * hg[2]).tanh()
                    h = (1 - z) * n + z * h
                    hs[t] = h
                }
                outputs.append(Tensor.cat(hs))
                finalH.append(h.squeeze(0))
            }
            input = Tensor.cat(outputs, dim: 1)
        }
        return (input, Tensor.stack(finalH))
    }

    /// The GRU likewise: packed bidirectional layers, every gradient, and the forward without a graph.
    @Test func packedGRULayersMatchTheStepByStepGRU() {
        manualSeed(13)
        let gru = GRU(Self.inputSize, Self.hidden, numLayers: Self.layers, bidirectional: true)
        let batch = Self.lengths.count
        let sequences = Self.lengths.map { Tensor.randn([$0, Self.inputSize], requiresGrad: true) }
        let h0 = Tensor.randn([Self.layers * 2, batch, Self.hidden], requiresGrad: true)
        let upH = Tensor.randn(h0.shape), upOutputs = Self.lengths.map { Tensor.randn([$0, 2 * Self.hidden]) }
        let wrt = gru.parameters() + sequences + [h0]

        let (packed, h) = gru(packSequence(sequences, enforceSorted: false), h0)
        let outputs = unpackSequence(packed)
        #expect(Self.opNames(behind: h).contains("gru") == CPUBackend.ProductKernel.available)
        var loss = (h * upH).sum()
        for (output, up) in zip(outputs, upOutputs) { loss = loss + (output * up).sum() }
        let fusedGrads = Autograd.grad(of: loss, wrt: wrt)

        var referenceLoss = Tensor(Float(0))
        for (i, x) in sequences.enumerated() {
            let r = Self.gruStepByStep(gru, x, h0: h0.select(1, i))
            expectClose(outputs[i].toArray(), r.output.toArray(), "sequence \(i) output")
            expectClose(h.select(1, i).toArray(), r.h.toArray(), "sequence \(i) h")
            referenceLoss = referenceLoss + (r.output * upOutputs[i]).sum() + (r.h * upH.select(1, i)).sum()
        }
        let referenceGrads = Autograd.grad(of: referenceLoss, wrt: wrt)
        let names = gru.namedParameters().map(\.0) + sequences.indices.map { "sequence \($0)" } + ["h0"]
        for (name, (fused, reference)) in zip(names, zip(fusedGrads, referenceGrads)) {
            expectClose(fused.toArray(), reference.toArray(), atol: 1e-4, "grad of \(name)")
        }
        let inference = noGrad { gru(packSequence(sequences, enforceSorted: false), h0) }
        expectClose(inference.output.data.toArray(), packed.data.toArray(), "output without a graph")
        expectClose(inference.hidden.toArray(), h.toArray(), "h without a graph")
    }

    /// A backward pass that is itself recorded runs through the composed steps, so second derivatives
    /// (a gradient penalty) equal the step-by-step LSTM's.
    @Test func gradientPenaltyMatchesTheStepByStepLSTM() {
        manualSeed(12)
        let lstm = LSTM(Self.inputSize, Self.hidden, numLayers: Self.layers, bidirectional: true)
        let x = Tensor.randn([6, Self.inputSize], requiresGrad: true)
        let h0 = Tensor.zeros([Self.layers * 2, Self.hidden]), c0 = Tensor.zeros([Self.layers * 2, Self.hidden])
        let weight = lstm.namedParameters().first { $0.0 == "weight_hh_l0" }!.1
        func penaltyGradient(_ output: Tensor) -> Tensor {
            let gx = Autograd.grad(of: output.square().sum(), wrt: [x], createGraph: true)[0]
            return Autograd.grad(of: gx.square().sum(), wrt: [weight])[0]
        }
        let fused = penaltyGradient(lstm(x, (h0, c0)).output)
        let reference = penaltyGradient(Self.stepByStep(lstm, x, h0: h0, c0: c0).output)
        #expect(reference.abs().max().item() > 1e-4)
        expectClose(fused.toArray(), reference.toArray(), atol: 1e-7, rtol: 1e-3, "second derivative")
    }

    @Test func gruGradientPenaltyMatchesTheStepByStepGRU() {
        manualSeed(14)
        let gru = GRU(Self.inputSize, Self.hidden, numLayers: Self.layers, bidirectional: true)
        let x = Tensor.randn([6, Self.inputSize], requiresGrad: true), h0 = Tensor.zeros([Self.layers * 2, Self.hidden])
        let weight = gru.namedParameters().first { $0.0 == "weight_hh_l0_reverse" }!.1
        func penaltyGradient(_ output: Tensor) -> Tensor {
            let gx = Autograd.grad(of: output.square().sum(), wrt: [x], createGraph: true)[0]
            return Autograd.grad(of: gx.square().sum(), wrt: [weight])[0]
        }
        let fused = penaltyGradient(gru(x, h0).output)
        let reference = penaltyGradient(Self.gruStepByStep(gru, x, h0: h0).output)
        #expect(reference.abs().max().item() > 1e-4)
        expectClose(fused.toArray(), reference.toArray(), atol: 1e-7, rtol: 1e-3, "second derivative")
    }
}
