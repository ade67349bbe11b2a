import CEmberKernels
import Foundation

/// The connectionist temporal classification loss, like `torch.nn.functional.ctc_loss`: the negative
/// log-probability of each target sequence, summed over every alignment of it to the input frames
/// (labels may repeat over frames and be separated by blanks). For speech and handwriting
/// recognition, where frames outnumber labels and the alignment is unknown.
///
/// - `logProbs`: log-probabilities [T, N, C] (time, batch, classes) or [T, C] for one sequence,
///   usually `logSoftmax(dim: -1)` of a network's output.
/// - `targets`: int64 class indices, either padded [N, S] (S at least the longest target) or all
///   targets concatenated [sum(targetLengths)]; [S] for one sequence. They may not hold `blank`.
/// - `inputLengths`, `targetLengths`: each sequence's frames (at most T) and labels.
/// - `reduction`: `.mean` divides each loss by its target length (at least 1), then averages over the
///   batch, as PyTorch does; `.sum`; `.none` gives one loss per sequence.
/// - `zeroInfinity`: an impossible alignment (too few frames for the target) gives the loss ∞;
///   with `zeroInfinity` it gives 0 and no gradient instead.
///
/// The forward and backward (α–β) recursions run on the host in log space in float32 (as PyTorch's),
/// a frame's states at a time through the vector exp and log, the sequences of a batch spread over the
/// cores; a GPU tensor's values make the round trip. The gradient is the true derivative with respect to
/// `logProbs`; PyTorch's adds exp(logProbs), which `logSoftmax`'s backward cancels, so gradients that
/// reach the network through `logSoftmax` are the same as PyTorch's. Its gradient can be recorded
/// (`createGraph`) but not differentiated again, as in PyTorch.
public func ctcLoss(_ logProbs: Tensor, targets: Tensor, inputLengths: [Int], targetLengths: [Int], blank: Int = 0,
                    reduction: Reduction = .mean, zeroInfinity: Bool = false) -> Tensor {
    let problem = CTCProblem(logProbs, targets: targets, inputLengths: inputLengths, targetLengths: targetLengths,
                             blank: blank)
    let wantsGradient = GradMode.isEnabled && logProbs.requiresGrad
    let solution = problem.solve(gradient: wantsGradient, zeroInfinity: zeroInfinity)
    let batchSize = problem.batchSize
    var losses = Tensor(solution.losses, shape: [batchSize], device: logProbs.device)
    if wantsGradient {
        let gradient = Tensor(solution.gradient, shape: logProbs.shape, device: logProbs.device)
        let perSequence = logProbs.rank == 3 ? [1, batchSize, 1] : [1]
        losses = losses.recording("ctcLoss", inputs: [logProbs]) { g in
            guard Tensor.isRecordingBackward else { return [gradient * g.reshape(perSequence)] }
            // Under createGraph the gradient is recorded, as a node that stops a backward through it.
            let recorded = gradient.detach().recording("ctcLossBackward", inputs: [logProbs]) { _ in
                fatalError("Ember: ctcLoss: second derivatives are not supported (as in PyTorch); "
                    + "its first derivative can be taken with createGraph, but not differentiated again")
            }
            return [recorded * g.reshape(perSequence)]
        }
    }
    switch reduction {
    case .none: return logProbs.rank == 3 ? losses : losses.reshape([])
    case .sum: return losses.sum()
    case .mean:
        let lengths = Tensor(targetLengths.map { Float(Swift.max($0, 1)) }, device: logProbs.device)
        return (losses / lengths).mean()
    }
}

/// `ctcLoss` with the lengths in int64 tensors, as PyTorch code often passes them.
public func ctcLoss(_ logProbs: Tensor, targets: Tensor, inputLengths: Tensor, targetLengths: Tensor, blank: Int = 0,
                    reduction: Reduction = .mean, zeroInfinity: Bool = false) -> Tensor {
    ctcLoss(logProbs, targets: targets, inputLengths: ctcLengths(inputLengths, "input"),
            targetLengths: ctcLengths(targetLengths, "target"), blank: blank, reduction: reduction, zeroInfinity: zeroInfinity)
}

