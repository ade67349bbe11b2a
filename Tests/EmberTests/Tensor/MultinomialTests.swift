import Foundation
import Testing
@testable import Ember

/// Tensor.multinomial: frequencies follow the weights, draws without replacement are distinct, seeded
/// draws repeat, and bad weights stop with a message.
@Suite struct MultinomialTests {
    @Test func frequenciesFollowTheWeights() {
        let weights = Tensor([1, 0, 3, 6] as [Float])   // probabilities 0.1, 0, 0.3, 0.6
        let draws = weights.multinomial(numSamples: 20_000, replacement: true, generator: RandomGenerator(seed: 1))
        #expect(draws.dtype == .int64 && draws.shape == [20_000])
        var counts = [Int](repeating: 0, count: 4)
        for i in draws.toIntArray() { counts[i] += 1 }
        #expect(counts[1] == 0)
        // Within 4.5 standard deviations of n·p for each class.
        for (i, p) in [0.1, 0.0, 0.3, 0.6].enumerated() where p > 0 {
            let deviation = (20_000 * p * (1 - p)).squareRoot()
            #expect(abs(Double(counts[i]) - 20_000 * p) < 4.5 * deviation, "class \(i): \(counts[i])")
        }
    }

    @Test func withoutReplacementEachRowDrawsDistinctIndices() {
        let weights = Tensor.rand([5, 8], generator: RandomGenerator(seed: 2)) + 0.01
        let draws = weights.multinomial(numSamples: 8, generator: RandomGenerator(seed: 3))
        #expect(draws.shape == [5, 8])
        let values = draws.toIntArray()
        for row in 0..<5 { #expect(Set(values[row * 8..<(row + 1) * 8]) == Set(0..<8)) }
        // The same seed gives the same draws.
        #expect(weights.multinomial(numSamples: 8, generator: RandomGenerator(seed: 3)).toIntArray() == values)
        // A heavy weight comes first far more often than a light one.
        let skewed = Tensor([100, 1, 1] as [Float]).expand([400, 3]).contiguous()
        let firsts = skewed.multinomial(numSamples: 2, generator: RandomGenerator(seed: 4)).select(1, 0).toIntArray()
        #expect(firsts.count { $0 == 0 } > 360)
    }

    @Test func aRowWithoutPositiveWeightStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([[1, 2], [0, 0]] as [[Float]]).multinomial(numSamples: 1)
        }
        #expect(stderr(r).contains("multinomial: row 1 has no positive weight"))
    }

    @Test func tooManySamplesWithoutReplacementStop() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2, 3] as [Float]).multinomial(numSamples: 4)
        }
        #expect(stderr(r).contains("multinomial: cannot draw 4 samples without replacement from 3 classes"))
    }

    @Test func negativeWeightsStop() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, -2, 3] as [Float]).multinomial(numSamples: 1, replacement: true)
        }
        #expect(stderr(r).contains("multinomial: row 0 has a negative, infinite or NaN weight"))
    }
}
