/// Matrix products through the backend's BLAS, with PyTorch's `matmul` rules: 1-D operands are
/// promoted and their dim removed after; batch dims broadcast. Transposed operands are views.
extension Tensor {
    public func matmul(_ other: Tensor) -> Tensor {
        guard device == other.device else {
            fatalError("Ember: matmul: expected both tensors on the same device, got \(device) and \(other.device)")
        }
        guard rank >= 1 && other.rank >= 1 else {
            shapeFailure(ShapeError("matmul: both arguments need at least 1 dim, got shapes \(shape) and \(other.shape)"))
        }
        let a = rank == 1 ? unsqueeze(0) : self
        let b = other.rank == 1 ? other.unsqueeze(1) : other
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        guard b.shape[b.rank - 2] == k else {
            shapeFailure(ShapeError("matmul: shapes \(shape) and \(other.shape) cannot be multiplied "
                + "(\(m)x\(k) and \(b.shape[b.rank - 2])x\(n))"))
        }
        let batchShape = checkShape { () throws(ShapeError) in
            try Shape.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), op: "matmul")
        }
        var out = Tensor.product(a, b, batchShape: batchShape, m: m, n: n, k: k, bias: nil)
        if rank == 1 { out = out.squeeze(-2) }
        if other.rank == 1 { out = out.squeeze(-1) }
        return out
    }

    /// The outer product of two vectors, like `torch.outer`: out[i][j] = self[i]·other[j].
    public func outer(_ other: Tensor) -> Tensor {
        guard rank == 1 && other.rank == 1 else {
            shapeFailure(ShapeError("outer: expects two 1-D tensors, got shapes \(shape) and \(other.shape)"))
        }
        return unsqueeze(1) * other.unsqueeze(0)
    }

    /// The Kronecker product, like `torch.kron`: for matrices, each entry a[i][j] of self scales a
    /// copy of `other` in block (i, j). Tensors of different ranks count the missing leading dims as 1.
    public func kron(_ other: Tensor) -> Tensor {
        let r = Swift.max(rank, other.rank)
        let a = Array(repeating: 1, count: r - rank) + shape, b = Array(repeating: 1, count: r - other.rank) + other.shape
        // a's dim i and b's dim i become neighbours (a's first), so that flattening each pair interleaves them.
        let spreadA = a.flatMap { [$0, 1] }, spreadB = b.flatMap { [1, $0] }
        return (reshape(spreadA) * other.reshape(spreadB)).reshape(zip(a, b).map { $0 * $1 })
    }

    /// Matrix product of 2-D tensors.
    public func mm(_ other: Tensor) -> Tensor {
        guard rank == 2 && other.rank == 2 else {
            shapeFailure(ShapeError("mm: expects 2-D tensors, got shapes \(shape) and \(other.shape)"))
        }
        return matmul(other)
    }

    /// [batch..., m, k] @ [batch..., k, n] (+ bias over n), recorded with its two backward products.
    static func product(_ a: Tensor, _ b: Tensor, batchShape: [Int], m: Int, n: Int, k: Int, bias: Tensor?) -> Tensor {
        let out = rawProduct(a, b, batchShape: batchShape, m: m, n: n, k: k, bias: bias)
        let inputs = [a, b] + (bias.map { [$0] } ?? [])
        return out.recording(bias == nil ? "matmul" : "linear", inputs: inputs, saving: [a, b]) { g in
            // dA = g @ Bᵀ, dB = Aᵀ @ g (transposes are views: BLAS gets transpose flags).
            let ga = a.requiresGrad ? g.matmul(b.transpose(-1, -2)).sumToShape(a.shape) : nil
            let gb = b.requiresGrad ? a.transpose(-1, -2).matmul(g).sumToShape(b.shape) : nil
            var grads: [Tensor?] = [ga, gb]
            if let bias { grads.append(bias.requiresGrad ? g.reshape([-1, n]).sum(dims: [0]).reshape(bias.shape) : nil) }
            return grads
        }
    }

    /// The product without graph recording.
    static func rawProduct(_ a: Tensor, _ b: Tensor, batchShape: [Int], m: Int, n: Int, k: Int, bias: Tensor?) -> Tensor {
        a.checkSameDevice(bias == nil ? "matmul" : "linear", b, bias)
        // Ember's products (matmul, linear, convolutions, einsum) run on float32 only: an int64 operand
        // would be read as float bits.
        guard a.dtype == .float32 && b.dtype == .float32 && (bias?.dtype ?? .float32) == .float32 else {
            fatalError("Ember: \(bias == nil ? "matmul" : "linear"): expects float32 tensors, got \(a.dtype) \(a.shape) and "
                       + "\(b.dtype) \(b.shape); convert with .to(.float32)")
        }
        let av = a.batched(batchShape, rows: m, cols: k), bv = b.batched(batchShape, rows: k, cols: n)
        let storage = a.backend.matmul(av, bv, bias: bias?.view, batch: Shape.count(batchShape), m: m, n: n, k: k)
        return Tensor.result(storage, shape: batchShape + [m, n])
    }

    /// This matrix (or batch of matrices) as a [batch, rows, cols] view broadcast to `batchShape`.
    private func batched(_ batchShape: [Int], rows: Int, cols: Int) -> StridedView {
        let full = view.broadcast(to: batchShape + [rows, cols])
        let r = full.shape.count
        // Collapse the batch dims into one when they are evenly strided; otherwise copy.
        var batchStride = 0
        var collapsible = true
        var expected: Int? = nil
        for d in stride(from: batchShape.count - 1, through: 0, by: -1) where batchShape[d] != 1 {
            if let e = expected {
                if full.strides[d] != e { collapsible = false }
            } else {
                batchStride = full.strides[d]
            }
            expected = full.strides[d] * batchShape[d]
        }
        if !collapsible {
            let copy = backend.copy(full)
            return StridedView(storage: copy, shape: [Shape.count(batchShape), rows, cols],
                               strides: [rows * cols, cols, 1], offset: 0, dtype: dtype)
        }
        return StridedView(storage: storage, shape: [Shape.count(batchShape), rows, cols],
                           strides: [batchStride, full.strides[r - 2], full.strides[r - 1]], offset: offset, dtype: dtype)
    }
}

