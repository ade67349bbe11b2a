/// Fractional max pooling over [N, C, H, W] (or unbatched [C, H, W]), like `torch.nn.FractionalMaxPool2d`:
/// windows of `kernelSize` at pseudo-random starts, drawn anew for each call and each plane, shrink the
/// input to `outputSize`, or to `outputRatio` of it (as `⌊H·ratio⌋` in double precision, as PyTorch). The random overlap regularizes
/// like a mild data augmentation; give the layer a generator of its own for reproducible runs.
///
///     let pool = FractionalMaxPool2d(kernelSize: 2, outputRatio: 0.7)   // 32×32 → 22×22
public final class FractionalMaxPool2d: Module {
    public let kernelSize: (Int, Int)
    public let outputSize: (Int, Int)?
    public let outputRatio: (Double, Double)?
    public let generator: RandomGenerator

    public init(kernelSize: (Int, Int), outputSize: (Int, Int), generator: RandomGenerator = .global) {
        (self.kernelSize, self.outputSize, outputRatio, self.generator) = (kernelSize, outputSize, nil, generator)
        super.init()
    }

    public init(kernelSize: (Int, Int), outputRatio: (Double, Double), generator: RandomGenerator = .global) {
        precondition(outputRatio.0 > 0 && outputRatio.0 < 1 && outputRatio.1 > 0 && outputRatio.1 < 1,
                     "Ember: FractionalMaxPool2d: outputRatio must lie in (0, 1), got \(outputRatio)")
        (self.kernelSize, outputSize, self.outputRatio, self.generator) = (kernelSize, nil, outputRatio, generator)
        super.init()
    }

    public convenience init(kernelSize: Int, outputSize: Int, generator: RandomGenerator = .global) {
        self.init(kernelSize: (kernelSize, kernelSize), outputSize: (outputSize, outputSize), generator: generator)
    }

    public convenience init(kernelSize: Int, outputRatio: Double, generator: RandomGenerator = .global) {
        self.init(kernelSize: (kernelSize, kernelSize), outputRatio: (outputRatio, outputRatio), generator: generator)
    }

    public override func forward(_ x: Tensor) -> Tensor { withIndices(x).values }

    /// The maxima and their int64 indices into each H·W plane (`return_indices=True`), for `MaxUnpool2d`.
    public func withIndices(_ x: Tensor) -> (values: Tensor, indices: Tensor) {
        batchedOrNot(x, "FractionalMaxPool2d") { x in
            let (h, w) = (x.shape[2], x.shape[3])
            let size = outputSize ?? (Int(Double(h) * outputRatio!.0), Int(Double(w) * outputRatio!.1))
            return fractionalMaxPool2d(x, kernelSize: kernelSize, outputSize: size, generator: generator)
        }
    }
}

/// Fractional max pooling over [N, C, T, H, W] (or unbatched [C, T, H, W]), like
/// `torch.nn.FractionalMaxPool3d`; see `FractionalMaxPool2d`.
public final class FractionalMaxPool3d: Module {
    public let kernelSize: (Int, Int, Int)
    public let outputSize: (Int, Int, Int)?
    public let outputRatio: (Double, Double, Double)?
    public let generator: RandomGenerator

    public init(kernelSize: (Int, Int, Int), outputSize: (Int, Int, Int), generator: RandomGenerator = .global) {
        (self.kernelSize, self.outputSize, outputRatio, self.generator) = (kernelSize, outputSize, nil, generator)
        super.init()
    }

    public init(kernelSize: (Int, Int, Int), outputRatio: (Double, Double, Double), generator: RandomGenerator = .global) {
        precondition([outputRatio.0, outputRatio.1, outputRatio.2].allSatisfy { $0 > 0 && $0 < 1 },
                     "Ember: FractionalMaxPool3d: outputRatio must lie in (0, 1), got \(outputRatio)")
        (self.kernelSize, outputSize, self.outputRatio, self.generator) = (kernelSize, nil, outputRatio, generator)
        super.init()
    }

    public convenience init(kernelSize: Int, outputSize: Int, generator: RandomGenerator = .global) {
        self.init(kernelSize: (kernelSize, kernelSize, kernelSize), outputSize: (outputSize, outputSize, outputSize), generator: generator)
    }

    public convenience init(kernelSize: Int, outputRatio: Double, generator: RandomGenerator = .global) {
        self.init(kernelSize: (kernelSize, kernelSize, kernelSize), outputRatio: (outputRatio, outputRatio, outputRatio),
                  generator: generator)
    }

    public override func forward(_ x: Tensor) -> Tensor { withIndices(x).values }

    /// The maxima and their int64 indices into each T·H·W volume (`return_indices=True`).
    public func withIndices(_ x: Tensor) -> (values: Tensor, indices: Tensor) {
        batchedOrNot(x, "FractionalMaxPool3d", spatialDims: 3) { x in
            let (t, h, w) = (x.shape[2], x.shape[3], x.shape[4])
            let size = outputSize
                ?? (Int(Double(t) * outputRatio!.0), Int(Double(h) * outputRatio!.1), Int(Double(w) * outputRatio!.2))
            return fractionalMaxPool3d(x, kernelSize: kernelSize, outputSize: size, generator: generator)
        }
    }
}
