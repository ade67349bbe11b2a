/// Ember's seedable random number generator: xoshiro256** seeded through splitmix64.
/// Pure integer arithmetic, so the same seed gives the same numbers on every platform.
public final class RandomGenerator {
    private var s0: UInt64 = 0, s1: UInt64 = 0, s2: UInt64 = 0, s3: UInt64 = 0
    private var spareNormal: Float?

    public init(seed: UInt64) { reseed(seed) }

    /// Restarts the sequence from `seed`.
    public func reseed(_ seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
        spareNormal = nil
    }

    @inline(__always)
    public func nextUInt64() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits (every float32 step in that range).
    @inline(__always)
    public func nextFloat() -> Float {
        Float(nextUInt64() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform integer in 0..<bound, without modulo bias.
    public func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "Ember: nextInt(below:) needs a positive bound, got \(bound)")
        let b = UInt64(bound)
        let limit = UInt64.max - UInt64.max % b
        while true {
            let r = nextUInt64()
            if r < limit { return Int(r % b) }
        }
    }

    /// Standard normal by the Box–Muller transform.
    public func nextNormal() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        var u1 = nextFloat()
        while u1 <= 0 { u1 = nextFloat() }
        let u2 = nextFloat()
        let radius = (-2 * _logf(u1)).squareRoot()
        let angle = 2 * Float.pi * u2
        spareNormal = radius * _sinf(angle)
        return radius * _cosf(angle)
    }

    /// A random permutation of 0..<n (Fisher–Yates).
    public func permutation(_ n: Int) -> [Int] {
        var order = Array(0..<n)
        if n < 2 { return order }
        for i in stride(from: n - 1, to: 0, by: -1) {
            order.swapAt(i, nextInt(below: i + 1))
        }
        return order
    }

    /// The generator behind `Tensor.rand`, `Tensor.randn`, initializers and dropout.
    nonisolated(unsafe) public static let global = RandomGenerator(seed: 0x5EED)
}

/// Seeds the global generator, like `torch.manual_seed`.
public func manualSeed(_ seed: UInt64) {
    RandomGenerator.global.reseed(seed)
}
