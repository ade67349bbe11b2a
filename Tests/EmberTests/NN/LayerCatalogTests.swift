import Foundation
import Testing
@testable import Ember

/// The rest of torch.nn's layer catalogue against PyTorch (layer_catalog.json, from
/// scripts/make_layer_catalog_fixtures.py): channel and alpha dropout, RReLU, Softmax2d, ChannelShuffle,
/// LocalResponseNorm, the 3-D padding layers, the distance layers and two more losses.
@Suite("Layer catalogue")
struct LayerCatalogTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("layer_catalog.json") }

    func cases(_ key: String) -> [[String: Any]] { (fixture[key] as? [Any] ?? []).map { object($0) } }

    @Test func singleInputLayersMatchPyTorch() {
        let modules: [Module] = [
            RReLU().eval(), RReLU(lower: 0.1, upper: 0.3).eval(),
            Softmax2d(), Softmax2d(),
            ChannelShuffle(2), ChannelShuffle(3),
            LocalResponseNorm(2), LocalResponseNorm(3, alpha: 0.5, beta: 0.6, k: 2), LocalResponseNorm(5, alpha: 1e-2),
            ZeroPad3d((1, 0, 2, 1, 0, 1)), ConstantPad3d(1, value: 2.5), ReflectionPad3d((2, 1, 1, 0, 1, 1)),
            ReplicationPad3d((1, 2, 0, 1, 2, 0)), CircularPad3d((1, 1, 1, 2, 1, 0)),
        ]
        let all = cases("single")
        #expect(all.count == modules.count)
        for (module, c) in zip(modules, all) {
            let name = c["repr"] as! String
            #expect(module.description == name)
            let x = tensor(c["x0"], ints(c["x0_shape"]), requiresGrad: true)
            let out = module(x)
            #expect(out.shape == ints(c["out_shape"]), "\(name) shape")
            guard out.shape == ints(c["out_shape"]) else { continue }
            expectClose(out.toArray(), floats(c["out"]), "\(name) output")
            (out * tensor(c["w"], out.shape)).sum().backward()
            expectClose(x.grad!.toArray(), floats(c["grad0"]), "\(name) input gradient")
        }
    }

    @Test func localResponseNormGradientMatchesFiniteDifferences() {
        let generator = RandomGenerator(seed: 7)
        let x = Tensor.randn([1, 6, 2, 2], generator: generator, requiresGrad: true)
        let weights = Tensor.randn([1, 6, 2, 2], generator: generator)
        let f = { (t: Tensor) in localResponseNorm(t, size: 3, alpha: 0.9, beta: 0.7, k: 1.5) * weights }
        f(x).sum().backward()
        expectClose(x.grad!.toArray(), numericalGradient(of: f, at: x.detach()), atol: 2e-3, rtol: 1e-2, "LRN gradient")
    }

    @Test func twoInputLayersMatchPyTorch() {
        let similarityAndDistance: [(Module, (Tensor, Tensor) -> Tensor)] = [
            { let m = CosineSimilarity(); return (m, { m($0, $1) }) }(),
            { let m = CosineSimilarity(dim: 0, eps: 1e-6); return (m, { m($0, $1) }) }(),
            { let m = PairwiseDistance(); return (m, { m($0, $1) }) }(),
            { let m = PairwiseDistance(p: 1, eps: 1e-3, keepdim: true); return (m, { m($0, $1) }) }(),
        ]
        let all = cases("pairs")
        #expect(all.count == similarityAndDistance.count)
        for ((module, call), c) in zip(similarityAndDistance, all) {
            let name = c["repr"] as! String
            #expect(module.description == name)
            let a = tensor(c["x0"], ints(c["x0_shape"]), requiresGrad: true)
            let b = tensor(c["x1"], ints(c["x1_shape"]), requiresGrad: true)
            let out = call(a, b)
            #expect(out.shape == ints(c["out_shape"]), "\(name) shape")
            expectClose(out.toArray(), floats(c["out"]), "\(name) output")
            (out * tensor(c["w"], out.shape)).sum().backward()
            expectClose(a.grad!.toArray(), floats(c["grad0"]), "\(name) first gradient")
            expectClose(b.grad!.toArray(), floats(c["grad1"]), "\(name) second gradient")
        }
    }

    @Test func multilabelMarginLossMatchesPyTorch() {
        #expect(MultiLabelMarginLoss().description == fixture["multilabel_margin_repr"] as? String)
        let all = cases("multilabel_margin")
        #expect(all.count == 6)   // the last has margins of exactly 0
        for c in all {
            let shape = ints(c["x_shape"])
            let x = tensor(c["x"], shape, requiresGrad: true)
            let target = Tensor(ints(c["target"]), shape: shape)
            let reduction = Reduction(rawValue: c["reduction"] as! String)!
            let loss = MultiLabelMarginLoss(reduction: reduction)(x, target)
            let what = "\(shape) \(reduction)"
            #expect(loss.shape == ints(c["out_shape"]), "\(what) shape")
            expectClose(loss.toArray(), floats(c["out"]), "\(what) loss")
            (loss * tensor(c["w"], loss.shape)).sum().backward()
            expectClose(x.grad!.toArray(), floats(c["grad"]), "\(what) gradient")
        }
    }

    @Test func tripletMarginWithDistanceLossMatchesPyTorch() {
        let all = cases("triplet_distance")
        #expect(all.count == 4)
        for c in all {
            let cosine = c["distance"] as! String == "cosine"
            let reduction = Reduction(rawValue: c["reduction"] as! String)!
            let loss = TripletMarginWithDistanceLoss(distanceFunction: cosine ? { 1 - cosineSimilarity($0, $1) } : nil,
                                                     margin: Float(c["margin"] as! Double), swap: c["swap"] as! Bool,
                                                     reduction: reduction)
            let (a, p, n) = (tensor(c["anchor"], [5, 4], requiresGrad: true), tensor(c["positive"], [5, 4], requiresGrad: true),
                             tensor(c["negative"], [5, 4], requiresGrad: true))
            let out = loss(a, p, n)
            let what = "\(c["distance"]!) swap \(loss.swap) \(reduction)"
            #expect(out.shape == ints(c["out_shape"]), "\(what) shape")
            expectClose(out.toArray(), floats(c["out"]), "\(what) loss")
            (out * tensor(c["w"], out.shape)).sum().backward()
            expectClose(a.grad!.toArray(), floats(c["grad_anchor"]), "\(what) anchor gradient")
            expectClose(p.grad!.toArray(), floats(c["grad_positive"]), "\(what) positive gradient")
            expectClose(n.grad!.toArray(), floats(c["grad_negative"]), "\(what) negative gradient")
        }
        // A hinge of exactly 0 passes no gradient, as PyTorch's.
        let tie = object(fixture["triplet_tie"])
        let (a, p, n) = (Tensor([0, 0] as [Float], shape: [1, 2], requiresGrad: true),
                         Tensor([1, 0] as [Float], shape: [1, 2], requiresGrad: true),
                         Tensor([1, 1] as [Float], shape: [1, 2], requiresGrad: true))
        let l1 = TripletMarginWithDistanceLoss(distanceFunction: { ($0 - $1).abs().sum(dim: -1) })
        let out = l1(a, p, n)
        out.backward()
        #expect(out.toArray() == floats(tie["out"]))
        #expect(a.grad!.toArray() == floats(tie["grad_anchor"]) && p.grad!.toArray() == floats(tie["grad_positive"])
                && n.grad!.toArray() == floats(tie["grad_negative"]))
    }

    /// Every element becomes exactly PyTorch's dropped value or PyTorch's value for it kept (the
    /// constants come from p as the decimal written, as PyTorch's double p); the feature variant keeps
    /// or drops whole channels.
    @Test func alphaDropoutTakesPyTorchsValues() {
        let layers: [DropoutBase] = [AlphaDropout(0.2), AlphaDropout(0.5), FeatureAlphaDropout(0.3)]
        let all = cases("alpha")
        #expect(all.count == layers.count)
        for (layer, c) in zip(layers, all) {
            let name = c["repr"] as! String
            #expect(layer.description == name)
            layer.generator = RandomGenerator(seed: 11)
            let shape = ints(c["x_shape"])
            let x = tensor(c["x"], shape)
            let (dropped, kept) = (floats(c["dropped"])[0], floats(c["kept"]))
            var sawDropped = false, sawKept = false
            for _ in 0..<4 {
                let out = layer(x).toArray()
                for i in out.indices {
                    let isDropped = out[i] == dropped, isKept = out[i] == kept[i]
                    #expect(isDropped || isKept, "\(name) element \(i) is \(out[i]), expected \(dropped) or \(kept[i])")
                    sawDropped = sawDropped || isDropped
                    sawKept = sawKept || isKept
                }
                if layer is FeatureAlphaDropout {
                    let perChannel = shape[2]
                    for channel in 0..<(out.count / perChannel) {
                        let values = out[(channel * perChannel)..<((channel + 1) * perChannel)]
                        #expect(values.allSatisfy { $0 == dropped } || !values.contains(dropped),
                                "\(name) channel \(channel) is partly dropped")
                    }
                }
            }
            #expect(sawDropped && sawKept, "\(name) never dropped or never kept")
            layer.eval()
            #expect(layer(x).toArray() == x.toArray(), "\(name) in evaluation")
        }
        // As in PyTorch, the functions are the identity unless asked to train.
        let x = Tensor.randn([4, 3], generator: RandomGenerator(seed: 1))
        #expect(alphaDropout(x, p: 0.2).toArray() == x.toArray() && featureAlphaDropout(x, p: 0.2).toArray() == x.toArray())
    }

    /// Alpha dropout's point: standard-normal inputs keep mean 0 and variance 1, at rate p.
    @Test func alphaDropoutKeepsMeanAndVarianceAtItsRate() {
        let generator = RandomGenerator(seed: 3)
        let x = Tensor.randn([200_000], generator: generator)
        let out = alphaDropout(x, p: 0.3, training: true, generator: generator)
        let values = out.toArray()
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.02, "mean \(mean), variance \(variance)")
        let droppedCount = Dictionary(values.map { ($0, 1) }, uniquingKeysWith: +).values.max()!   // all take one value
        let rate = Float(droppedCount) / Float(values.count)
        #expect(abs(rate - 0.3) < 0.01, "dropped \(rate)")
        // The gradient is a where kept, 0 where dropped.
        let leafX = x.detach().requiringGrad()
        let again = alphaDropout(leafX, p: 0.3, training: true, generator: RandomGenerator(seed: 5))
        again.sum().backward()
        let alpha = 1.7580993408473766
        let a = Float(1 / ((alpha * alpha * 0.3 + 1) * 0.7).squareRoot())
        let gradients: [Float] = leafX.grad!.toArray().map { abs($0 - a) < 1e-6 ? 1 : $0 }
        #expect(Set(gradients) == [0, 1])
        #expect(featureAlphaDropout(x.reshape([2, 100_000]), p: 1, training: true).toArray().allSatisfy { $0 == 0 })
    }

    @Test func channelDropoutDropsWholeChannelsInOneTwoAndThreeDims() {
        let reprs = object(fixture["reprs"])
        #expect(Dropout1d(0.2).description == reprs["Dropout1d"] as? String)
        #expect(Dropout3d().description == reprs["Dropout3d"] as? String)
        #expect(AlphaDropout(0.1).description == reprs["AlphaDropout"] as? String)
        #expect(FeatureAlphaDropout(0.25).description == reprs["FeatureAlphaDropout"] as? String)
        for (layer, shape) in [(Dropout1d(0.4) as DropoutBase, [50, 40, 6]), (Dropout1d(0.4), [400, 5]),
                               (Dropout3d(0.4), [20, 50, 2, 3, 2]), (Dropout3d(0.4), [300, 2, 2, 3])] {
            layer.generator = RandomGenerator(seed: 9)
            let x = Tensor.ones(shape, requiresGrad: true)
            let out = layer(x)
            let plane = shape.suffix(shape.count == 3 || shape.count == 5 ? shape.count - 2 : shape.count - 1).reduce(1, *)
            let values = out.toArray()
            var kept = 0
            for channel in 0..<(values.count / plane) {
                let block = values[(channel * plane)..<((channel + 1) * plane)]
                #expect(block.allSatisfy { $0 == 0 } || block.allSatisfy { abs($0 - 1 / 0.6) < 1e-6 }, "\(layer) \(shape)")
                if block.first != 0 { kept += 1 }
            }
            let rate = Float(kept) / Float(values.count / plane)
            #expect(abs(rate - 0.6) < 0.06, "\(layer) \(shape) kept \(rate)")
            if shape.count == 3 || shape.count == 5 {
                // Each sample draws its own channels: two samples disagree on about 2p(1 − p) = 0.48 of them.
                let channels = shape[1]
                let disagree = (0..<channels).count { (values[$0 * plane] == 0) != (values[(channels + $0) * plane] == 0) }
                #expect(disagree >= channels / 5, "\(layer) \(shape): samples 0 and 1 disagree on \(disagree) channels")
            }
            out.sum().backward()
            #expect(x.grad!.toArray() == values, "\(layer) gradient is the mask")
            layer.eval()
            #expect(layer(x).toArray() == x.toArray())
        }
    }

    /// In training each non-positive element is scaled by its own slope from [lower, upper), and
    /// its gradient is that slope.
    @Test func rreluDrawsOneSlopePerNegativeElementInTraining() {
        let layer = RReLU(lower: 0.1, upper: 0.3)
        layer.generator = RandomGenerator(seed: 4)
        let x = Tensor.randn([20_000], generator: RandomGenerator(seed: 2), requiresGrad: true)
        let out = layer(x)
        out.sum().backward()
        let (xs, ys, grads) = (x.toArray(), out.toArray(), x.grad!.toArray())
        var slopes: [Float] = []
        for i in xs.indices {
            if xs[i] > 0 {
                #expect(ys[i] == xs[i] && grads[i] == 1)
            } else {
                let slope = ys[i] / xs[i]
                #expect(slope >= 0.1 - 1e-6 && slope < 0.3 + 1e-6 && abs(grads[i] - slope) < 1e-5)
                slopes.append(slope)
            }
        }
        let mean = slopes.reduce(0, +) / Float(slopes.count)
        #expect(abs(mean - 0.2) < 0.005 && Set(slopes).count > slopes.count / 2, "slopes' mean \(mean)")
    }

    @Test func badInputsStopWithMessagesNamingShapes() async {
        let rank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = dropout3d(Tensor.ones([2, 3, 4]), p: 0.5)
        }
        #expect(stderr(rank).contains("dropout3d: expected a 4-D [C, D, H, W] or 5-D [N, C, D, H, W] input, got shape [2, 3, 4]"))
        let shuffle = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ChannelShuffle(4)(Tensor.ones([1, 6, 2]))
        }
        #expect(stderr(shuffle).contains("channelShuffle: the 6 channels of input [1, 6, 2] do not divide into 4 groups"))
        let softmax = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Softmax2d()(Tensor.ones([6, 2]))
        }
        #expect(stderr(softmax).contains("Softmax2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape [6, 2]"))
        let label = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = multilabelMarginLoss(Tensor.ones([2, 3]), Tensor([0, 1, -1, 3, -1, 0], shape: [2, 3]))
        }
        #expect(stderr(label).contains("multilabelMarginLoss: target 3 in row 1 is out of range for 3 classes"))
        // Entries after the terminating −1 are checked too, as PyTorch does.
        let late = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = multilabelMarginLoss(Tensor.ones([1, 3]), Tensor([0, -1, 5], shape: [1, 3]))
        }
        #expect(stderr(late).contains("multilabelMarginLoss: target 5 in row 0 is out of range for 3 classes"))
        let reflect = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ReflectionPad3d(1)(Tensor.ones([3, 3, 3]))
        }
        #expect(stderr(reflect).contains("ReflectionPad3d: expects a 4-D or 5-D input, got shape [3, 3, 3]"))
        let lrn = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LocalResponseNorm(2)(Tensor.ones([4, 5]))
        }
        #expect(stderr(lrn).contains("localResponseNorm: expects an input [N, C, *] of at least 3 dims and a positive size, "
            + "got shape [4, 5]"))
        let pair = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = PairwiseDistance()(Tensor.ones([4, 5]))
        }
        #expect(stderr(pair).contains("PairwiseDistance takes two inputs: call it as distance(x1, x2)"))
        let bounds = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = rrelu(Tensor.ones([2]), lower: 0.5, upper: 0.2, training: true)
        }
        #expect(stderr(bounds).contains("rrelu: lower (0.5) must not exceed upper (0.2)"))
        let margin = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = TripletMarginWithDistanceLoss(margin: 0)
        }
        #expect(stderr(margin).contains("TripletMarginWithDistanceLoss: margin must be greater than 0, got 0.0"))
        let groups = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = channelShuffle(Tensor.ones([1, 4, 2]), groups: 0)
        }
        #expect(stderr(groups).contains("channelShuffle: groups must be positive, got 0"))
    }
}
