/// Cross-entropy of a linear layer's logits, like `torch.nn.functional.linear_cross_entropy`:
/// `crossEntropy(linear(input, linearWeight, linearBias), target, ...)` with the same options (class
/// `weight`, `ignoreIndex`, `labelSmoothing`, `reduction`).
///
/// With a `chunkSize`, the logits are never held whole: rows of the batch are scored `chunkSize` at a
/// time, and backward computes them again chunk by chunk, so memory grows as chunkSize × classes
/// instead of batch × classes (a language model's head over a 50,000-word vocabulary, say). That path
/// takes class indices and inputs [N, in]; other targets use the whole logits, as PyTorch's fallback.
public func linearCrossEntropy(_ input: Tensor, linearWeight: Tensor, target: Tensor, linearBias: Tensor? = nil,
                               weight: Tensor? = nil, reduction: Reduction = .mean, ignoreIndex: Int = -100,
                               labelSmoothing: Float = 0, chunkSize: Int? = nil) -> Tensor {
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1,
                 "Ember: linearCrossEntropy: labelSmoothing must be between 0.0 and 1.0, got \(labelSmoothing)")
    guard linearWeight.rank == 2, input.rank == 1 || input.rank == 2, input.shape[input.rank - 1] == linearWeight.shape[1] else {
        shapeFailure(ShapeError("linearCrossEntropy: input of shape \(input.shape) does not fit a linear weight of shape "
            + "\(linearWeight.shape) (expected an input [N, in] or [in] against a weight [classes, in])"))
    }
    if let chunkSize, input.rank == 2, input.shape[0] > 0, target.dtype == .int64, target.shape == [input.shape[0]] {
        precondition(chunkSize > 0, "Ember: linearCrossEntropy: chunkSize must be positive, got \(chunkSize)")
        return ChunkedLinearCrossEntropy(input: input, linearWeight: linearWeight, target: target, linearBias: linearBias,
                                         weight: weight, ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing,
                                         chunkSize: chunkSize).loss(reduction)
    }
    return crossEntropy(linear(input, weight: linearWeight, bias: linearBias), target, weight: weight, ignoreIndex: ignoreIndex,
                        labelSmoothing: labelSmoothing, reduction: reduction)
}

/// The chunked path: with p = softmax(logits), the loss of row i with target y is
/// (1 − ε)·w_y·(−log p_y) + (ε/C)·Σ_c w_c·(−log p_c), whose gradient in the logits is
/// p·((1 − ε)·w_y + (ε/C)·Σw) − (1 − ε)·w_y·onehot(y) − (ε/C)·w: both need only one chunk of
/// logits at a time.
private struct ChunkedLinearCrossEntropy {
    let input: Tensor, linearWeight: Tensor, target: Tensor, linearBias: Tensor?
    let weight: Tensor?, ignoreIndex: Int, labelSmoothing: Float, chunkSize: Int
    let labels: [Int]
    /// Each row's class weight (0 for ignored rows): their sum is the mean's divisor.
    let rowWeights: [Float]
    /// 1 for each row that counts, 0 for ignored ones.
    let keptRows: [Float]
    let classes: Int

    init(input: Tensor, linearWeight: Tensor, target: Tensor, linearBias: Tensor?, weight: Tensor?, ignoreIndex: Int,
         labelSmoothing: Float, chunkSize: Int) {
        (self.input, self.linearWeight, self.target, self.linearBias) = (input, linearWeight, target, linearBias)
        (self.weight, self.ignoreIndex, self.labelSmoothing, self.chunkSize) = (weight, ignoreIndex, labelSmoothing, chunkSize)
        classes = linearWeight.shape[0]
        if let weight, weight.shape != [classes] {
            shapeFailure(ShapeError("linearCrossEntropy: class weight of shape \(weight.shape) must have one entry per class: [\(classes)]"))
        }
        labels = target.toIntArray()
        let classWeights = weight.map { w in noGrad { w.toArray() } }
        var rowWeights = [Float](repeating: 0, count: labels.count)
        for (row, label) in labels.enumerated() where label != ignoreIndex {
            precondition(label >= 0 && label < classes,
                         "Ember: linearCrossEntropy: target \(label) is outside [0, \(classes - 1)] (and is not ignoreIndex \(ignoreIndex))")
            rowWeights[row] = classWeights?[label] ?? 1
        }
        self.rowWeights = rowWeights
        keptRows = labels.map { $0 == ignoreIndex ? 0 : 1 }
    }

