import Foundation

/// The adaptive softmax of Grave et al. (2017), like `torch.nn.AdaptiveLogSoftmaxWithLoss`: a
/// classifier over a large vocabulary (language models) that is cheap because most targets are
/// frequent words. The classes, sorted by frequency, are cut into a shortlist and clusters at
/// `cutoffs`; the head scores the shortlist plus one entry per cluster, and each cluster has a tail
/// projecting to a smaller hidden size (in / divValue^(i+1)) and then to its classes. A batch runs
/// only the tails of the clusters its targets fall in.
///
///     let asm = AdaptiveLogSoftmaxWithLoss(512, nClasses: 50_000, cutoffs: [2_000, 10_000])
///     let (targetLogProbs, loss) = asm(hidden, targets)      // hidden [N, 512], targets int64 [N]
///     loss.backward()
///     let next = asm.predict(hidden)                          // int64 [N]
///
/// Parameters are named as in PyTorch: `head.weight` (and `head.bias` with `headBias`),
/// `tail.<i>.0.weight`, `tail.<i>.1.weight`.
public final class AdaptiveLogSoftmaxWithLoss: Module {
    public let inFeatures: Int
    public let nClasses: Int
    /// The cutoffs given, followed by `nClasses` (as PyTorch's attribute): cluster i holds the classes
    /// cutoffs[i] ..< cutoffs[i + 1].
    public let cutoffs: [Int]
    public let divValue: Double
    /// Scores the shortlist (classes 0 ..< cutoffs[0]) and then each cluster as a whole.
    public let head: Linear
    /// One two-layer projection per cluster, without biases.
    public let tail: [Sequential]

    /// The classes the head scores directly.
    public var shortlistSize: Int { cutoffs[0] }
    public var nClusters: Int { cutoffs.count - 1 }
    public var headSize: Int { shortlistSize + nClusters }

    /// `cutoffs` must be increasing and lie in 1 ... nClasses − 1.
    public init(_ inFeatures: Int, nClasses: Int, cutoffs: [Int], divValue: Double = 4, headBias: Bool = false) {
        precondition(!cutoffs.isEmpty, "Ember: AdaptiveLogSoftmaxWithLoss: cutoffs must hold at least one value")
        precondition(zip(cutoffs, cutoffs.dropFirst()).allSatisfy { $0 < $1 } && cutoffs[0] > 0 && cutoffs.last! < nClasses,
                     "Ember: AdaptiveLogSoftmaxWithLoss: cutoffs \(cutoffs) must be unique, increasing, and lie in 1...\(nClasses - 1) (nClasses − 1)")
        (self.inFeatures, self.nClasses, self.divValue) = (inFeatures, nClasses, divValue)
        self.cutoffs = cutoffs + [nClasses]
        head = Linear(inFeatures, cutoffs[0] + cutoffs.count, bias: headBias)
        var tail: [Sequential] = []
        for i in 0..<cutoffs.count {
            let hidden = Int(pythonFloorDivide(Double(inFeatures), pow(divValue, Double(i + 1))))
            precondition(hidden > 0, "Ember: AdaptiveLogSoftmaxWithLoss: cluster \(i) would project \(inFeatures) features "
                + "to \(inFeatures) / \(divValue)^\(i + 1) < 1; use a smaller divValue or fewer cutoffs")
            tail.append(Sequential(Linear(inFeatures, hidden, bias: false),
                                   Linear(hidden, self.cutoffs[i + 1] - self.cutoffs[i], bias: false)))
        }
        self.tail = tail
        super.init()
    }

    /// The log-probability of each target and the mean negative log-likelihood (PyTorch's `output`
    /// and `loss`).
    public struct Output {
        /// log p(target) per sample: [N] (a scalar for one unbatched sample).
        public let output: Tensor
        public let loss: Tensor
    }

    /// This module takes inputs with their targets (`asm(x, y)`), or gives every class's
    /// log-probability with `logProb(x)`.
    public override func forward(_ x: Tensor) -> Tensor {
        preconditionFailure("Ember: AdaptiveLogSoftmaxWithLoss takes inputs with their targets: asm(x, y).loss; "
            + "for every class's log-probability call asm.logProb(x), for the best class asm.predict(x)")
    }

