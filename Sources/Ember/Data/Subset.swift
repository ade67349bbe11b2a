/// The samples of `base` at `indices`, in that order, like `torch.utils.data.Subset`. It holds the
/// indices only: the base dataset's samples are not copied.
public struct Subset<Base: Dataset>: Dataset {
    public let base: Base
    public let indices: [Int]

    public init(_ base: Base, indices: [Int]) {
        for index in indices {
            precondition(index >= 0 && index < base.count,
                         "Ember: Subset index \(index) is out of range for a dataset of \(base.count) samples")
        }
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }

    public subscript(index: Int) -> Base.Element {
        precondition(index >= 0 && index < indices.count, "Ember: Subset index \(index) is out of range 0..<\(indices.count)")
        return base[indices[index]]
    }
}

/// A subset of a dataset that gathers whole batches gathers them from its base in one go.
extension Subset: BatchGathering where Base: BatchGathering {
    public func batch(at indices: [Int]) -> (Tensor, Tensor) {
        base.batch(at: indices.map { index in
            precondition(index >= 0 && index < self.indices.count,
                         "Ember: Subset index \(index) is out of range 0..<\(self.indices.count)")
            return self.indices[index]
        })
    }
}

/// Splits `dataset` at random into non-overlapping subsets of the given `lengths`, which must add up
/// to its size, like `torch.utils.data.random_split`:
///
///     let parts = randomSplit(train, lengths: [55_000, 5_000], seed: 1)   // training, validation
///
/// The same seed gives the same split. (The permutation comes from Ember's generator, so it is not
/// the one PyTorch draws for the same seed.)
public func randomSplit<D: Dataset>(_ dataset: D, lengths: [Int], seed: UInt64 = 0) -> [Subset<D>] {
    precondition(lengths.allSatisfy { $0 >= 0 }, "Ember: randomSplit lengths must be non-negative, got \(lengths)")
    precondition(lengths.reduce(0, +) == dataset.count,
                 "Ember: randomSplit lengths \(lengths) add up to \(lengths.reduce(0, +)), "
                 + "but the dataset has \(dataset.count) samples; give lengths that add up to \(dataset.count), or fractions")
    let order = RandomGenerator(seed: seed).permutation(dataset.count)
    var start = 0
    return lengths.map { length in
        defer { start += length }
        return Subset(dataset, indices: Array(order[start..<start + length]))
    }
}

/// Splits `dataset` at random into subsets holding the given `fractions` of it (which add up to 1).
/// As in PyTorch, each part gets ⌊fraction · count⌋ samples and the samples left over go one each to
/// the parts in turn, from the first.
public func randomSplit<D: Dataset>(_ dataset: D, fractions: [Double], seed: UInt64 = 0) -> [Subset<D>] {
    precondition(!fractions.isEmpty && fractions.allSatisfy { $0 >= 0 && $0 <= 1 },
                 "Ember: randomSplit fractions must each be in [0, 1], got \(fractions)")
    let total = fractions.reduce(0, +)
    precondition(Swift.abs(total - 1) < 1e-6, "Ember: randomSplit fractions \(fractions) add up to \(total); they must add up to 1")
    var lengths = fractions.map { Int(($0 * Double(dataset.count)).rounded(.down)) }
    let remainder = dataset.count - lengths.reduce(0, +)
    precondition(remainder >= 0, "Ember: randomSplit fractions \(fractions) add up to more than 1 (\(total)); "
                 + "they ask for \(lengths.reduce(0, +)) of \(dataset.count) samples")
    for i in 0..<remainder { lengths[i % lengths.count] += 1 }
    return randomSplit(dataset, lengths: lengths, seed: seed)
}
