/// A histogram as TensorBoard stores it (`HistogramProto`), computed as PyTorch's `SummaryWriter`
/// does (NumPy's `histogram` in double, then trimmed to the bins that hold values).
struct TensorBoardHistogram: Equatable {
    var min = 0.0, max = 0.0, count = 0.0, sum = 0.0, sumOfSquares = 0.0
    /// Each bin's right edge; the first bin is an empty one whose right edge is the left edge of the
    /// first bin holding values, since TensorBoard keeps only right edges.
    var bucketLimits: [Double] = []
    var bucketCounts: [Double] = []

    /// TensorFlow's default edges, which `SummaryWriter.add_histogram` uses: ±1e-12·1.1ᵏ up to 1e20, and 0.
    static let tensorFlowEdges: [Double] = {
        var positive: [Double] = []
        var v = 1e-12
        while v < 1e20 {
            positive.append(v)
            v *= 1.1
        }
        return positive.reversed().map { -$0 } + [0] + positive
    }()

    /// The histogram of `values` over `bins`; nil when no value falls inside the edges (all NaN, or all
    /// beyond them) and there is more than one bin, where PyTorch raises.
    init?(_ values: [Float], bins: HistogramBins) {
        let data = values.map(Double.init)
        let edges: [Double]
        var counts: [Double]
        switch bins {
        case .tensorFlow:
            edges = Self.tensorFlowEdges
            counts = Self.counts(data, edges: edges)
        case .edges(let given):
            precondition(given.count >= 2 && zip(given, given.dropFirst()).allSatisfy { $0 <= $1 },
                         "Ember: SummaryWriter.addHistogram: bin edges must be at least two, increasing; got \(given)")
            edges = given
            counts = Self.counts(data, edges: edges)
        case .count(let n):
            precondition(n >= 1, "Ember: SummaryWriter.addHistogram: the bin count must be positive, got \(n)")
            (edges, counts) = Self.equalWidth(data, bins: n)
        }
        // The support: from the first bin holding values to the last, with the empty bin before it.
        // With no value inside, NumPy's slicing leaves one empty bin when there is one bin, else nothing.
        guard let first = counts.firstIndex(where: { $0 > 0 }), let last = counts.lastIndex(where: { $0 > 0 }) else {
            guard counts.count == 1 else { return nil }
            (bucketCounts, bucketLimits) = ([0], [edges[1]])
            setMoments(data)
            return
        }
        bucketCounts = first > 0 ? Array(counts[(first - 1)...last]) : [0] + counts[...last]
        bucketLimits = Array(edges[first...(last + 1)])
        setMoments(data)
    }

    /// Smallest, largest (NaN if any value is, as NumPy's), count, sum and sum of squares.
    private mutating func setMoments(_ data: [Double]) {
        let hasNaN = data.contains { $0.isNaN }
        min = hasNaN ? .nan : data.min() ?? 0
        max = hasNaN ? .nan : data.max() ?? 0
        count = Double(data.count)
        sum = data.reduce(0, +)
        sumOfSquares = data.reduce(0) { $0 + $1 * $1 }
    }

    /// NumPy's counts for given edges: bins [eᵢ, eᵢ₊₁), the last one closed; values outside (and NaN)
    /// are left out.
    private static func counts(_ values: [Double], edges: [Double]) -> [Double] {
        var counts = [Double](repeating: 0, count: edges.count - 1)
        let last = edges[edges.count - 1]
        for x in values where x >= edges[0] && x <= last {
            // The last edge ≤ x, by bisection.
            var (low, high) = (0, edges.count - 1)
            while high - low > 1 {
                let middle = (low + high) / 2
                if edges[middle] <= x { low = middle } else { high = middle }
            }
            counts[x == last ? counts.count - 1 : low] += 1
        }
        return counts
    }

    /// NumPy's `histogram(values, bins: n)`: n equal bins over [min, max] (widened by ½ each way when they
    /// are equal), edges as `linspace` makes them, and values placed by NumPy's rule for equal bins. The
    /// range comes from the finite values (NumPy refuses NaN and ±∞ here); the others are left out.
    private static func equalWidth(_ values: [Double], bins n: Int) -> (edges: [Double], counts: [Double]) {
        let finite = values.filter { $0.isFinite }
        var (low, high) = (finite.min() ?? 0, finite.max() ?? 1)
        if low == high { (low, high) = (low - 0.5, high + 0.5) }
        let step = (high - low) / Double(n)
        var edges = (0...n).map { Double($0) * step + low }
        edges[n] = high
        var counts = [Double](repeating: 0, count: n)
        for x in values where x >= low && x <= high {
            var index = Swift.min(Int((x - low) / (high - low) * Double(n)), n - 1)
            if x < edges[index] { index -= 1 } else if index != n - 1 && x >= edges[index + 1] { index += 1 }
            counts[index] += 1
        }
        return (edges, counts)
    }

    /// The serialized `HistogramProto`.
    var encoded: ProtobufEncoder {
        var proto = ProtobufEncoder()
        proto.double(1, min)
        proto.double(2, max)
        proto.double(3, count)
        proto.double(4, sum)
        proto.double(5, sumOfSquares)
        proto.packedDoubles(6, bucketLimits)
        proto.packedDoubles(7, bucketCounts)
        return proto
    }
}

/// How `SummaryWriter.addHistogram` bins values.
public enum HistogramBins: Sendable, Equatable {
    /// TensorFlow's default edges (±1e-12·1.1ᵏ to ±1e20), PyTorch's `bins="tensorflow"`.
    case tensorFlow
    /// n equal bins from the smallest finite value to the largest, NumPy's `bins=n` (NaN and ±∞ are left
    /// out of the bins, where NumPy refuses them).
    case count(Int)
    /// These edges, increasing: bins [eᵢ, eᵢ₊₁), the last one closed.
    case edges([Double])
}
