import Foundation

/// MD5 (RFC 1321), used only to check downloaded dataset files against their published checksums.
/// Not for security: MD5 is broken for that purpose.
public struct MD5 {
    private var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476)
    private var buffer = [UInt8]()
    private var length: UInt64 = 0

    public init() { buffer.reserveCapacity(64) }

    private static let shifts: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                           5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                                           4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                           6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
    private static let constants: [UInt32] = (0..<64).map { i in
        UInt32(truncatingIfNeeded: Int64(abs(sin(Double(i + 1))) * 4_294_967_296.0))
    }

    /// Feeds more bytes.
    public mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }

    /// Feeds bytes from raw memory (fast path for large files).
    public mutating func update(_ raw: UnsafeRawBufferPointer) {
        var start = 0
        let total = raw.count
        length &+= UInt64(total)
        if !buffer.isEmpty {
            let take = min(64 - buffer.count, total)
            buffer.append(contentsOf: raw[0..<take])
            start = take
            if buffer.count == 64 {
                buffer.withUnsafeBufferPointer { processBlock($0) }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        while total - start >= 64 {
            let block = UnsafeBufferPointer(start: raw.baseAddress!.advanced(by: start).assumingMemoryBound(to: UInt8.self), count: 64)
            processBlock(block)
            start += 64
        }
        if start < total { buffer.append(contentsOf: raw[start..<total]) }
    }

    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    private mutating func processBlock(_ block: UnsafeBufferPointer<UInt8>) {
        var m = [UInt32](repeating: 0, count: 16)
        for i in 0..<16 {
            m[i] = UInt32(block[4 * i]) | UInt32(block[4 * i + 1]) << 8 | UInt32(block[4 * i + 2]) << 16 | UInt32(block[4 * i + 3]) << 24
        }
        var (a, b, c, d) = state
        for i in 0..<64 {
            var f: UInt32
            let g: Int
            switch i {
            case 0..<16: f = (b & c) | (~b & d); g = i
            case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) % 16
            case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) % 16
            default: f = c ^ (b | ~d); g = (7 * i) % 16
            }
            f = f &+ a &+ MD5.constants[i] &+ m[g]
            a = d; d = c; c = b
            let s = MD5.shifts[i]
            b = b &+ ((f << s) | (f >> (32 - s)))
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }

    /// The digest as 32 lowercase hex digits. Does not change `self`.
    public func hexDigest() -> String {
        var copy = self
        let bitLength = copy.length &* 8
        var padding: [UInt8] = [0x80]
        let used = (copy.buffer.count + 1) % 64
        padding += [UInt8](repeating: 0, count: used <= 56 ? 56 - used : 120 - used)
        for i in 0..<8 { padding.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
        padding.withUnsafeBytes { copy.appendPadding($0) }
        let words = [copy.state.0, copy.state.1, copy.state.2, copy.state.3]
        return words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * UInt32($0))) } }
            .map { String(format: "%02x", $0) }.joined()
    }

    private mutating func appendPadding(_ raw: UnsafeRawBufferPointer) {
        let saved = length
        update(raw)
        length = saved
    }

    /// The MD5 of `data` as hex.
    public static func hex(of data: Data) -> String {
        var md5 = MD5()
        md5.update(data)
        return md5.hexDigest()
    }

    /// The MD5 of a file's contents as hex, read in chunks.
    public static func hex(ofFileAt url: URL) throws -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw EmberIOError(.missingFile, file: url.path, "cannot open the file to compute its checksum")
        }
        defer { try? handle.close() }
        var md5 = MD5()
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            md5.update(chunk)
        }
        return md5.hexDigest()
    }
}
