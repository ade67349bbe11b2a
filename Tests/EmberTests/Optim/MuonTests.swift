import Testing
@testable import Ember

@Suite("Muon")
struct MuonTests {
    let fixture: [String: Any]
    init() throws { fixture = object(try loadFixture("optim.json")["muon"]) }

    func makeMuon(_ name: String, _ params: [Tensor]) -> Muon {
        switch name {
        case "muon": return Muon(params, lr: 0.05)
        case "muon_plain_momentum": return Muon(params, lr: 0.05, weightDecay: 0, momentum: 0.9, nesterov: false)
        case "muon_match_rms_adamw": return Muon(params, lr: 0.05, weightDecay: 0.2, nsSteps: 3, adjustLR: .matchRMSAdamW)
        case "muon_spectral_unclamped":
            return Muon(params, lr: 0.05, nsCoefficients: (2, -1.5, 0.5), nsSteps: 7, adjustLR: .spectralUnclamped)
        default: fatalError("unknown Muon case \(name)")
        }
    }

    /// The fixture's problem: Σ(tanh(x·w1ᵀ)·w2ᵀ − y)², with w1 tall (5×3) and w2 wide (2×5).
    func loss(_ w1: Tensor, _ w2: Tensor) -> Tensor {
        let x = tensor(fixture["x"], [6, 3]), y = tensor(fixture["y"], [6, 2])
        return (x.matmul(w1.t()).tanh().matmul(w2.t()) - y).square().sum()
    }

    static let names = ["muon", "muon_plain_momentum", "muon_match_rms_adamw", "muon_spectral_unclamped"]

    @Test(arguments: names)
    func trajectoryMatchesTorch(name: String) {
        let config = object(object(fixture["configs"])[name])
        let w1 = tensor(fixture["w1"], [5, 3], requiresGrad: true), w2 = tensor(fixture["w2"], [2, 5], requiresGrad: true)
        let optimizer = makeMuon(name, [w1, w2])
        let float32 = object(config["float32"]), bfloat16 = object(config["bfloat16"])
        let exact = float32["trajectory"] as! [Any], rounded = bfloat16["trajectory"] as! [Any]
        #expect(exact.count == 8)
        for i in exact.indices {
            optimizer.zeroGrad()
            loss(w1, w2).backward()
            optimizer.step()
            // PyTorch's step with the iteration in float32, as Ember runs it ...
            let point = object(exact[i])
            expectClose(w1.toArray(), floats(point["w1"]), atol: 2e-5, rtol: 1e-4, "\(name) step \(i + 1) w1")
            expectClose(w2.toArray(), floats(point["w2"]), atol: 2e-5, rtol: 1e-4, "\(name) step \(i + 1) w2")
            // ... and PyTorch's own bfloat16 run, a few thousandths away.
            let torchPoint = object(rounded[i])
            expectClose(w1.toArray(), floats(torchPoint["w1"]), atol: 1e-2, rtol: 0, "\(name) step \(i + 1) w1 (bf16)")
            expectClose(w2.toArray(), floats(torchPoint["w2"]), atol: 1e-2, rtol: 0, "\(name) step \(i + 1) w2 (bf16)")
        }
        let buffer = optimizer.state[0]["momentum_buffer"]
        expectClose(buffer?.toArray() ?? [], floats(float32["momentum_buffer"]), atol: 1e-5, rtol: 1e-4, "\(name) buffer")
    }

    @Test func newtonSchulzMatchesTorchAndFlattensTheSpectrum() {
        let iteration = object(fixture["newton_schulz"])
        let g = tensor(iteration["g"], [4, 7])
        let wide = Muon.newtonSchulz(g), tall = Muon.newtonSchulz(g.t().contiguous())
        expectClose(wide.toArray(), floats(iteration["out"]), atol: 1e-5, rtol: 1e-4, "wide")
        expectClose(tall.toArray(), floats(iteration["out_tall"]), atol: 1e-5, rtol: 1e-4, "tall")
        #expect(tall.shape == [7, 4])
        // The rows come out nearly orthonormal: O·Oᵀ ≈ I with singular values in about (0.5, 1.5).
        let singular = Linalg.svdvals(wide).toArray()
        #expect(singular.allSatisfy { $0 > 0.5 && $0 < 1.5 }, "singular values \(singular)")
        // A zero gradient stays zero (eps keeps the scaling finite).
        #expect(Muon.newtonSchulz(Tensor.zeros([3, 2])).toArray() == [Float](repeating: 0, count: 6))
    }

    @Test func stateDictResumesExactly() throws {
        let start = (tensor(fixture["w1"], [5, 3]), tensor(fixture["w2"], [2, 5]))
        let w1 = start.0.clone().requiringGrad(), w2 = start.1.clone().requiringGrad()
        let reference = Muon([w1, w2], lr: 0.05)
        for _ in 0..<6 { reference.zeroGrad(); loss(w1, w2).backward(); reference.step() }

        let v1 = start.0.clone().requiringGrad(), v2 = start.1.clone().requiringGrad()
        let first = Muon([v1, v2], lr: 0.05)
        for _ in 0..<2 { first.zeroGrad(); loss(v1, v2).backward(); first.step() }
        let saved = first.stateDict()
        #expect(saved["hyperparameters.momentum"]?.item() == 0.95)
        let u1 = v1.detach().clone().requiringGrad(), u2 = v2.detach().clone().requiringGrad()
        let resumed = Muon([u1, u2], lr: 1, momentum: 0.5)
        try resumed.loadStateDict(saved)
        #expect(resumed.lr == 0.05 && resumed.momentum == 0.95)
        for _ in 0..<4 { resumed.zeroGrad(); loss(u1, u2).backward(); resumed.step() }
        #expect(u1.toArray() == w1.toArray() && u2.toArray() == w2.toArray())
    }

    @Test func refusesParametersThatAreNotMatrices() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Muon([Tensor.zeros([3, 2]), Tensor.zeros([2])])
        }
        #expect(stderr(r).contains("Muon: parameter 1 has shape [2], but Muon only updates 2-D weights; "
            + "give biases, embeddings and norms to another optimizer such as AdamW"))
    }
}
