import Foundation

/// The order in which a `DataLoader` visits a dataset's samples, epoch by epoch, like
/// `torch.utils.data.Sampler`: give one to `DataLoader(_:batchSize:sampler:)` to balance classes
/// (`WeightedRandomSampler`), train on part of a dataset (`SubsetRandomSampler`) or draw epochs of
/// any length (`RandomSampler(replacement:)`).
public protocol Sampler: AnyObject {
    /// The sample indices of the next epoch (random samplers draw a new order each time).
    func nextEpoch() -> [Int]
    /// The number of indices per epoch.
    var count: Int { get }
}

/// 0, 1, ..., n − 1 every epoch, like `torch.utils.data.SequentialSampler`.
public final class SequentialSampler: Sampler {
    public let count: Int
    public init(count: Int) { self.count = count }
    public func nextEpoch() -> [Int] { Array(0..<count) }
}

/// A random order of 0..<n each epoch (a new permutation from a generator seeded with `seed`; more
/// `numSamples` than n chain permutations), or with `replacement`, `numSamples` independent uniform
/// draws; like `torch.utils.data.RandomSampler`.
/// `DataLoader(shuffle: true, seed:)` uses it.
public final class RandomSampler: Sampler {
    public let populationCount: Int
    public let replacement: Bool
    public let count: Int
    private let generator: RandomGenerator

    public init(count: Int, replacement: Bool = false, numSamples: Int? = nil, seed: UInt64 = 0) {
        precondition(numSamples == nil || numSamples! >= 0,
                     "Ember: RandomSampler: numSamples must be non-negative, got \(numSamples!)")
        populationCount = count
        self.replacement = replacement
        self.count = numSamples ?? count
        generator = RandomGenerator(seed: seed)
    }

    public func nextEpoch() -> [Int] {
        if replacement { return generator.ints(below: populationCount, count: count) }
        var order: [Int] = []
        while order.count < count { order += generator.permutation(populationCount).prefix(count - order.count) }
        return order
    }
}

/// The given indices in a new random order each epoch, like `torch.utils.data.SubsetRandomSampler`:
/// train on some samples of a dataset (a split) without making a `Subset`.
public final class SubsetRandomSampler: Sampler {
    public let indices: [Int]
    private let generator: RandomGenerator

    public init(_ indices: [Int], seed: UInt64 = 0) {
        self.indices = indices
        generator = RandomGenerator(seed: seed)
    }

    public var count: Int { indices.count }
    public func nextEpoch() -> [Int] { generator.permutation(indices.count).map { indices[$0] } }
}

/// `numSamples` indices drawn with probabilities proportional to `weights` (one per sample), like
/// `torch.utils.data.WeightedRandomSampler`. With weights of 1/(count of the sample's class) each class
/// is drawn equally often: the usual cure for an imbalanced training set.
///
///     let weights = labels.map { 1 / Double(classCounts[$0]) }
///     let loader = DataLoader(train, batchSize: 64,
///                             sampler: WeightedRandomSampler(weights, numSamples: train.count, seed: 1))
///
/// Without `replacement` each index appears at most once per epoch (then `numSamples` may not exceed
/// the number of positive weights).
public final class WeightedRandomSampler: Sampler {
    public let weights: [Double]
    public let count: Int
    public let replacement: Bool
    private let generator: RandomGenerator

    public init(_ weights: [Double], numSamples: Int, replacement: Bool = true, seed: UInt64 = 0) {
        precondition(weights.allSatisfy { $0 >= 0 && $0.isFinite },
                     "Ember: WeightedRandomSampler: weights must be finite and non-negative")
        let positive = weights.filter { $0 > 0 }.count
        precondition(positive > 0, "Ember: WeightedRandomSampler: at least one weight must be positive")
        precondition(numSamples >= 0 && (replacement || numSamples <= positive),
                     "Ember: WeightedRandomSampler: cannot draw \(numSamples) samples without replacement from "
                        + "\(positive) with positive weight; pass replacement: true or fewer numSamples")
        self.weights = weights
        count = numSamples
        self.replacement = replacement
        generator = RandomGenerator(seed: seed)
    }

    public func nextEpoch() -> [Int] {
        generator.weightedIndices(weights, count: count, replacement: replacement)
    }
}
