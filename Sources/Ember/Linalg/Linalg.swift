import CEmberKernels

/// Linear algebra on matrices and batches of matrices [..., rows, cols], like `torch.linalg`:
/// `Linalg.inv(a)`, `Linalg.solve(a, b)`, `Linalg.det(a)`, `Linalg.cholesky(a)`, `Linalg.eigh(a)`,
/// `Linalg.qr(a)`, `Linalg.svd(a)` and their relatives.
///
/// The factorizations run on the host in float32 through LAPACK (OpenBLAS on Linux, Accelerate on Apple
/// platforms), one matrix of the batch at a time, except the LU of matrices up to 64×64 (`inv`,
/// `solve`, `det`), which `SmallLU` does in C over the whole batch; a GPU tensor's values make the round trip, like
/// `sort`'s. Every op is differentiable, its backward written with differentiable ops (among them
/// these), so second derivatives work too.
public enum Linalg {}

extension Tensor {
    /// The transpose of the last two dims (a view), like PyTorch's `Tensor.mT`: for a batch of
    /// matrices, each one transposed.
    public var mT: Tensor {
        guard rank >= 2 else { shapeFailure(ShapeError("mT: needs a tensor with at least 2 dims, got shape \(shape)")) }
        return transpose(rank - 2, rank - 1)
    }
}

/// The matrices of a float32 tensor [..., rows, cols], read to the host once, handed to LAPACK in its
/// column-major order one at a time, and the results gathered back in row-major order.
struct HostMatrices {
    let batchShape: [Int]
    let rows: Int
    let cols: Int
    let count: Int
    private let values: [Float]

    init(_ a: Tensor, op: String, square: Bool = false) {
        guard a.rank >= 2, a.dtype == .float32 else {
            shapeFailure(ShapeError("\(op): expected a float32 matrix or batch of matrices [..., rows, cols], got \(a.dtype) of shape \(a.shape)"))
        }
        (rows, cols) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        guard !square || rows == cols else {
            shapeFailure(ShapeError("\(op): expected square matrices, got shape \(a.shape) (\(rows)×\(cols))"))
        }
        batchShape = Array(a.shape.dropLast(2))
        count = Shape.count(batchShape)
        values = noGrad { a.toArray() }
    }

    /// Matrix `index` of the batch in column-major order.
    func columnMajor(_ index: Int) -> [Float] {
        let (rows, cols) = (rows, cols)
        return [Float](unsafeUninitializedCapacity: rows * cols) { out, initialized in
            values.withUnsafeBufferPointer { v in
                ember_transpose_f32(v.baseAddress! + index * rows * cols, Int64(cols), out.baseAddress!, Int64(rows),
                                    Int64(cols), Int64(rows))
            }
            initialized = rows * cols
        }
    }

    /// Matrix `index` in row-major order.
    func rowMajor(_ index: Int) -> ArraySlice<Float> { values[(index * rows * cols)..<((index + 1) * rows * cols)] }

    /// All the matrices' values, row-major, one after another.
    var rowMajorValues: [Float] { values }

    /// All the matrices, row-major, one after another.
    func withRowMajorValues<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        values.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Names matrix `index` in a message: its position in the batch, or nothing for a lone matrix.
    func name(_ index: Int) -> String {
        guard !batchShape.isEmpty else { return "the matrix" }
        var position: [Int] = [], rest = index
        for size in batchShape.reversed() { position.insert(rest % size, at: 0); rest /= size }
        return "matrix \(position) of the batch"
    }
}

/// Appends a column-major rows×cols matrix to `out` in row-major order.
func appendRowMajor(_ matrix: [Float], rows: Int, cols: Int, to out: inout [Float]) {
    guard rows > 0, cols > 0 else { return }
    let start = out.count
    out.append(contentsOf: repeatElement(0, count: rows * cols))
    out.withUnsafeMutableBufferPointer { o in
        ember_transpose_f32(matrix, Int64(rows), o.baseAddress! + start, Int64(cols), Int64(rows), Int64(cols))
    }
}

/// Stops with a message about a matrix a factorization cannot handle (singular, not positive-definite):
/// like PyTorch's error, and like a shape mismatch, a problem with what the program passed in.
func linalgFailure(_ message: String) -> Never {
    fatalError("Ember: \(message)")
}

extension Linalg {
    /// 1/d, and 0 where d is exactly 0: the gradients of eigh and svd leave out the terms whose
    /// denominator vanishes (repeated values), with finite derivatives (no 0·∞ under createGraph).
    static func reciprocalOrZero(_ d: Tensor) -> Tensor {
        let zero = noGrad { d.detach().eq(0) }
        return (1 - zero) / (d + zero)
    }

    /// Broadcasts the batch dims of `a` [..., n, n] and `b` [..., rows, cols] against each other, like
    /// PyTorch's solvers; both expanded (views), so the gradient sums back over the broadcast dims.
    static func broadcastBatches(_ a: Tensor, _ b: Tensor, op: String) -> (Tensor, Tensor) {
        let batch = checkShape { () throws(ShapeError) in
            try Shape.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), op: op)
        }
        return (a.expand(batch + a.shape.suffix(2)), b.expand(batch + b.shape.suffix(2)))
    }
}

extension Tensor {
    /// The inverse of this square matrix (or of each in a batch), like `torch.inverse`: `Linalg.inv(self)`.
    public func inverse() -> Tensor { Linalg.inv(self) }

    /// The determinant of this square matrix (or of each in a batch), like `Tensor.det()`: `Linalg.det(self)`.
    public func det() -> Tensor { Linalg.det(self) }
}
