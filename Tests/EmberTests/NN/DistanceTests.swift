import Foundation
import Testing
@testable import Ember

/// normalize, cosineSimilarity, pairwiseDistance and the losses built on them, plus smooth L1 and KL
/// divergence, against PyTorch (scripts/make_distance_fixtures.py → Fixtures/distance.json); and the
/// edge cases of sort, topk, norm and logsumexp that the op fixtures do not reach.
@Suite struct DistanceTests {
    static let cases: [String: [String: Any]] = {
        let list = (try? loadFixture("distance.json"))?["cases"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as! String, $0) })
    }()

    @Test func fixturesLoaded() { #expect(Self.cases.count == 23) }

    static func apply(_ name: String, _ x: [String: Tensor]) -> Tensor {
        switch name {
        case "normalize": return normalize(x["x"]!, dim: 1)
        case "normalize_p1_dim0": return normalize(x["x"]!, p: 1, dim: 0)
        case "cosine_similarity": return cosineSimilarity(x["a"]!, x["b"]!)
        case "pairwise_distance": return pairwiseDistance(x["a"]!, x["b"]!)
        case "pairwise_distance_p1_keep": return pairwiseDistance(x["a"]!, x["b"]!, p: 1, keepdim: true)
        case "smooth_l1": return SmoothL1Loss()(x["a"]!, x["b"]!)
        case "smooth_l1_beta_sum": return smoothL1Loss(x["a"]!, x["b"]!, beta: 0.5, reduction: .sum)
        case "kl_div_batchmean": return KLDivLoss(reduction: .batchMean)(x["a"]!, x["b"]!)
        case "kl_div_mean_log_target": return klDiv(x["a"]!, x["b"]!, logTarget: true)
        case "kl_div_none": return klDiv(x["a"]!, x["b"]!, reduction: .none)
        case "cosine_embedding": return CosineEmbeddingLoss(margin: 0.2)(x["a"]!, x["b"]!, x["y"]!)
        case "margin_ranking": return MarginRankingLoss(margin: 0.5)(x["a"]!, x["b"]!, x["y"]!)
        case "triplet_margin": return TripletMarginLoss()(x["a"]!, x["p"]!, x["n"]!)
        case "triplet_margin_swap_p1_none":
            return tripletMarginLoss(anchor: x["a"]!, positive: x["p"]!, negative: x["n"]!, margin: 2, p: 1, swap: true,
                                     reduction: .none)
        case "poisson_nll_log_input": return PoissonNLLLoss()(x["a"]!, x["b"]!)
        case "poisson_nll_rate_full_sum":
            return poissonNLLLoss(x["a"]!, x["b"]!, logInput: false, full: true, reduction: .sum)
        case "gaussian_nll": return GaussianNLLLoss()(x["a"]!, x["b"]!, x["v"]!)
        case "gaussian_nll_shared_var_full":
            return gaussianNLLLoss(x["a"]!, x["b"]!, variance: x["v"]!, full: true, reduction: .none)
        case "soft_margin": return SoftMarginLoss()(x["a"]!, x["t"]!)
        case "multilabel_soft_margin_weight": return MultiLabelSoftMarginLoss(weight: x["w"]!)(x["a"]!, x["t"]!)
        case "hinge_embedding": return HingeEmbeddingLoss(margin: 0.7)(x["a"]!, x["t"]!)
        case "multi_margin": return MultiMarginLoss()(x["a"]!, x["y"]!)
        case "multi_margin_p2_weight_sum":
            return multiMarginLoss(x["a"]!, x["y"]!, p: 2, margin: 0.5, weight: x["w"]!, reduction: .sum)
        default: fatalError("DistanceTests: no case \(name)")
        }
    }

    @Test(arguments: cases.keys.sorted())
    func matchesPyTorch(_ name: String) throws {
        let c = try #require(Self.cases[name])
        let grads = c["grads"] as! [String: Any]
        var inputs: [String: Tensor] = [:]
        for (key, spec) in c["inputs"] as! [String: [String: Any]] {
            let shape = spec["shape"] as! [Int]
            let isLabel = key == "y"
            inputs[key] = isLabel ? Tensor(floats(spec["values"]).map { Int($0) }, shape: shape)
                : Tensor(floats(spec["values"]), shape: shape, requiresGrad: grads[key] != nil)
        }
        let out = Self.apply(name, inputs)
        #expect(out.shape == c["out_shape"] as! [Int], "\(name)")
        expectClose(out.toArray(), floats(c["out"]), atol: 1e-5, rtol: 1e-4, name)
        (out * Tensor(floats(c["r"]), shape: out.shape)).sum().backward()
        for (key, want) in grads {
            expectClose(try #require(inputs[key]?.grad).toArray(), floats(want), atol: 1e-5, rtol: 1e-4, "\(name) grad \(key)")
        }
    }

    // MARK: Edge cases

    @Test func sortPutsNaNLastAndKeepsTiesInOrder() {
        let x = Tensor([3, .nan, 1, 3, -2], shape: [5])
        let (values, indices) = x.sort()
        #expect(indices.toIntArray() == [4, 2, 0, 3, 1])
        #expect(Array(values.toArray().prefix(4)) == [-2, 1, 3, 3] && values.toArray()[4].isNaN)
        #expect(x.argsort(descending: true).toIntArray() == [1, 0, 3, 2, 4])
    }

    @Test func sortsInt64ExactlyBeyondFloatPrecision() {
        let big = 1 << 40
        let x = Tensor([big + 1, 5, big, -7], shape: [2, 2])
        let (values, indices) = x.sort(dim: 0)
        #expect(values.dtype == .int64 && values.toIntArray() == [big, -7, big + 1, 5])
        #expect(indices.toIntArray() == [1, 1, 0, 0])
        #expect(x.topk(1, dim: 1).values.toIntArray() == [big + 1, big])
    }

    @Test func topkOfTheWholeRowAndOfNothing() {
        let x = Tensor([[0.5, 2, -1], [4, 3, 9]])
        #expect(x.topk(3).values.toArray() == [2, 0.5, -1, 9, 4, 3])
        #expect(x.topk(0).values.shape == [2, 0])
    }

    @Test func topkLargerThanTheDimStops() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).topk(4)
        } .map { result in
            let text = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(text.contains("topk: k (4) must be between 0 and the size of dim 1 (3) of shape [2, 3]"), "\(text)")
        }
    }

    @Test func normOfZeroHasZeroGradient() {
        let x = Tensor.zeros([2, 3], requiresGrad: true)
        x.norm(dim: 1).sum().backward()
        #expect(x.grad!.toArray() == [Float](repeating: 0, count: 6))
        let y = Tensor([[0, 0], [3, 4]], requiresGrad: true)
        let unit = normalize(y)
        #expect(unit.toArray() == [0, 0, 0.6, 0.8])
        unit.sum().backward()
        #expect(y.grad!.toArray().allSatisfy { $0.isFinite })
    }

    @Test func logsumexpOfInfiniteRows() {
        let x = Tensor([[-.infinity, -.infinity], [.infinity, 0], [1000, 1000]])
        let out = x.logsumexp(dim: 1).toArray()
        #expect(out[0] == -.infinity && out[1] == .infinity)
        #expect(abs(out[2] - (1000 + log(2))) < 1e-3)
        // An empty sum is log 0, as in PyTorch.
        #expect(Tensor.zeros([2, 0]).logsumexp(dim: 1).toArray() == [-.infinity, -.infinity])
        #expect(Tensor.zeros([2, 0]).logsumexp(dim: 1, keepdim: true).shape == [2, 1])
    }

    @Test func infinityNormSplitsTheGradientAmongTies() {
        // PyTorch's values: the two entries of magnitude 3 take half each.
        let x = Tensor([3, -3, 1, 2, 0, -1] as [Float], shape: [2, 3], requiresGrad: true)
        x.norm(p: .infinity, dim: 1).sum().backward()
        #expect(x.grad?.toArray() == [0.5, -0.5, 0, 1, 0, 0])
        x.grad = nil
        x.norm(p: .infinity).backward()
        #expect(x.grad?.toArray() == [0.5, -0.5, 0, 0, 0, 0])
    }

    @Test func repeatAddsLeadingDimsAndTiles() {
        let x = Tensor([1, 2])
        #expect(x.repeat(2, 2).toArray() == [1, 2, 1, 2, 1, 2, 1, 2])
        #expect(x.repeat(2, 2).shape == [2, 4])
        #expect(x.repeat(3).shape == [6] && x.repeat(0).shape == [0])
    }
}