/// `ctcLoss` as a module, like `torch.nn.CTCLoss`: `CTCLoss()(logProbs, targets, inputLengths:, targetLengths:)`.
public final class CTCLoss: CustomStringConvertible {
    public let blank: Int, reduction: Reduction, zeroInfinity: Bool
    public init(blank: Int = 0, reduction: Reduction = .mean, zeroInfinity: Bool = false) {
        (self.blank, self.reduction, self.zeroInfinity) = (blank, reduction, zeroInfinity)
    }
    public func callAsFunction(_ logProbs: Tensor, _ targets: Tensor, inputLengths: [Int], targetLengths: [Int]) -> Tensor {
        ctcLoss(logProbs, targets: targets, inputLengths: inputLengths, targetLengths: targetLengths, blank: blank,
                reduction: reduction, zeroInfinity: zeroInfinity)
    }
    public func callAsFunction(_ logProbs: Tensor, _ targets: Tensor, inputLengths: Tensor, targetLengths: Tensor) -> Tensor {
        self(logProbs, targets, inputLengths: ctcLengths(inputLengths, "input"), targetLengths: ctcLengths(targetLengths, "target"))
    }
    public var description: String { "CTCLoss(blank=\(blank), reduction=\(reduction), zeroInfinity=\(zeroInfinity))" }
}

/// Lengths given as a tensor: int64, one per sequence.
private func ctcLengths(_ lengths: Tensor, _ kind: String) -> [Int] {
    guard lengths.dtype == .int64, lengths.rank <= 1 else {
        shapeFailure(ShapeError("ctcLoss: \(kind) lengths must be an int64 tensor [N] (or a scalar), got \(lengths.dtype) of shape \(lengths.shape)"))
    }
    return lengths.toIntArray()
}

/// One batch of CTC: the log-probabilities and targets read to the host and checked.
private struct CTCProblem {
    let frames: Int, batchSize: Int, classes: Int, blank: Int
    let logProbs: [Float]             // [T, N, C]
    let labels: [[Int]]               // each sequence's target
    let inputLengths: [Int]

    init(_ logProbs: Tensor, targets: Tensor, inputLengths: [Int], targetLengths: [Int], blank: Int) {
        func fail(_ message: String) -> Never { shapeFailure(ShapeError("ctcLoss: " + message)) }
        guard logProbs.dtype == .float32, logProbs.rank == 3 || logProbs.rank == 2 else {
            fail("expected float32 log-probabilities [T, N, C] or [T, C], got \(logProbs.dtype) of shape \(logProbs.shape)")
        }
        let batched = logProbs.rank == 3
        let (frames, batchSize, classes) = (logProbs.shape[0], batched ? logProbs.shape[1] : 1, logProbs.shape[logProbs.rank - 1])
        guard batchSize > 0 else { fail("the log-probabilities of shape \(logProbs.shape) hold no sequence") }
        guard targets.dtype == .int64 else {
            fail("targets must be int64 class indices, got \(targets.dtype) of shape \(targets.shape)")
        }
        guard inputLengths.count == batchSize, targetLengths.count == batchSize else {
            fail("expected \(batchSize) input and target lengths (one per sequence of log-probabilities of shape "
                + "\(logProbs.shape)), got \(inputLengths.count) and \(targetLengths.count)")
        }
        if let bad = inputLengths.firstIndex(where: { $0 < 0 || $0 > frames }) {
            fail("input length \(inputLengths[bad]) of sequence \(bad) is outside 0...\(frames) (T of the log-probabilities "
                + "of shape \(logProbs.shape))")
        }
        if let bad = targetLengths.firstIndex(where: { $0 < 0 }) {
            fail("target length \(targetLengths[bad]) of sequence \(bad) is negative")
        }
        guard (0..<classes).contains(blank) else { fail("blank \(blank) is not a class index in 0..<\(classes)") }
        let flat = targets.toIntArray()
        var labels: [[Int]] = []
        if targets.rank == 1 && batched {
            guard flat.count == targetLengths.reduce(0, +) else {
                fail("concatenated targets of shape \(targets.shape) should hold the sum of the target lengths, "
                    + "\(targetLengths.reduce(0, +)) labels")
            }
            var start = 0
            for length in targetLengths { labels.append(Array(flat[start..<(start + length)])); start += length }
        } else {
            // An unbatched sequence's target may be [S] or [1, S].
            guard targets.rank == 2 ? targets.shape[0] == batchSize : !batched && targets.rank == 1 else {
                fail("expected targets [\(batchSize), S]\(batched ? " or concatenated [sum of target lengths]" : " or [S]") "
                    + "for log-probabilities of shape \(logProbs.shape), got shape \(targets.shape)")
            }
            let width = targets.shape[targets.rank - 1]
            if let bad = targetLengths.firstIndex(where: { $0 > width }) {
                fail("target length \(targetLengths[bad]) of sequence \(bad) is longer than the targets' \(width) columns "
                    + "(shape \(targets.shape))")
            }
            for (n, length) in targetLengths.enumerated() { labels.append(Array(flat[(n * width)..<(n * width + length)])) }
        }
        for (n, label) in labels.enumerated() {
            if let bad = label.first(where: { !(0..<classes).contains($0) || $0 == blank }) {
                fail("target \(n) holds \(bad), which is \(bad == blank ? "the blank" : "not a class index in 0..<\(classes)"); "
                    + "targets are labels other than blank (\(blank))")
            }
        }
        (self.frames, self.batchSize, self.classes, self.blank) = (frames, batchSize, classes, blank)
        self.labels = labels
        self.inputLengths = inputLengths
        self.logProbs = noGrad { logProbs.toArray() }
    }

