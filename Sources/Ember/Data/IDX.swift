import CEmberZlib
import Foundation

/// An array read from an IDX file: its dimensions and its unsigned bytes, row-major.
public struct IDXArray: Sendable {
    public let shape: [Int]
    public let bytes: [UInt8]
    public var count: Int { shape.first ?? 0 }

    public init(shape: [Int], bytes: [UInt8]) {
        precondition(shape.reduce(1, *) == bytes.count,
                     "Ember: IDXArray: \(bytes.count) bytes do not fill shape \(shape)")
        self.shape = shape
        self.bytes = bytes
    }
}

/// The IDX format of MNIST, Fashion-MNIST, KMNIST and EMNIST: a 4-byte magic number
/// (0, 0, type code, number of dimensions), the dimensions as big-endian 32-bit integers, then the data.
/// Files may be gzip-compressed (`.gz`); they are decompressed in memory with zlib.
/// Only unsigned-byte data (type 0x08), which every one of these datasets uses, is supported.
public enum IDX {
    /// Reads an IDX file, plain or gzip-compressed.
    public static func read(contentsOf url: URL) throws -> IDXArray {
        var bytes = try fileBytes(url)
        let (shape, headerSize) = try header(bytes, file: url.path)
        // Drop the header in place: no second copy of a 47 MB image file at load time.
        bytes.removeFirst(headerSize)
        return IDXArray(shape: shape, bytes: bytes)
    }

    /// Reads images and labels and checks that they pair up: images [N, H, W], labels [N].
    public static func readImagesAndLabels(images: URL, labels: URL) throws -> (images: IDXArray, labels: IDXArray) {
        let x = try read(contentsOf: images)
        let y = try read(contentsOf: labels)
        guard x.shape.count == 3 else {
            throw EmberIOError(.invalidShape, file: images.path, "expected images with 3 dimensions [count, height, width], found \(x.shape); is this a label file?")
        }
        guard y.shape.count == 1 else {
            throw EmberIOError(.invalidShape, file: labels.path, "expected labels with 1 dimension [count], found \(y.shape); is this an image file?")
        }
        guard x.shape[0] == y.shape[0] else {
            throw EmberIOError(.countMismatch, file: labels.path,
                               "holds \(y.shape[0]) labels but \(images.lastPathComponent) holds \(x.shape[0]) images; the two files come from different sets (train/test) or one is damaged: download them again")
        }
        return (x, y)
    }

    /// Parses IDX bytes already in memory. `file` names them in error messages.
    public static func parse(_ data: [UInt8], file: String) throws -> IDXArray {
        let (shape, headerSize) = try header(data, file: file)
        return IDXArray(shape: shape, bytes: Array(data[headerSize...]))
    }

    /// Validates IDX bytes and returns their shape and header length.
    static func header(_ data: [UInt8], file: String) throws -> (shape: [Int], size: Int) {
        func fail(_ kind: EmberIOError.Kind, _ message: String) -> EmberIOError {
            EmberIOError(kind, file: file, message)
        }
        guard data.count >= 4 else {
            throw fail(.truncated, "the file is \(data.count) bytes long, shorter than the 4-byte IDX magic number; it is truncated, download it again")
        }
        guard data[0] == 0, data[1] == 0, data[3] >= 1 else {
            let magic = data[0..<4].map { String(format: "%02x", $0) }.joined()
            throw fail(.badMagic, "wrong magic number 0x\(magic): this is not an IDX file (MNIST-style files start with 00 00 08 01 or 00 00 08 03)")
        }
        let typeNames: [UInt8: String] = [0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "16-bit integer",
                                          0x0C: "32-bit integer", 0x0D: "float32", 0x0E: "float64"]
        guard data[2] == 0x08 else {
            let name = typeNames[data[2]].map { "\($0) (0x\(String(format: "%02x", data[2])))" } ?? "unknown (0x\(String(format: "%02x", data[2])))"
            throw fail(.unsupportedDataType, "IDX data type \(name) is not supported; Ember reads unsigned-byte IDX files (type 0x08), as used by MNIST, Fashion-MNIST, KMNIST and EMNIST")
        }
        let rank = Int(data[3])
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else {
            throw fail(.truncated, "the file ends inside its header (\(data.count) of \(headerSize) bytes); it is truncated, download it again")
        }
        var shape: [Int] = []
        var total = 1
        for d in 0..<rank {
            let p = 4 + 4 * d
            let dim = Int(data[p]) << 24 | Int(data[p + 1]) << 16 | Int(data[p + 2]) << 8 | Int(data[p + 3])
            shape.append(dim)
            total = total.multipliedReportingOverflow(by: dim).overflow ? Int.max : total * dim
        }
        let available = data.count - headerSize
        guard available >= total else {
            throw fail(.truncated, "the header promises \(total) bytes of data for shape \(shape) but the file has \(available); it is truncated, download it again")
        }
        guard available == total else {
            throw fail(.truncated, "the file has \(available - total) bytes after the \(total) bytes of data its header describes (shape \(shape)); it is damaged or not an IDX file")
        }
        return (shape, headerSize)
    }

