import CEmberKernels
import Foundation

/// xoshiro256** seeded through splitmix64, as a value: the bare sequence, with no locking.
/// Pure integer arithmetic, so the same seed gives the same numbers on every platform.
struct Xoshiro256 {
    private var s0: UInt64 = 0, s1: UInt64 = 0, s2: UInt64 = 0, s3: UInt64 = 0
    /// Box–Muller makes normals in pairs; the second waits here for the next draw.
    private var spareNormal: Float?

    init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
    }

    @inline(__always)
    mutating func nextUInt64() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    @inline(__always)
    mutating func nextFloat() -> Float {
        Float(nextUInt64() >> 40) * (1.0 / 16_777_216.0)
    }

    mutating func nextInt(below bound: Int) -> Int {
        let b = UInt64(bound)
        let limit = UInt64.max - UInt64.max % b
        while true {
            let r = nextUInt64()
            if r < limit { return Int(r % b) }
        }
    }

    /// Takes the waiting second normal of a pair, if there is one.
    mutating func takeSpareNormal() -> Float? {
        defer { spareNormal = nil }
        return spareNormal
    }

    /// Box–Muller's inputs for one pair: u1 in (0, 1) for the radius, u2 in [0, 1) for the angle,
    /// drawn as `nextNormal` draws them.
    @inline(__always)
    mutating func nextBoxMullerInputs() -> (Float, Float) {
        var u1 = nextFloat()
        while u1 <= 0 { u1 = nextFloat() }
        return (u1, nextFloat())
    }

    /// Makes `pair`'s second normal the one the next draw returns.
    mutating func keepSpareNormal(_ value: Float) { spareNormal = value }

    mutating func nextNormal() -> Float {
        if let spare = takeSpareNormal() { return spare }
        let (u1, u2) = nextBoxMullerInputs()
        // Through the same kernels as RandomGenerator.fillNormal, so a bulk fill and single draws
        // give the same numbers.
        var input = u1, logU1: Float = 0, angle = 2 * Float.pi * u2, sine: Float = 0, cosine: Float = 0
        ember_math_f32(EMBER_MATH_LOG, &input, &logU1, 1)
        ember_math_f32(EMBER_MATH_SIN, &angle, &sine, 1)
        ember_math_f32(EMBER_MATH_COS, &angle, &cosine, 1)
        let radius = (-2 * logU1).squareRoot()
        spareNormal = radius * sine
        return radius * cosine
    }
}

/// Ember's seedable random number generator (xoshiro256**), safe to share between threads like
/// PyTorch's default generator: every draw holds a lock, and the bulk draws (`fillUniform`,
/// `fillNormal`, `ints`, `permutation`) hold it once for the whole run, so a tensor's values are
/// one unbroken stretch of the sequence and a million draws cost one lock.
public final class RandomGenerator: @unchecked Sendable {
    private var generatorState: Xoshiro256
    private let lock = NSLock()

    /// Runs `body` on a local copy of the state under the lock: a class property accessed in a
    /// loop pays an exclusivity check per draw, a local does not.
    @inline(__always)
    private func drawing<R>(_ body: (inout Xoshiro256) -> R) -> R {
        lock.withLock {
            var local = generatorState
            defer { generatorState = local }
            return body(&local)
        }
    }

    public init(seed: UInt64) { generatorState = Xoshiro256(seed: seed) }

    /// Restarts the sequence from `seed`.
    public func reseed(_ seed: UInt64) {
        lock.withLock { generatorState = Xoshiro256(seed: seed) }
    }

    public func nextUInt64() -> UInt64 {
        lock.withLock { generatorState.nextUInt64() }
    }

    /// Uniform in [0, 1) with 24 random bits (every float32 step in that range).
    public func nextFloat() -> Float {
        lock.withLock { generatorState.nextFloat() }
    }

