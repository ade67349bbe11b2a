import Foundation

/// Reads the usual prediction body, `{"instances": [...]}` with each instance an array of numbers
/// (nested to any depth), in one pass over the bytes into one array of floats. Foundation's JSON
/// readers build a value per number (JSONSerialization an NSNumber through Decimal, JSONDecoder a
/// generic container per element) and took 0.5–1 ms for one 784-pixel digit, most of a request's
/// time; this takes a few microseconds. Anything else (other keys, strings, bad syntax) returns nil,
/// and the caller reads the body with JSONSerialization, which also explains what is wrong.
struct InstanceScanner {
    /// Every instance's numbers, one after another, and where each instance ends.
    struct Result: Equatable {
        var numbers: [Float] = []
        var ends: [Int] = []
    }

    static func scan(_ body: [UInt8]) -> Result? {
        body.withUnsafeBufferPointer { bytes in
            var scanner = InstanceScanner(bytes: bytes)
            return scanner.document()
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var at = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private mutating func skipSpace() {
        while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 { at += 1 }
    }

    /// Consumes `byte` (after any whitespace) if it is next.
    private mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard at < bytes.count, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    private mutating func document() -> Result? {
        let key = Array("\"instances\"".utf8)
        guard take(UInt8(ascii: "{")) else { return nil }
        skipSpace()
        guard at + key.count <= bytes.count, key.indices.allSatisfy({ bytes[at + $0] == key[$0] }) else { return nil }
        at += key.count
        guard take(UInt8(ascii: ":")), take(UInt8(ascii: "[")) else { return nil }
        var result = Result()
        result.numbers.reserveCapacity(bytes.count / 4)
        if take(UInt8(ascii: "]")) { return nil }   // no instances: let the slow path say so
        repeat {
            guard value(into: &result.numbers, depth: 0) else { return nil }
            result.ends.append(result.numbers.count)
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "]")), take(UInt8(ascii: "}")) else { return nil }
        skipSpace()
        return at == bytes.count ? result : nil
    }

    /// A number, or an array of values; false on anything else.
    private mutating func value(into numbers: inout [Float], depth: Int) -> Bool {
        guard depth < 32 else { return false }
        if take(UInt8(ascii: "[")) {
            if take(UInt8(ascii: "]")) { return true }
            repeat {
                guard value(into: &numbers, depth: depth + 1) else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]"))
        }
        guard let number = number() else { return false }
        numbers.append(number)
        return true
    }

    /// A JSON number (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), converted by strtof, which
    /// rounds correctly; nil if the text is not one or is outside float32's range. (strtof follows
    /// the C library's locale, "C" unless the process calls setlocale; a decimal comma would break it.)
    private mutating func number() -> Float? {
        skipSpace()
        let start = at
        func digits() -> Int {
            let from = at
            while at < bytes.count, bytes[at] >= 0x30, bytes[at] <= 0x39 { at += 1 }
            return at - from
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
        let first = at
        guard digits() > 0, bytes[first] != 0x30 || at - first == 1 else { return nil }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            guard digits() > 0 else { return nil }
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits() > 0 else { return nil }
        }
        let length = at - start
        guard length < 64 else { return nil }
        // strtof needs a terminated string: the token, copied to the stack.
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { text -> Float? in
            for i in 0..<length { text[i] = CChar(bitPattern: bytes[start + i]) }
            text[length] = 0
            let value = strtof(text.baseAddress!, nil)
            return value.isFinite ? value : nil
        }
    }
}