    private var device: Device { input.device }

    /// Rows [start, end) of the batch.
    private var chunks: [Range<Int>] {
        stride(from: 0, to: labels.count, by: chunkSize).map { $0..<Swift.min($0 + chunkSize, labels.count) }
    }

    private func logits(_ rows: Range<Int>) -> Tensor {
        linear(input[rows], weight: linearWeight, bias: linearBias)
    }

    /// Class indices of the rows (0 for ignored ones, whose terms are dropped) as an int64 column.
    private func targetColumn(_ rows: Range<Int>) -> Tensor {
        Tensor(rows.map { labels[$0] == ignoreIndex ? 0 : labels[$0] }, shape: [rows.count, 1], device: device)
    }

    private func column(_ values: ArraySlice<Float>) -> Tensor { Tensor(Array(values), shape: [values.count, 1], device: device) }

    /// The loss of every row ([N], 0 for ignored rows), reduced, with a backward that recomputes each chunk.
    func loss(_ reduction: Reduction) -> Tensor {
        let (smoothing, classCount) = (labelSmoothing, Float(classes))
        let perRow = noGrad {
            Tensor.cat(chunks.map { rows -> Tensor in
                let z = logits(rows)
                let logSumExp = z.logsumexp(dim: 1, keepdim: true)
                let kept = column(keptRows[rows])
                var losses = (logSumExp - z.gather(dim: 1, indices: targetColumn(rows))) * column(rowWeights[rows]) * (1 - smoothing)
                if smoothing > 0 {
                    let negativeLogP = logSumExp - z
                    let smooth = (weight.map { negativeLogP * $0 } ?? negativeLogP).sum(dim: 1, keepdim: true) * kept
                    losses = losses + smooth * (smoothing / classCount)
                }
                return losses.squeeze(1)
            })
        }
        let divisor = rowWeights.reduce(0, +)
        let reduced: Tensor
        switch reduction {
        case .none: reduced = perRow
        case .sum: reduced = perRow.sum()
        case .mean: reduced = perRow.sum() / divisor
        }
        let inputs = [input, linearWeight] + (linearBias.map { [$0] } ?? [])
        return reduced.recording("linearCrossEntropy", inputs: inputs) { g in
            // Each row's factor: the incoming gradient, over the divisor for the mean.
            // With every row ignored the mean is NaN and, as PyTorch's, its gradient 0.
            let rowScale = reduction == .none ? g.reshape([-1, 1])
                : (reduction == .mean ? (divisor == 0 ? g * 0 : g / divisor) : g).reshape([1, 1])
            return gradients(rowScale)
        }
    }

    /// The gradients of input, weight and bias, chunk by chunk.
    private func gradients(_ rowScale: Tensor) -> [Tensor?] {
        let (smoothing, classCount) = (labelSmoothing, Float(classes))
        let weightSum = weight.map { w in noGrad { w.sum() } } ?? Tensor.full([], classCount, device: device)
        var inputGrads: [Tensor] = []
        var weightGrad = Tensor.zeros(linearWeight.shape, device: device)
        var biasGrad = linearBias.map { Tensor.zeros($0.shape, device: device) }
        for rows in chunks {
            let p = logits(rows).softmax(dim: 1)
            let targetWeight = column(rowWeights[rows]) * (1 - smoothing)
            let kept = column(keptRows[rows])
            var g = p * (targetWeight + kept * weightSum * (smoothing / classCount))
            g = g - Tensor.zeros([rows.count, classes], device: device).scatter(dim: 1, index: targetColumn(rows), src: targetWeight)
            if smoothing > 0 { g = g - kept * (weight ?? Tensor.ones([classes], device: device)) * (smoothing / classCount) }
            g = g * (rowScale.shape[0] == 1 ? rowScale : rowScale[rows])
            inputGrads.append(g.matmul(linearWeight))
            weightGrad = weightGrad + g.t().matmul(input[rows])
            biasGrad = biasGrad.map { $0 + g.sum(dim: 0) }
        }
        return [Tensor.cat(inputGrads), weightGrad] + (biasGrad.map { [$0] } ?? [])
    }
}

