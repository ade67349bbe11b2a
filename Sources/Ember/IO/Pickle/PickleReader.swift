import Foundation

/// A bounds-checked cursor over pickle bytes: every read checks the bytes that remain first,
/// so a length field in a hostile file can never make it read past the end or allocate more
/// than the file holds.
struct PickleReader {
    let data: Data
    /// Position relative to the start of `data`.
    private(set) var position: Int

    init(_ data: Data, position: Int = 0) {
        self.data = data
        self.position = position
    }

    var remaining: Int { data.count - position }
    var isAtEnd: Bool { position >= data.count }

    mutating func byte() throws(PickleError) -> UInt8 {
        guard position < data.count else { throw .malformed("unexpected end of pickle data") }
        defer { position += 1 }
        return data[data.startIndex + position]
    }

    /// `count` bytes; throws when fewer remain (checked before anything is allocated).
    mutating func bytes(_ count: Int) throws(PickleError) -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw .malformed("a length of \(count) bytes runs past the end of the data (\(remaining) bytes left)")
        }
        let start = data.startIndex + position
        position += count
        return [UInt8](data[start..<(start + count)])
    }

    mutating func skip(_ count: Int) throws(PickleError) {
        guard count >= 0, count <= remaining else {
            throw .malformed("a length of \(count) bytes runs past the end of the data (\(remaining) bytes left)")
        }
        position += count
    }

    /// A little-endian unsigned integer of `width` bytes (at most 8).
    mutating func uintLE(_ width: Int) throws(PickleError) -> UInt64 {
        guard width <= remaining else { throw .malformed("unexpected end of pickle data") }
        var value: UInt64 = 0
        let start = data.startIndex + position
        for i in 0..<width { value |= UInt64(data[start + i]) << (8 * UInt64(i)) }
        position += width
        return value
    }

    /// A length field of `width` bytes, checked against the bytes that remain.
    mutating func length(_ width: Int) throws(PickleError) -> Int {
        let raw = try uintLE(width)
        guard raw <= UInt64(remaining) else {
            throw .malformed("a length of \(raw) bytes runs past the end of the data (\(remaining) bytes left)")
        }
        return Int(raw)
    }

    /// Bytes up to (not including) the next newline, for the text opcodes (GLOBAL, INT, ...).
    mutating func line(maxLength: Int = 4096) throws(PickleError) -> [UInt8] {
        var out: [UInt8] = []
        while true {
            let b = try byte()
            if b == 0x0A { return out }
            guard out.count < maxLength else { throw .malformed("a text line longer than \(maxLength) bytes") }
            out.append(b)
        }
    }

    mutating func utf8(_ count: Int) throws(PickleError) -> String {
        let raw = try bytes(count)
        guard let s = String(validating: raw, as: UTF8.self) else { throw .malformed("a string that is not valid UTF-8") }
        return s
    }
}
