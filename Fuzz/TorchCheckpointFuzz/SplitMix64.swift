/// A small deterministic generator: every fuzz input is a pure function of its seed.
struct SplitMix64 {
    var state: UInt64

    /// The generator for input `index` of `target` under `seed`, independent of every other input.
    init(seed: UInt64, target: Target, index: Int) {
        state = seed ^ (UInt64(bitPattern: Int64(index)) &* 0xD1B5_4A32_D192_ED03)
            ^ (UInt64(target.number + 1) &* 0x9E37_79B9_7F4A_7C15)
    }

    init(state: UInt64) { self.state = state }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}