    /// The file's bytes, gunzipped when it is gzip-compressed.
    static func fileBytes(_ url: URL) throws -> [UInt8] {
        let path = url.path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
            throw EmberIOError(.missingFile, file: path, "no such file; check the data folder, or let Ember download the dataset")
        }
        let raw: [UInt8]
        do {
            raw = [UInt8](try Data(contentsOf: url))
        } catch {
            throw EmberIOError(.readFailed, file: path, "cannot read the file: \(error.localizedDescription)")
        }
        let isGzip = raw.count >= 2 && raw[0] == 0x1F && raw[1] == 0x8B
        if isGzip { return try gunzip(raw, file: path) }
        if url.pathExtension == "gz" {
            throw EmberIOError(.notGzip, file: path, "the name ends in .gz but the file is not gzip-compressed (it does not start with 1f 8b); it is damaged or misnamed, download it again")
        }
        return raw
    }

    /// Decompresses gzip data (every member of a multi-member file) with zlib.
    public static func gunzip(_ input: [UInt8], file: String) throws -> [UInt8] {
        guard input.count >= 2, input[0] == 0x1F, input[1] == 0x8B else {
            throw EmberIOError(.notGzip, file: file, "not gzip data (it does not start with 1f 8b)")
        }
        // The trailer's ISIZE (size mod 2^32) is a good first guess for the output size.
        var capacity = 1 << 16
        if input.count >= 18 {
            let n = input.count
            let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
            capacity = max(capacity, min(isize, input.count * 1032))
        }
        var output = [UInt8](repeating: 0, count: capacity)
        var produced = 0
        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else {
            throw EmberIOError(.corruptGzip, file: file, "zlib could not start decompressing (status \(initStatus))")
        }
        defer { inflateEnd(&stream) }
        var consumed = 0
        try input.withUnsafeBufferPointer { inBuffer in
            let base = UnsafeMutablePointer(mutating: inBuffer.baseAddress!)
            while true {
                if produced == output.count { output += [UInt8](repeating: 0, count: output.count) }
                let status: Int32 = output.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_in = base + consumed
                    stream.avail_in = UInt32(min(inBuffer.count - consumed, Int(UInt32.max)))
                    stream.next_out = outBuffer.baseAddress! + produced
                    stream.avail_out = UInt32(min(outBuffer.count - produced, Int(UInt32.max)))
                    let beforeIn = stream.avail_in, beforeOut = stream.avail_out
                    let s = inflate(&stream, Z_NO_FLUSH)
                    consumed += Int(beforeIn - stream.avail_in)
                    produced += Int(beforeOut - stream.avail_out)
                    return s
                }
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow (as `cat a.gz b.gz` produces); trailing zero padding is allowed.
                    let rest = inBuffer[consumed...]
                    if rest.count >= 2, rest[consumed] == 0x1F, rest[consumed + 1] == 0x8B {
                        inflateReset(&stream)
                        continue
                    }
                    if rest.allSatisfy({ $0 == 0 }) { return }
                    throw EmberIOError(.corruptGzip, file: file, "unexpected bytes after the end of the gzip data; the file is damaged, download it again")
                case Z_OK, Z_BUF_ERROR:
                    if status == Z_BUF_ERROR || (consumed == inBuffer.count && stream.avail_out > 0) {
                        if consumed == inBuffer.count {
                            throw EmberIOError(.corruptGzip, file: file, "the gzip data ends early (truncated after \(produced) decompressed bytes); download the file again")
                        }
                    }
                    continue
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw EmberIOError(.corruptGzip, file: file, "the gzip data is corrupt (\(reason)); download the file again")
                }
            }
        }
        output.removeSubrange(produced...)
        return output
    }
}