    /// Each sequence's loss and, when asked, d loss / d logProbs [T, N, C] (zero past each input length).
    func solve(gradient wantsGradient: Bool, zeroInfinity: Bool) -> (losses: [Float], gradient: [Float]) {
        var losses = [Float](repeating: 0, count: batchSize)
        var gradient = [Float](repeating: 0, count: wantsGradient ? logProbs.count : 0)
        losses.withUnsafeMutableBufferPointer { lossOut in
            gradient.withUnsafeMutableBufferPointer { gradientOut in
                let (lossOut, gradientOut) = (lossOut, gradientOut)   // sendable copies of the base addresses
                DispatchQueue.concurrentPerform(iterations: batchSize) { n in
                    var loss = negativeLogLikelihood(n, gradient: wantsGradient ? gradientOut : nil)
                    if loss == .infinity && zeroInfinity {
                        loss = 0
                        if wantsGradient { for t in 0..<frames { for c in 0..<classes { gradientOut[index(t, n, c)] = 0 } } }
                    }
                    lossOut[n] = Float(loss)
                }
            }
        }
        return (losses, gradient)
    }

    private func index(_ t: Int, _ n: Int, _ c: Int) -> Int { (t * batchSize + n) * classes + c }

    /// −log p(target n | input n) from the forward recursion over the extended target (blank, l₁, blank,
    /// l₂, ..., blank); with `gradient`, also the backward recursion, writing that sequence's gradient.
    /// Each frame's log-sum-exps run as whole rows through the vector exp and log.
    private func negativeLogLikelihood(_ n: Int, gradient: UnsafeMutableBufferPointer<Float>?) -> Double {
        let target = labels[n], length = inputLengths[n]
        let states = 2 * target.count + 1
        guard length > 0 else { return target.isEmpty ? 0 : .infinity }
        let label: [Int] = (0..<states).map { s in s % 2 == 0 ? blank : target[s / 2] }
        // A label may follow the one two states back (skipping a blank) unless the two are equal.
        let skips: [Bool] = (0..<states).map { (s: Int) -> Bool in s % 2 == 1 && s > 1 && label[s] != label[s - 2] }
        var scratch = LogSumExpRows(states: states)
        return logProbs.withUnsafeBufferPointer { logProbs in
            func emission(_ t: Int, _ s: Int) -> Float { logProbs[index(t, n, label[s])] }

            let alpha = UnsafeMutablePointer<Float>.allocate(capacity: length * states)
            defer { alpha.deallocate() }
            alpha.initialize(repeating: -.infinity, count: length * states)
            alpha[0] = emission(0, 0)
            if states > 1 { alpha[1] = emission(0, 1) }
            for t in 1..<length {
                let previous = (t - 1) * states
                scratch.sum(into: alpha + t * states) { s in
                    (alpha[previous + s], s > 0 ? alpha[previous + s - 1] : -.infinity,
                     skips[s] ? alpha[previous + s - 2] : -.infinity, emission(t, s))
                }
            }
            let last = (length - 1) * states
            let logLikelihood = states > 1
                ? logAddExp(Double(alpha[last + states - 1]), Double(alpha[last + states - 2])) : Double(alpha[last])
            let loss = -logLikelihood
            guard let gradient else { return loss }
            guard loss < .infinity else {
                for t in 0..<length { for c in 0..<classes { gradient[index(t, n, c)] = .nan } }   // as PyTorch's
                return loss
            }

            // β_t(s): the log-probability of finishing from state s at frame t, emission at t included.
            // d loss / d logProbs_t(c) = −Σ_{s: label(s) = c} α_t(s)·β_t(s) / (p·y_t(c)): each term is the
            // posterior probability of being in state s at frame t, at most 1, so it is summed as is.
            let rows = UnsafeMutablePointer<Float>.allocate(capacity: 2 * states)
            defer { rows.deallocate() }
            rows.initialize(repeating: -.infinity, count: 2 * states)
            var (beta, next) = (rows, rows + states)   // β_t and β_{t+1}
            beta[states - 1] = emission(length - 1, states - 1)
            if states > 1 { beta[states - 2] = emission(length - 1, states - 2) }
            var terms = [Float](repeating: 0, count: states)
            for t in stride(from: length - 1, through: 0, by: -1) {
                if t < length - 1 {
                    swap(&beta, &next)
                    scratch.sum(into: beta) { s in
                        (next[s], s + 1 < states ? next[s + 1] : -.infinity,
                         s + 2 < states && skips[s + 2] ? next[s + 2] : -.infinity, emission(t, s))
                    }
                }
                for s in 0..<states {
                    let (a, b) = (alpha[t * states + s], beta[s])
                    terms[s] = a == -.infinity || b == -.infinity ? -.infinity : a + b + Float(loss) - emission(t, s)
                }
                terms.withUnsafeMutableBufferPointer { ember_math_f32(EMBER_MATH_EXP, $0.baseAddress!, $0.baseAddress!, Int64(states)) }
                for s in 0..<states { gradient[index(t, n, label[s])] -= terms[s] }
            }
            return loss
        }
    }
}

