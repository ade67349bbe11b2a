/// Drawing indices from categorical distributions, like `torch.multinomial`: sampling the next token
/// of a language model, or any index in proportion to a weight.
extension Tensor {
    /// `numSamples` indices per row of non-negative weights [C] or [N, C] (they need not sum to 1),
    /// drawn with probability proportional to the weights: int64 [numSamples] or [N, numSamples], on
    /// this tensor's device. Without `replacement` (the default, as in PyTorch) an index appears at
    /// most once per row.
    ///
    ///     let next = logits.softmax(dim: -1).multinomial(numSamples: 1)   // one token per row
    public func multinomial(numSamples: Int, replacement: Bool = false, generator: RandomGenerator = .global) -> Tensor {
        guard rank == 1 || rank == 2, shape[rank - 1] > 0 else {
            shapeFailure(ShapeError("multinomial: expects weights [C] or [N, C] with C > 0, got shape \(shape)"))
        }
        guard dtype == .float32 else {
            shapeFailure(ShapeError("multinomial: expects float32 weights, got \(dtype) \(shape); convert with .to(.float32)"))
        }
        let classes = shape[rank - 1], rows = count / classes
        precondition(numSamples > 0, "Ember: multinomial: numSamples must be positive, got \(numSamples)")
        precondition(replacement || numSamples <= classes,
                     "Ember: multinomial: cannot draw \(numSamples) samples without replacement from \(classes) classes; "
                        + "pass replacement: true or fewer samples")
        let values = noGrad { toArray() }
        var drawn: [Int] = []
        drawn.reserveCapacity(rows * numSamples)
        for row in 0..<rows {
            let weights = values[row * classes..<(row + 1) * classes].map(Double.init)
            precondition(weights.allSatisfy { $0 >= 0 && $0.isFinite },
                         "Ember: multinomial: row \(row) has a negative, infinite or NaN weight")
            let positive = weights.count { $0 > 0 }
            precondition(positive > 0, "Ember: multinomial: row \(row) has no positive weight")
            precondition(replacement || numSamples <= positive,
                         "Ember: multinomial: row \(row) has \(positive) positive weights, fewer than the \(numSamples) "
                            + "samples drawn without replacement")
            drawn += generator.weightedIndices(weights, count: numSamples, replacement: replacement)
        }
        return Tensor(drawn, shape: rank == 1 ? [numSamples] : [rows, numSamples], device: device)
    }
}