    /// Scores `input` [N, inFeatures] against int64 `target` [N] (or one sample: [inFeatures] and a
    /// scalar target), running the tails of only the clusters the targets fall in.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Output {
        precondition(target.dtype == .int64, "Ember: AdaptiveLogSoftmaxWithLoss: targets must be int64 class indices, got \(target.dtype)")
        switch target.rank {
        case 1:
            guard input.rank == 2, input.shape[0] == target.shape[0] else {
                shapeFailure(ShapeError("AdaptiveLogSoftmaxWithLoss: 1-D targets of shape \(target.shape) need inputs [\(target.shape[0]), "
                    + "\(inFeatures)], got \(input.shape)"))
            }
        case 0:
            guard input.rank == 1 else {
                shapeFailure(ShapeError("AdaptiveLogSoftmaxWithLoss: a scalar target needs a 1-D input [\(inFeatures)], got \(input.shape)"))
            }
            let batched = self(input.unsqueeze(0), target.unsqueeze(0))
            return Output(output: batched.output.squeeze(0), loss: batched.loss)
        default:
            shapeFailure(ShapeError("AdaptiveLogSoftmaxWithLoss: targets must be 1-D [N] or a scalar (one class per sample), got \(target.shape)"))
        }
        let labels = target.toIntArray()
        if let bad = labels.first(where: { $0 < 0 || $0 >= nClasses }) {
            preconditionFailure("Ember: AdaptiveLogSoftmaxWithLoss: target \(bad) is outside [0, \(nClasses - 1)] (nClasses \(nClasses)); "
                + "targets range over [\(labels.min()!), \(labels.max()!)]")
        }
        // Each sample's entry of the head: its own class in the shortlist, else its cluster.
        var headEntries = labels
        var clusterRows: [Int] = [], clusterScores: [Tensor] = []
        for cluster in 0..<nClusters {
            let (low, high) = (cutoffs[cluster], cutoffs[cluster + 1])
            let rows = labels.indices.filter { labels[$0] >= low && labels[$0] < high }
            guard !rows.isEmpty else { continue }
            for row in rows { headEntries[row] = shortlistSize + cluster }
            let rowIndex = Tensor(rows, device: input.device)
            let logProbs = tail[cluster](input.indexSelect(dim: 0, indices: rowIndex)).logSoftmax(dim: 1)
            let within = Tensor(rows.map { labels[$0] - low }, shape: [rows.count, 1], device: input.device)
            clusterRows += rows
            clusterScores.append(logProbs.gather(dim: 1, indices: within).squeeze(1))
        }
        let headEntry = Tensor(headEntries, shape: [labels.count, 1], device: input.device)
        var output = head(input).logSoftmax(dim: 1).gather(dim: 1, indices: headEntry).squeeze(1)
        if !clusterScores.isEmpty {
            output = output.indexAdd(dim: 0, index: Tensor(clusterRows, device: input.device), source: Tensor.cat(clusterScores))
        }
        return Output(output: output, loss: -output.mean())
    }

    /// The log-probability of every class: [N, nClasses] for input [N, inFeatures] ([nClasses] for one
    /// sample), running every tail.
    public func logProb(_ input: Tensor) -> Tensor {
        guard input.rank == 2 || input.rank == 1 else {
            shapeFailure(ShapeError("AdaptiveLogSoftmaxWithLoss.logProb: input must be [N, \(inFeatures)] or [\(inFeatures)], got \(input.shape)"))
        }
        if input.rank == 1 { return fullLogProb(input.unsqueeze(0), head(input.unsqueeze(0))).squeeze(0) }
        return fullLogProb(input, head(input))
    }

    /// The most likely class of each sample, int64 [N]: `logProb(x).argmax(dim: 1)`, but running the
    /// tails only for the samples whose best head entry is a cluster (a shortlist word that beats
    /// every cluster's total beats each of its words).
    public func predict(_ input: Tensor) -> Tensor {
        guard input.rank == 2 else {
            shapeFailure(ShapeError("AdaptiveLogSoftmaxWithLoss.predict: input must be [N, \(inFeatures)], got \(input.shape)"))
        }
        let headOutput = head(input)
        var best = headOutput.argmax(dim: 1).toIntArray()
        let unsure = best.indices.filter { best[$0] >= shortlistSize }
        if !unsure.isEmpty {
            let rows = Tensor(unsure, device: input.device)
            let full = fullLogProb(input.indexSelect(dim: 0, indices: rows), headOutput.indexSelect(dim: 0, indices: rows))
            for (row, choice) in zip(unsure, full.argmax(dim: 1).toIntArray()) { best[row] = choice }
        }
        return Tensor(best, device: input.device)
    }

    /// Every class's log-probability from the head's output: the shortlist's own, then each cluster's
    /// within-cluster log-probabilities plus the cluster's.
    private func fullLogProb(_ input: Tensor, _ headOutput: Tensor) -> Tensor {
        let headLogProb = headOutput.logSoftmax(dim: 1)
        var parts = [headLogProb.slice(1, start: 0, end: shortlistSize)]
        for cluster in 0..<nClusters {
            let entry = shortlistSize + cluster
            parts.append(tail[cluster](input).logSoftmax(dim: 1) + headLogProb.slice(1, start: entry, end: entry + 1))
        }
        return Tensor.cat(parts, dim: 1)
    }
}

/// Python's `a // b` for doubles (CPython's algorithm), which PyTorch sizes the tails with: not ⌊a / b⌋,
/// whose rounding can land on the other side of a whole number (1 // 0.1 is 9, while 1 / 0.1 rounds to 10).
func pythonFloorDivide(_ a: Double, _ b: Double) -> Double {
    var remainder = fmod(a, b)
    var quotient = (a - remainder) / b
    if remainder != 0 && (b < 0) != (remainder < 0) {
        remainder += b
        quotient -= 1
    }
    guard quotient != 0 else { return 0 }
    var floored = quotient.rounded(.down)
    if quotient - floored > 0.5 { floored += 1 }
    return floored
}
