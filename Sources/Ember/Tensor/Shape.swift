/// Shape arithmetic shared by all ops: element counts, contiguous strides, broadcasting and dims.
public enum Shape {
    /// Number of elements of a shape (1 for a scalar).
    @inline(__always)
    public static func count(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape { n *= d }
        return n
    }

    /// Row-major strides, in elements.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = running
            running *= max(shape[i], 1)
        }
        return strides
    }

    /// The broadcast shape of two shapes under NumPy/PyTorch rules.
    public static func broadcast(_ a: [Int], _ b: [Int], op: String) throws(ShapeError) -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 {
                out[i] = da
            } else if da == 1 {
                out[i] = db
            } else {
                throw ShapeError("\(op): shapes \(a) and \(b) cannot be broadcast together "
                    + "(dimension \(i) is \(da) vs \(db); sizes must match or one must be 1)")
            }
        }
        return out
    }

    /// Normalizes a possibly negative dim for a tensor of the given rank.
    public static func normalize(dim: Int, rank: Int, op: String) throws(ShapeError) -> Int {
        let r = max(rank, 1)
        guard dim >= -r && dim < r else {
            throw ShapeError("\(op): dimension \(dim) is out of range for a tensor of rank \(rank) "
                + "(expected a dim in \(-r)...\(r - 1))")
        }
        return dim < 0 ? dim + r : dim
    }

    /// Resolves a `-1` entry of a requested shape so that it holds `count` elements.
    public static func infer(_ requested: [Int], count: Int, from shape: [Int]) throws(ShapeError) -> [Int] {
        var out = requested
        let unknown = requested.indices.filter { requested[$0] == -1 }
        guard unknown.count <= 1 else {
            throw ShapeError("view: only one dimension can be -1, got \(requested)")
        }
        let known = requested.reduce(1) { $1 == -1 ? $0 : $0 * $1 }
        if let i = unknown.first {
            guard known != 0, count % known == 0 else {
                throw ShapeError("view: shape \(requested) is invalid for input of shape \(shape) (\(count) elements)")
            }
            out[i] = count / known
        } else if known != count {
            throw ShapeError("view: shape \(requested) is invalid for input of shape \(shape) (\(count) elements)")
        }
        return out
    }
}
