/// Emits pickle protocol 2, the protocol `torch.save` uses: just the opcodes a state dict needs.
struct PickleWriter {
    private(set) var bytes: [UInt8] = []

    mutating func op(_ op: PickleOpcode) { bytes.append(op.rawValue) }

    mutating func proto(_ version: UInt8 = 2) {
        op(.proto)
        bytes.append(version)
    }

    mutating func global(_ module: String, _ name: String) {
        op(.global)
        bytes += Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A]
    }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        op(.binUnicode)
        appendLE(UInt64(utf8.count), width: 4)
        bytes += utf8
    }

    mutating func int(_ value: Int) {
        if value >= 0 && value < 0x100 {
            op(.binInt1)
            bytes.append(UInt8(value))
        } else if value >= 0 && value < 0x10000 {
            op(.binInt2)
            appendLE(UInt64(value), width: 2)
        } else if value >= Int(Int32.min) && value <= Int(Int32.max) {
            op(.binInt)
            appendLE(UInt64(UInt32(bitPattern: Int32(value))), width: 4)
        } else {
            op(.long1)
            bytes.append(8)
            appendLE(UInt64(bitPattern: Int64(value)), width: 8)
        }
    }

    mutating func bool(_ value: Bool) { op(value ? .newTrue : .newFalse) }

    /// A tuple of ints (a shape or strides).
    mutating func intTuple(_ values: [Int]) {
        switch values.count {
        case 0: op(.emptyTuple)
        case 1...3:
            values.forEach { int($0) }
            op([.tuple1, .tuple2, .tuple3][values.count - 1])
        default:
            op(.mark)
            values.forEach { int($0) }
            op(.tuple)
        }
    }

    private mutating func appendLE(_ value: UInt64, width: Int) {
        for i in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}
