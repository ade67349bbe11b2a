/// The partial inverse of max pooling, like `torch.nn.functional.max_unpool1d/2d/3d` and the
/// `MaxUnpool` layers: each pooled value goes back to where its window's winner was (the indices
/// of `maxPool2dWithIndices` and its kin), everything else is zero. SegNet-style decoders unpool
/// with the encoder's indices.

/// Unpools `x` [N, C, *spatial] (or unbatched [C, *spatial]) with `indices` of its shape, each into
/// its plane or volume of the output size (PyTorch's default size, or `outputSize` within a stride of
/// it).
private func maxUnpool(_ x: Tensor, indices: Tensor, kernel: [Int], stride: [Int], padding: [Int], outputSize: [Int]?,
                       op: String) -> Tensor {
    let dims = kernel.count
    guard x.rank == dims + 1 || x.rank == dims + 2 else {
        shapeFailure(ShapeError("\(op): expected a \(dims + 1)-D or \(dims + 2)-D input [N, C, \(dims) spatial dims], "
            + "got shape \(x.shape)"))
    }
    guard indices.dtype == .int64, indices.shape == x.shape else {
        shapeFailure(ShapeError("\(op): indices must be int64 of the input's shape \(x.shape) (as max pooling with indices "
            + "returns them), got \(indices.dtype) of shape \(indices.shape)"))
    }
    guard (kernel + stride).allSatisfy({ $0 >= 1 }), padding.allSatisfy({ $0 >= 0 }) else {
        shapeFailure(ShapeError("\(op): kernel \(pythonTuple(kernel)) and stride \(pythonTuple(stride)) must be positive and "
            + "padding \(pythonTuple(padding)) non-negative"))
    }
    x.checkSameDevice(op, indices)
    let spatial = Array(x.shape.suffix(dims))
    var defaultSize: [Int] = []
    for d in 0..<dims {
        let span: Int = (spatial[d] - 1) * stride[d]
        defaultSize.append(span - 2 * padding[d] + kernel[d])
    }
    var size = defaultSize
    if let outputSize {
        // PyTorch takes the spatial sizes alone, or with the batch and channel dims in front.
        guard outputSize.count == dims || outputSize.count == dims + 2 else {
            shapeFailure(ShapeError("\(op): output size \(outputSize) must give \(dims) spatial sizes (or \(dims + 2) sizes "
                + "with the batch and channels in front)"))
        }
        let given = Array(outputSize.suffix(dims))
        let withinStride = (0..<dims).allSatisfy { (d: Int) -> Bool in
            let (low, high): (Int, Int) = (defaultSize[d] - stride[d], defaultSize[d] + stride[d])
            return given[d] > low && given[d] < high
        }
        guard withinStride else {
            shapeFailure(ShapeError("\(op): output size \(outputSize) must be within a stride of the default "
                + "\(pythonTuple(defaultSize)) in each spatial dim (stride \(pythonTuple(stride)))"))
        }
        size = given
    }
    guard size.allSatisfy({ $0 > 0 }) else {
        shapeFailure(ShapeError("\(op): the output size \(pythonTuple(size)) for input \(x.shape) (kernel \(pythonTuple(kernel)), "
            + "stride \(pythonTuple(stride)), padding \(pythonTuple(padding))) must be positive"))
    }
    let lead = Array(x.shape.dropLast(dims))
    let planes = lead.reduce(1, *), cells = spatial.reduce(1, *), volume = size.reduce(1, *)
    let out = Tensor.zeros([planes, volume], device: x.device)
        .scatter(dim: 1, index: indices.reshape([planes, cells]), src: x.reshape([planes, cells]))
    return out.reshape(lead + size)
}

/// Unpools [N, C, L] or [C, L] into length `outputSize` (default (L−1)·stride − 2·padding + kernel).
public func maxUnpool1d(_ x: Tensor, indices: Tensor, kernel: Int, stride: Int? = nil, padding: Int = 0,
                        outputSize: [Int]? = nil) -> Tensor {
    maxUnpool(x, indices: indices, kernel: [kernel], stride: [stride ?? kernel], padding: [padding], outputSize: outputSize,
              op: "maxUnpool1d")
}