    /// Uniform integer in 0..<bound, without modulo bias.
    public func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "Ember: nextInt(below:) needs a positive bound, got \(bound)")
        return lock.withLock { generatorState.nextInt(below: bound) }
    }

    /// Standard normal by the Box–Muller transform.
    public func nextNormal() -> Float {
        lock.withLock { generatorState.nextNormal() }
    }

    /// Fills `buffer` with uniform values in [low, high).
    public func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, low: Float = 0, high: Float = 1) {
        let span = high - low
        drawing { state in
            for i in buffer.indices { buffer[i] = low + span * state.nextFloat() }
        }
    }

    /// Fills `buffer` with a dropout mask: `scale` where a uniform draw is at least `p`, else 0 (the
    /// values `(rand ≥ p)·scale` would give, in one pass).
    public func fillDropoutMask(_ buffer: UnsafeMutableBufferPointer<Float>, p: Float, scale: Float) {
        drawing { state in
            for i in buffer.indices { buffer[i] = state.nextFloat() >= p ? scale : 0 }
        }
    }

    /// Fills `buffer` with normal values of the given mean and standard deviation: the numbers
    /// `nextNormal` would give, with Box–Muller's log, cos and sin computed a block of pairs at a
    /// time by the vectorized kernels (VectorMath.c; within a few ulp of one at a time).
    public func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, std: Float = 1) {
        guard let out = buffer.baseAddress, !buffer.isEmpty else { return }
        let count = buffer.count, block = 256
        drawing { state in
            var i = 0
            if let spare = state.takeSpareNormal() {
                out[0] = mean + std * spare
                i = 1
            }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * block) { scratch in
                let radius = scratch.baseAddress!, cosine = radius + block, sine = cosine + block
                while i < count {
                    let pairs = Swift.min(block, (count - i + 1) / 2)
                    for k in 0..<pairs {
                        let (u1, u2) = state.nextBoxMullerInputs()
                        radius[k] = u1
                        cosine[k] = 2 * Float.pi * u2
                    }
                    ember_math_f32(EMBER_MATH_LOG, radius, radius, Int64(pairs))
                    ember_math_f32(EMBER_MATH_SIN, cosine, sine, Int64(pairs))
                    ember_math_f32(EMBER_MATH_COS, cosine, cosine, Int64(pairs))
                    for k in 0..<pairs {
                        let r = (-2 * radius[k]).squareRoot()
                        out[i] = mean + std * (r * cosine[k])
                        if i + 1 < count {
                            out[i + 1] = mean + std * (r * sine[k])
                        } else {
                            state.keepSpareNormal(r * sine[k])   // an odd count: the pair's second waits
                        }
                        i += 2
                    }
                }
            }
        }
    }

    /// `count` uniform integers in 0..<bound.
    public func ints(below bound: Int, count: Int) -> [Int] {
        precondition(bound > 0, "Ember: ints(below:count:) needs a positive bound, got \(bound)")
        return drawing { state in (0..<count).map { _ in state.nextInt(below: bound) } }
    }

    /// A random permutation of 0..<n (Fisher–Yates).
    public func permutation(_ n: Int) -> [Int] {
        var order = Array(0..<n)
        if n < 2 { return order }
        drawing { state in
            for i in stride(from: n - 1, to: 0, by: -1) {
                order.swapAt(i, state.nextInt(below: i + 1))
            }
        }
        return order
    }

    /// `count` indices drawn with probabilities proportional to `weights` (finite, non-negative): with
    /// `replacement` independently; without, each index at most once (then `count` may not exceed the
    /// number of positive weights). `WeightedRandomSampler` and `Tensor.multinomial` draw through this.
    public func weightedIndices(_ weights: [Double], count: Int, replacement: Bool) -> [Int] {
        /// Uniform in (0, 1), with 52 random bits (with 53, the largest draw plus ½ would round to 1).
        func uniform() -> Double { (Double(nextUInt64() >> 12) + 0.5) / Double(1 << 52) }
        if replacement {
            var total = 0.0
            let cumulative = weights.map { total += $0; return total }
            return (0..<count).map { _ in
                // The first index whose running sum exceeds a uniform draw in [0, total).
                let target = uniform() * total
                var (low, high) = (0, cumulative.count - 1)
                while low < high {
                    let middle = (low + high) / 2
                    if cumulative[middle] > target { high = middle } else { low = middle + 1 }
                }
                return low
            }
        }
        // Without replacement: the largest keys u^(1/w) (Efraimidis and Spirakis), one sort.
        let keys = weights.map { w in w > 0 ? Foundation.log(uniform()) / w : -Double.infinity }
        return Array(keys.indices.sorted { keys[$0] > keys[$1] }.prefix(count))
    }

    /// A position in the generator's sequence, like the tensor `torch.get_rng_state()` returns.
    public struct State: Sendable {
        fileprivate let value: Xoshiro256
    }

    /// Where the generator is: setting a saved state replays the draws made after it was read
    /// (checkpointing recomputes a forward pass with the same dropout masks).
    public var state: State {
        get { lock.withLock { State(value: generatorState) } }
        set { lock.withLock { generatorState = newValue.value } }
    }

    /// The generator behind `Tensor.rand`, `Tensor.randn`, initializers and dropout.
    public static let global = RandomGenerator(seed: 0x5EED)
}

/// Seeds the global generator, like `torch.manual_seed`.
public func manualSeed(_ seed: UInt64) {
    RandomGenerator.global.reseed(seed)
}
