import Testing
@testable import Ember

/// The fused softmax cross-entropy (logits [N, C], class indices, no weights or smoothing) must
/// agree with the general path (logSoftmax + NLL), which the PyTorch fixtures check; class weights
/// of one force the general path with the same mathematics.
@Suite("Fused cross-entropy") struct FusedCrossEntropyTests {
    @Test(arguments: [Reduction.mean, .sum, .none])
    func matchesTheGeneralPathWithIgnoredTargets(_ reduction: Reduction) {
        manualSeed(11)
        let x = Tensor.randn([6, 5], std: 3)
        let targets = Tensor([2, -100, 0, 4, -100, 1])
        let fusedInput = x.detach().requiringGrad(), generalInput = x.detach().requiringGrad()
        let fused = crossEntropy(fusedInput, targets, reduction: reduction)
        let general = crossEntropy(generalInput, targets, weight: Tensor.ones([5]), reduction: reduction)
        expectClose(fused.toArray(), general.toArray(), atol: 1e-5, "loss")
        let r = Tensor.randn(fused.shape)
        (fused * r).sum().backward()
        (general * r).sum().backward()
        expectClose(fusedInput.grad!.toArray(), generalInput.grad!.toArray(), atol: 1e-5, "gradient")
        // Ignored rows get no gradient.
        #expect(fusedInput.grad!.select(0, 1).toArray() == [0, 0, 0, 0, 0])
    }

    @Test func gradientMatchesFiniteDifferences() {
        manualSeed(12)
        let x = Tensor.randn([4, 3], requiresGrad: true)
        let targets = Tensor([0, 2, 1, 2])
        crossEntropy(x, targets).backward()
        let numeric = numericalGradient(of: { crossEntropy($0, targets) }, at: x, h: 1e-2)
        expectClose(x.grad!.toArray(), numeric, atol: 2e-3, rtol: 1e-2, "finite differences")
    }

    @Test func outOfRangeTargetNamesIt() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = crossEntropy(Tensor.zeros([2, 3]), Tensor([1, 3]))
        } .map { result in
            let text = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(text.contains("target 3 at position 1 is out of bounds for 3 classes"))
        }
    }
}