/// Scratch rows for one recursion step of CTC: out[s] = log(eᵃ + eᵇ + eᶜ) + e for every state s at
/// once, with one vector exp over the three terms and one vector log over their sums.
private struct LogSumExpRows {
    private var shifted: [Float], maxima: [Float], extra: [Float]

    init(states: Int) {
        shifted = [Float](repeating: 0, count: 3 * states)
        maxima = [Float](repeating: 0, count: states)
        extra = maxima
    }

    /// Writes `out[0..<states]`; `terms(s)` gives s's three log-terms and the log-term added.
    mutating func sum(into out: UnsafeMutablePointer<Float>, _ terms: (Int) -> (Float, Float, Float, Float)) {
        let states = maxima.count
        for s in 0..<states {
            let (a, b, c, e) = terms(s)
            var m = Swift.max(a, b, c)
            if m == -.infinity { m = 0 }   // all three are −∞: their exps are 0 and the log −∞
            shifted[s] = a - m
            shifted[states + s] = b - m
            shifted[2 * states + s] = c - m
            maxima[s] = m
            extra[s] = e
        }
        shifted.withUnsafeMutableBufferPointer { ember_math_f32(EMBER_MATH_EXP, $0.baseAddress!, $0.baseAddress!, Int64(3 * states)) }
        for s in 0..<states { shifted[s] += shifted[states + s] + shifted[2 * states + s] }
        shifted.withUnsafeMutableBufferPointer { ember_math_f32(EMBER_MATH_LOG, $0.baseAddress!, $0.baseAddress!, Int64(states)) }
        for s in 0..<states { out[s] = maxima[s] + shifted[s] + extra[s] }
    }
}

/// log(eᵃ + eᵇ) without overflow; −∞ is the log of 0.
@inline(__always)
private func logAddExp(_ a: Double, _ b: Double) -> Double {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    return Swift.max(a, b) + Foundation.log1p(Foundation.exp(-Swift.abs(a - b)))
}
