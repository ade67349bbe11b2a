/// Byte-level mutations: the same few kinds AFL and libFuzzer use, biased towards pickle opcodes
/// and the integers that sit at the edges of length fields.

let interesting: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000,
                             0xFFFF_FFFF, 0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF]
/// Pickle opcodes, so that inserted bytes are often meaningful.
let opcodes: [UInt8] = Array("().0123FGIJKLMNPQRSTUVXabcdeghijlmopqrstu}]".utf8) + Array(0x80...0x98)

func mutate(_ input: [UInt8], _ rng: inout SplitMix64, corpus: [[UInt8]]) -> [UInt8] {
    var bytes = input
    for _ in 0...rng.below(4) {
        let n = bytes.count
        switch rng.below(11) {
        case 0 where n > 0:  // flip a bit
            bytes[rng.below(n)] ^= UInt8(1 << rng.below(8))
        case 1 where n > 0:  // an interesting byte
            bytes[rng.below(n)] = [0, 0xFF, 0x7F, 0x80, 0x01][rng.below(5)]
        case 2 where n > 0:  // an opcode
            bytes[rng.below(n)] = opcodes[rng.below(opcodes.count)]
        case 3 where n >= 8:  // an interesting 1/2/4/8-byte integer
            let width = [1, 2, 4, 8][rng.below(4)]
            let at = rng.below(n - width + 1)
            let value = interesting[rng.below(interesting.count)] &+ UInt64(rng.below(3)) &- 1
            for i in 0..<width { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        case 4:  // insert random bytes
            let at = rng.below(n + 1)
            bytes.insert(contentsOf: (0..<(1 + rng.below(8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        case 5:  // insert opcodes
            let at = rng.below(n + 1)
            bytes.insert(contentsOf: (0..<(1 + rng.below(4))).map { _ in opcodes[rng.below(opcodes.count)] }, at: at)
        case 6 where n > 1:  // delete a range
            let at = rng.below(n)
            bytes.removeSubrange(at..<min(n, at + 1 + rng.below(16)))
        case 7 where n > 1:  // duplicate a range
            let at = rng.below(n)
            let chunk = Array(bytes[at..<min(n, at + 1 + rng.below(32))])
            bytes.insert(contentsOf: chunk, at: rng.below(n + 1))
        case 8 where n > 0:  // truncate
            bytes.removeSubrange(rng.below(n)...)
        case 9 where !corpus.isEmpty:  // splice in part of another input
            let other = corpus[rng.below(corpus.count)]
            guard !other.isEmpty else { break }
            let from = rng.below(other.count)
            let chunk = other[from..<min(other.count, from + 1 + rng.below(64))]
            let at = rng.below(n + 1)
            bytes.replaceSubrange(at..<min(n, at + chunk.count), with: chunk)
        case 10 where n > 2:  // repeat one byte many times (deep nesting, long MARK runs)
            let at = rng.below(n)
            bytes.insert(contentsOf: [UInt8](repeating: bytes[at], count: 1 + rng.below(2000)), at: at)
        default:
            break
        }
    }
    return bytes
}