/// The review's edge cases: flip copies, repeated flip dims stop, labels must match, KLDivLoss's reduction.
@Suite struct DistanceEdgeCaseTests {
    @Test func flipAlwaysCopies() {
        let x = Tensor([[1, 2, 3]] as [[Float]])
        let flipped = x.flip(0)
        flipped.add_(1)
        #expect(x.toArray() == [1, 2, 3] && flipped.toArray() == [2, 3, 4])
        #expect(x.flip(0, 1).toArray() == [3, 2, 1])
        #expect(Tensor([[4, 5, 6]]).flip(1).toIntArray() == [6, 5, 4])   // int64 too
    }

    @Test func flipOfARepeatedDimStops() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).flip(1, -1)
        } .map { result in
            let text = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(text.contains("flip: dims [1, -1] name a dim more than once"), "\(text)")
        }
    }

    @Test func rankingLabelsOfAnotherShapeStop() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = marginRankingLoss(Tensor.zeros([3]), Tensor.zeros([3]), Tensor([1, -1, 1], shape: [3, 1]))
        } .map { result in
            let text = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(text.contains("marginRankingLoss: the labels y have shape [3, 1], expected [3]"), "\(text)")
        }
    }

    @Test func klDivLossFollowsItsReduction() {
        let input = Tensor([[-1, -0.5], [-2, -0.2]]), target = Tensor([[0.3, 0.7], [0.1, 0.9]])
        let loss = KLDivLoss()
        let mean = loss(input, target).item()
        loss.reduction = .sum
        #expect(abs(loss(input, target).item() - 4 * mean) < 1e-5)
        let batch = KLDivLoss(reduction: .batchMean)
        #expect(batch.batchMean && abs(batch(input, target).item() - 2 * mean) < 1e-5)
    }

    @Test func normOfOtherPowersHasZeroGradientAtZero() {
        let x = Tensor([0, 2, 0, -1], shape: [2, 2], requiresGrad: true)
        x.norm(p: 3, dim: 1).sum().backward()
        let g = x.grad!.toArray()
        #expect(g[0] == 0 && g[2] == 0 && abs(g[1] - 1) < 1e-6 && abs(g[3] + 1) < 1e-6, "\(g)")
        let scalar = Tensor(-3)
        #expect(scalar.norm(dim: 0).item() == 3 && scalar.logsumexp(dim: 0).item() == -3)
    }

    @Test func optimizersWithHostStepFactorsAreNotGraphCapturable() {
        let p = [Tensor.zeros([2], requiresGrad: true)]
        #expect(Adam(p).isGraphCapturable && AdamW(p).isGraphCapturable && SGD(p, momentum: 0.9).isGraphCapturable)
        #expect(Adadelta(p).isGraphCapturable && RMSprop(p).isGraphCapturable && Adagrad(p).isGraphCapturable)
        #expect(!Adamax(p).isGraphCapturable && !NAdam(p).isGraphCapturable && !RAdam(p).isGraphCapturable)
        #expect(!Adagrad(p, lrDecay: 0.1).isGraphCapturable)
    }

    @Test func oneCycleStartsItsOptimizerAtItsOwnInitialRate() {
        let optimizer = SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1, momentum: 0.9)
        _ = OneCycleLR(optimizer, maxLR: 1.0, totalSteps: 10)
        #expect(abs(optimizer.lr - 0.04) < 1e-7 && abs(optimizer.initialLR! - 0.04) < 1e-7)
    }
}