/// `x @ wᵀ + b` in one BLAS call (bias pre-filled, beta = 1), like `torch.nn.functional.linear`.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    guard weight.rank == 2, x.rank >= 1, x.shape[x.rank - 1] == weight.shape[1] else {
        shapeFailure(ShapeError("linear: input of shape \(x.shape) does not match weight of shape \(weight.shape) "
            + "(expected the input's last dim to be \(weight.rank == 2 ? weight.shape[1] : -1))"))
    }
    if let bias, bias.shape != [weight.shape[0]] {
        shapeFailure(ShapeError("linear: bias of shape \(bias.shape) does not match weight of shape \(weight.shape)"))
    }
    let flat = x.rank == 2 ? x : x.reshape([-1, weight.shape[1]])
    let (m, n, k) = (flat.shape[0], weight.shape[0], weight.shape[1])
    let out = Tensor.rawProduct(flat, weight.t(), batchShape: [], m: m, n: n, k: k, bias: bias)
    let inputs = [flat, weight] + (bias.map { [$0] } ?? [])
    out.recording("linear", inputs: inputs, saving: [flat, weight]) { g in
        // dW = gᵀ·x comes out [out, in], the weight's own layout: no transposed copy.
        var grads: [Tensor?] = [flat.requiresGrad ? g.matmul(weight) : nil,
                                weight.requiresGrad ? g.t().matmul(flat) : nil]
        if let bias { grads.append(bias.requiresGrad ? g.sum(dims: [0]) : nil) }
        return grads
    }
    return x.rank == 2 ? out : out.reshape(Array(x.shape.dropLast()) + [n])
}

extension Tensor {
    /// The sum of products over the last `dims` dims of `a` and the first `dims` dims of `b`, like
    /// `torch.tensordot(a, b, dims)`: [i, j, k] · [j, k, l] with dims 2 gives [i, l].
    public static func tensordot(_ a: Tensor, _ b: Tensor, dims: Int) -> Tensor {
        guard dims >= 0, dims <= a.rank, dims <= b.rank else {
            shapeFailure(ShapeError("tensordot: cannot contract \(dims) dims of shapes \(a.shape) and \(b.shape)"))
        }
        return tensordot(a, b, dims: (Array(a.rank - dims..<a.rank), Array(0..<dims)))
    }

    /// The sum of products over dims `dims.0` of `a` paired with `dims.1` of `b`: the remaining dims of
    /// a, then those of b. Permuted and reshaped into one matrix product. A paired dim of size 1
    /// broadcasts, as in PyTorch: the other side is summed over its dim first.
    public static func tensordot(_ a: Tensor, _ b: Tensor, dims: ([Int], [Int])) -> Tensor {
        let normalize = { (t: Tensor, ds: [Int]) in
            ds.map { d in checkShape { () throws(ShapeError) in try Shape.normalize(dim: d, rank: t.rank, op: "tensordot") } }
        }
        let (da, db) = (normalize(a, dims.0), normalize(b, dims.1))
        guard da.count == db.count, Set(da).count == da.count, Set(db).count == db.count,
              zip(da, db).allSatisfy({ a.shape[$0] == b.shape[$1] || a.shape[$0] == 1 || b.shape[$1] == 1 }) else {
            shapeFailure(ShapeError("tensordot: dims \(dims.0) of shape \(a.shape) and \(dims.1) of shape \(b.shape) "
                + "must be distinct and pair up with equal sizes (or 1)"))
        }
        var (a, b) = (a, b)
        for (i, j) in zip(da, db) where a.shape[i] != b.shape[j] {
            if a.shape[i] == 1 { b = b.sum(dim: j, keepdim: true) } else { a = a.sum(dim: i, keepdim: true) }
        }
        let freeA = (0..<a.rank).filter { !da.contains($0) }, freeB = (0..<b.rank).filter { !db.contains($0) }
        let inner = da.reduce(1) { $0 * a.shape[$1] }
        let left = a.permute(freeA + da).reshape([freeA.reduce(1) { $0 * a.shape[$1] }, inner])
        let right = b.permute(db + freeB).reshape([inner, freeB.reduce(1) { $0 * b.shape[$1] }])
        return left.matmul(right).reshape(freeA.map { a.shape[$0] } + freeB.map { b.shape[$0] })
    }
}