/// A linear layer and cross-entropy in one, like `torch.nn.LinearCrossEntropyLoss`: the classifier head
/// of a model with many classes, whose logits need never be held whole when a `chunkSize` is given.
/// Its weight is `linear.weight` [numClasses, inFeatures] (and `linear.bias` with `bias`), as PyTorch's.
///
///     let head = LinearCrossEntropyLoss(512, numClasses: 50_000, chunkSize: 1024)
///     let loss = head(hidden, nextTokens)          // hidden [N, 512], nextTokens int64 [N]
public final class LinearCrossEntropyLoss: Module {
    public let linear: Linear
    public let numClasses: Int
    public let reduction: Reduction
    /// Each class's weight, or nil for all 1.
    public let classWeight: Tensor?
    public let ignoreIndex: Int?
    public let labelSmoothing: Float
    /// Rows scored at a time, or nil to compute the whole logits (PyTorch's `options=None`).
    public let chunkSize: Int?

    public init(_ inFeatures: Int, numClasses: Int, bias: Bool = false, reduction: Reduction = .mean, weight: Tensor? = nil,
                ignoreIndex: Int? = nil, labelSmoothing: Float = 0, chunkSize: Int? = nil) {
        precondition(weight == nil || weight!.shape == [numClasses],
                     "Ember: LinearCrossEntropyLoss: expected weight shape to be [\(numClasses)], got \(weight!.shape)")
        precondition(labelSmoothing >= 0 && labelSmoothing <= 1,
                     "Ember: LinearCrossEntropyLoss: expected labelSmoothing to be in [0, 1], got \(labelSmoothing)")
        linear = Linear(inFeatures, numClasses, bias: bias)
        (self.numClasses, self.reduction, classWeight) = (numClasses, reduction, weight)
        (self.ignoreIndex, self.labelSmoothing, self.chunkSize) = (ignoreIndex, labelSmoothing, chunkSize)
        super.init()
    }

    /// The class weight is a buffer named `weight`, as in PyTorch's state dict (and moves with `to`).
    public override func directBuffers() -> [(String, Tensor)] {
        super.directBuffers() + (classWeight.map { [("weight", $0)] } ?? [])
    }

    /// This loss takes inputs with their targets: `loss(x, y)`.
    public override func forward(_ x: Tensor) -> Tensor {
        preconditionFailure("Ember: LinearCrossEntropyLoss takes inputs with their targets: loss(x, y)")
    }

    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        linearCrossEntropy(input, linearWeight: linear.weight, target: target, linearBias: linear.bias, weight: classWeight,
                           reduction: reduction, ignoreIndex: ignoreIndex ?? -100, labelSmoothing: labelSmoothing,
                           chunkSize: chunkSize)
    }

    public override var extraDescription: String {
        "in_features=\(linear.inFeatures), num_classes=\(numClasses), out_features=(), bias=\(pythonBool(linear.bias != nil)), "
            + "reduction=\(reduction.rawValue), ignore_index=\(ignoreIndex.map(String.init) ?? "None"), "
            + "label_smoothing=\(labelSmoothing), options=\(chunkSize.map { "chunk_size=\($0)" } ?? "None")"
    }
}