/// Unpools [N, C, H, W] or [C, H, W] with the indices of `maxPool2dWithIndices`.
public func maxUnpool2d(_ x: Tensor, indices: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil,
                        padding: (Int, Int) = (0, 0), outputSize: [Int]? = nil) -> Tensor {
    let stride = stride ?? kernel
    return maxUnpool(x, indices: indices, kernel: [kernel.0, kernel.1], stride: [stride.0, stride.1],
                     padding: [padding.0, padding.1], outputSize: outputSize, op: "maxUnpool2d")
}

/// Unpools [N, C, D, H, W] or [C, D, H, W] with the indices of `maxPool3dWithIndices`.
public func maxUnpool3d(_ x: Tensor, indices: Tensor, kernel: (Int, Int, Int), stride: (Int, Int, Int)? = nil,
                        padding: (Int, Int, Int) = (0, 0, 0), outputSize: [Int]? = nil) -> Tensor {
    let stride = stride ?? kernel
    return maxUnpool(x, indices: indices, kernel: [kernel.0, kernel.1, kernel.2], stride: [stride.0, stride.1, stride.2],
                     padding: [padding.0, padding.1, padding.2], outputSize: outputSize, op: "maxUnpool3d")
}

/// Shared by the unpooling layers: sizes as PyTorch keeps them (tuples), the call with indices.
public class MaxUnpoolLayer: Module {
    public let kernelSize: [Int], stride: [Int], padding: [Int]

    init(kernelSize: [Int], stride: [Int]?, padding: [Int]) {
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
        super.init()
    }

    /// Unpools `x` with the `indices` its max pooling returned, to `outputSize` if given.
    public func callAsFunction(_ x: Tensor, indices: Tensor, outputSize: [Int]? = nil) -> Tensor {
        maxUnpool(x, indices: indices, kernel: kernelSize, stride: stride, padding: padding, outputSize: outputSize,
                  op: typeName)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        fatalError("Ember: \(typeName) needs the pooling's indices: call it as layer(x, indices: indices)")
    }

    public override var extraDescription: String {
        "kernel_size=\(pythonTuple(kernelSize)), stride=\(pythonTuple(stride)), padding=\(pythonTuple(padding))"
    }
}

/// Puts each value of [N, C, L] back at its pooling winner's position, like `torch.nn.MaxUnpool1d`.
public final class MaxUnpool1d: MaxUnpoolLayer {
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        super.init(kernelSize: [kernelSize], stride: stride.map { [$0] }, padding: [padding])
    }
}

/// Puts each value of [N, C, H, W] back at its pooling winner's position, like `torch.nn.MaxUnpool2d`.
public final class MaxUnpool2d: MaxUnpoolLayer {
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) {
        super.init(kernelSize: [kernelSize.0, kernelSize.1], stride: stride.map { [$0.0, $0.1] },
                   padding: [padding.0, padding.1])
    }

    public convenience init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding))
    }
}

/// Puts each value of [N, C, D, H, W] back at its pooling winner's position, like `torch.nn.MaxUnpool3d`.
public final class MaxUnpool3d: MaxUnpoolLayer {
    public init(kernelSize: (Int, Int, Int), stride: (Int, Int, Int)? = nil, padding: (Int, Int, Int) = (0, 0, 0)) {
        super.init(kernelSize: [kernelSize.0, kernelSize.1, kernelSize.2], stride: stride.map { [$0.0, $0.1, $0.2] },
                   padding: [padding.0, padding.1, padding.2])
    }

    public convenience init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(kernelSize: (kernelSize, kernelSize, kernelSize), stride: stride.map { ($0, $0, $0) },
                  padding: (padding, padding, padding))
    }
}
