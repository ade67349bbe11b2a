import Foundation
import Testing
@testable import Ember

/// `bilinear`/`Bilinear` against the sum written out, and `padSequence`.
@Suite struct BilinearAndSequenceTests {
    @Test func bilinearIsTheWrittenOutSum() {
        let layer = Bilinear(3, 4, 2)
        #expect(layer.description == "Bilinear(in1_features=3, in2_features=4, out_features=2, bias=True)")
        #expect(layer.weight.toArray().allSatisfy { Swift.abs($0) <= 1 / Float(3).squareRoot() })
        #expect(layer.stateDict().keys.sorted() == ["bias", "weight"])
        let x1 = Tensor.randn([5, 3]), x2 = Tensor.randn([5, 4])
        let y = layer(x1, x2)
        #expect(y.shape == [5, 2])
        let (a, b, w, bias) = (x1.toArray(), x2.toArray(), layer.weight.toArray(), layer.bias!.toArray())
        for n in 0..<5 {
            for o in 0..<2 {
                var sum = bias[o]
                for i in 0..<3 { for j in 0..<4 { sum += a[n * 3 + i] * w[(o * 3 + i) * 4 + j] * b[n * 4 + j] } }
                #expect(Swift.abs(y.toArray()[n * 2 + o] - sum) < 1e-4)
            }
        }
        // Leading dims pass through.
        #expect(bilinear(Tensor.randn([2, 3, 3]), Tensor.randn([2, 3, 4]), weight: layer.weight).shape == [2, 3, 2])
    }

    @Test func mismatchedShapesStopWithBothShapes() async {
        let sequences = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = padSequence([Tensor.zeros([3, 2]), Tensor.zeros([1, 4])])
        }
        #expect(stderr(sequences).contains("padSequence: sequence 1 has shape [1, 4], but sequence 0 has [3, 2]"))
        let variance = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = gaussianNLLLoss(Tensor.zeros([4, 3]), Tensor.zeros([4, 3]), variance: Tensor.ones([4, 2]))
        }
        #expect(stderr(variance).contains("gaussianNLLLoss: variance of shape [4, 2] does not fit the input's shape [4, 3]"))
    }

    @Test func padSequenceBatchesAndRoutesGradients() {
        let a = Tensor([1, 2, 3] as [Float], shape: [3, 1], requiresGrad: true)
        let b = Tensor([4] as [Float], shape: [1, 1], requiresGrad: true)
        let timeMajor = padSequence([a, b], paddingValue: -1)
        #expect(timeMajor.shape == [3, 2, 1] && timeMajor.toArray() == [1, 4, 2, -1, 3, -1])
        let batchMajor = padSequence([a, b], batchFirst: true)
        #expect(batchMajor.shape == [2, 3, 1] && batchMajor.toArray() == [1, 2, 3, 4, 0, 0])
        (batchMajor * Tensor((1...6).map(Float.init), shape: [2, 3, 1])).sum().backward()
        #expect(a.grad?.toArray() == [1, 2, 3] && b.grad?.toArray() == [4])
    }
}
