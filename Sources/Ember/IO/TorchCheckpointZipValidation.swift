import Foundation

/// Checks a zip file's end records before ZIPFoundation reads them. ZIPFoundation 0.9.20 traps
/// (a crash, not an error) when a zip64 record holds an offset or size of 2^63 or more, and it
/// believes offsets past the end of the file; a hostile checkpoint must end in a thrown error.
enum ZipStructure {
    /// Throws unless the end-of-central-directory records (zip64 too) and every central-directory
    /// entry's offsets and sizes lie inside a file of `bytes.count` bytes.
    static func validate(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        func fail(_ message: String) -> TorchCheckpointError {
            TorchCheckpointError(.malformed, file: file, "not a valid zip archive: \(message)")
        }
        let size = bytes.count
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt64 { (0..<4).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        /// A 64-bit field as an offset or length that fits the file.
        func fits(_ value: UInt64, _ what: String) throws -> Int {
            guard value <= UInt64(size) else { throw fail("\(what) \(value) lies beyond the file's \(size) bytes") }
            return Int(value)
        }

        // The end-of-central-directory record: 22 bytes plus a comment of up to 65,535.
        guard size >= 22 else { throw fail("\(size) bytes is too short for a zip archive") }
        var end = -1
        var position = size - 22
        while position >= Swift.max(0, size - 22 - 65_535) {
            if u32(position) == 0x0605_4B50 { end = position; break }
            position -= 1
        }
        guard end >= 0 else { throw fail("no end-of-central-directory record") }
        var entries = u16(end + 10)
        var directorySize = try fits(u32(end + 12), "central directory size")
        var directoryOffset = try fits(u32(end + 16), "central directory offset")

        // A zip64 locator (20 bytes) just before it points at the zip64 end record (56 bytes).
        if end >= 20, u32(end - 20) == 0x0706_4B50 {
            let record = try fits(u64(end - 20 + 8), "zip64 end record offset")
            guard record + 56 <= size, u32(record) == 0x0606_4B50 else {
                throw fail("the zip64 end record at \(record) is missing or truncated")
            }
            entries = try fits(u64(record + 32), "zip64 entry count")
            directorySize = try fits(u64(record + 40), "zip64 central directory size")
            directoryOffset = try fits(u64(record + 48), "zip64 central directory offset")
        }
        guard directoryOffset + directorySize <= size else {
            throw fail("the central directory (\(directorySize) bytes at \(directoryOffset)) runs past the end")
        }

        // Every central-directory entry, with its zip64 extra field when present.
        var at = directoryOffset
        for index in 0..<entries {
            guard at + 46 <= size, u32(at) == 0x0201_4B50 else {
                throw fail("central directory entry \(index) at \(at) is missing or truncated")
            }
            let nameLength = u16(at + 28), extraLength = u16(at + 30), commentLength = u16(at + 32)
            let next = at + 46 + nameLength + extraLength + commentLength
            guard next <= size else { throw fail("central directory entry \(index) runs past the end") }
            _ = try fits(u32(at + 20), "entry \(index) compressed size")
            _ = try fits(u32(at + 42), "entry \(index) local header offset")
            var field = at + 46 + nameLength
            let fieldsEnd = field + extraLength
            while field + 4 <= fieldsEnd {
                let id = u16(field), length = u16(field + 2)
                guard field + 4 + length <= fieldsEnd else { throw fail("entry \(index) has a truncated extra field") }
                if id == 0x0001 {
                    // Zip64 sizes and offsets: each must fit the file (stored records never grow).
                    var value = field + 4
                    while value + 8 <= field + 4 + length {
                        _ = try fits(u64(value), "entry \(index) zip64 size or offset")
                        value += 8
                    }
                }
                field += 4 + length
            }
            at = next
        }
    }
}
