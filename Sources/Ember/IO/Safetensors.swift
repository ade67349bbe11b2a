import Foundation

/// Reading and writing the safetensors checkpoint format (https://github.com/huggingface/safetensors),
/// byte-compatible with the `safetensors` library:
///
///     [8 bytes: header length N, little-endian u64]
///     [N bytes: JSON {"__metadata__": {str: str}?, name: {"dtype", "shape", "data_offsets": [begin, end]}}, space-padded]
///     [the tensors' raw little-endian bytes, offsets relative to the end of the header]
///
/// Ember keeps float32 and int64 tensors, so F64, F16 and BF16 are read as float32 and I32, I16, I8, U8,
/// U16, U32, U64 and BOOL as int64. Writing produces F32 and I64 in the library's exact layout: tensors
/// ordered by dtype (I64 before F32, as the library orders them) then by name, the header compact and
/// padded with spaces to a multiple of 8 bytes.
public enum Safetensors {
    /// The safetensors library refuses headers over 100 MB; so does Ember, before allocating anything.
    public static let maxHeaderLength = 100_000_000

    /// Reads every tensor of a file, with the header's metadata.
    public static func read(contentsOf url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw EmberIOError(.missingFile, file: path, "no such file")
        }
        let data: Data
        do {
            // Mapped, so a corrupt header length cannot make us read or allocate the whole file first.
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw EmberIOError(.readFailed, file: path, "cannot read the file: \(error.localizedDescription)")
        }
        return try decode(data, file: path)
    }

    /// Writes tensors (and string metadata) atomically: the old file stays intact if anything fails.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        let data = try encode(tensors, metadata: metadata, file: url.path)
        try AtomicFile.write(data, to: url)
    }

    // MARK: dtypes

    /// The dtype names of the format, in the library's enum order (which sets the on-disk tensor order).
    static let dtypeOrder = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
                             "I32", "U32", "F32", "F64", "I64", "U64"]
    static let itemSizes: [String: Int] = ["BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
                                           "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
                                           "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8]
    static let supportedDTypes: Set<String> = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]

    static func name(of dtype: DType) -> String {
        switch dtype {
        case .float32: return "F32"
        case .int64: return "I64"
        }
    }

    // MARK: encoding

    /// The bytes of a safetensors file holding `tensors`.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> Data {
        try encode(tensors, metadata: metadata, file: "<memory>")
    }

    static func encode(_ tensors: [String: Tensor], metadata: [String: String], file: String) throws -> Data {
        for name in tensors.keys where name == "__metadata__" {
            throw EmberIOError(.invalidHeader, file: file, key: name, "'__metadata__' is reserved for the metadata map and cannot name a tensor")
        }
        let rank = Dictionary(uniqueKeysWithValues: dtypeOrder.enumerated().map { ($1, $0) })
        let ordered = tensors.sorted { a, b in
            let ra = rank[name(of: a.value.dtype)]!, rb = rank[name(of: b.value.dtype)]!
            return ra != rb ? ra > rb : a.key < b.key
        }
        var members: [(String, JSONValue)] = []
        if !metadata.isEmpty {
            members.append(("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        var hostTensors: [Tensor] = []
        for (key, tensor) in ordered {
            let host = tensor.device == .cpu ? tensor : tensor.to(.cpu)
            let c = noGrad { host.contiguous() }
            hostTensors.append(c)
            let bytes = c.count * c.dtype.itemSize
            members.append((key, .object([
                ("dtype", .string(name(of: c.dtype))),
                ("shape", .array(c.shape.map { .integer(Int64($0)) })),
                ("data_offsets", .array([.integer(Int64(offset)), .integer(Int64(offset + bytes))])),
            ])))
            offset += bytes
        }
        var header = Array(JSONValue.object(members).encoded().utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var out = Data(capacity: 8 + header.count + offset)
        var length = UInt64(header.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for c in hostTensors {
            let bytes = c.count * c.dtype.itemSize
            out.append(UnsafeRawPointer(c.storage.pointer + c.offset * c.dtype.itemSize).assumingMemoryBound(to: UInt8.self), count: bytes)
        }
        return out
    }

    // MARK: decoding

    /// Parses the bytes of a safetensors file. `file` names the source in error messages.
    public static func decode(_ data: Data, file: String = "<memory>") throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            try decode(raw, file: file)
        }
    }

    private struct Entry {
        let key: String
        let dtype: String
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    static func decode(_ raw: UnsafeRawBufferPointer, file: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ kind: EmberIOError.Kind, _ key: String? = nil, _ message: String) -> EmberIOError {
            EmberIOError(kind, file: file, key: key, message)
        }
        guard raw.count >= 8 else {
            throw fail(.truncated, nil, "the file is \(raw.count) bytes long, too short for the 8-byte header length that starts a safetensors file")
        }
        let declared = raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard declared <= UInt64(maxHeaderLength) else {
            throw fail(.invalidHeader, nil, "the header length field says \(declared) bytes, over the \(maxHeaderLength)-byte limit: this is not a safetensors file, or it is corrupt")
        }
        let headerLength = Int(declared)
        guard headerLength <= raw.count - 8 else {
            throw fail(.truncated, nil, "the header length field says \(headerLength) bytes but only \(raw.count - 8) bytes follow it: the file is truncated or not safetensors")
        }
        guard headerLength >= 2 else {
            throw fail(.invalidHeader, nil, "the header is \(headerLength) bytes, too short to hold a JSON object")
        }
        let headerBytes = UnsafeBufferPointer(start: raw.baseAddress!.advanced(by: 8).assumingMemoryBound(to: UInt8.self), count: headerLength)
        guard headerBytes[0] == UInt8(ascii: "{") else {
            throw fail(.invalidHeader, nil, "the header does not start with '{': this is not a safetensors file")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(headerBytes)
        } catch {
            throw fail(.invalidHeader, nil, "the header is not valid JSON: \(error.message)")
        }
        guard case .object(let members) = json else {
            throw fail(.invalidHeader, nil, "the header is \(json.typeName), expected a JSON object")
        }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (key, value) in members {
            if key == "__metadata__" {
                guard case .object(let pairs) = value else {
                    throw fail(.invalidHeader, key, "'__metadata__' must be an object of strings, found \(value.typeName)")
                }
                for (mk, mv) in pairs {
                    guard case .string(let s) = mv else {
                        throw fail(.invalidHeader, key, "metadata value '\(mk)' must be a string, found \(mv.typeName)")
                    }
                    metadata[mk] = s
                }
                continue
            }
            guard case .object(let fields) = value else {
                throw fail(.invalidHeader, key, "the entry must be an object with dtype, shape and data_offsets, found \(value.typeName)")
            }
            func field(_ name: String) throws -> JSONValue {
                guard let v = fields.first(where: { $0.0 == name })?.1 else {
                    throw fail(.invalidHeader, key, "the entry has no '\(name)' field")
                }
                return v
            }
            guard case .string(let dtype) = try field("dtype") else {
                throw fail(.invalidDType, key, "'dtype' must be a string")
            }
            guard let itemSize = itemSizes[dtype] else {
                throw fail(.invalidDType, key, "unknown dtype '\(dtype)'; safetensors dtypes are \(dtypeOrder.joined(separator: ", "))")
            }
            guard supportedDTypes.contains(dtype) else {
                throw fail(.unsupportedTensor, key, "dtype \(dtype) is not supported by Ember; convert it to F32 (or BF16/F16) before saving")
            }
            guard case .array(let dims) = try field("shape") else {
                throw fail(.invalidShape, key, "'shape' must be an array of non-negative integers")
            }
            var shape: [Int] = []
            var elementCount = 1
            var overflow = false
            for d in dims {
                guard case .integer(let v) = d, v >= 0 else {
                    throw fail(.invalidShape, key, "'shape' must be an array of non-negative integers, found \(d.encoded())")
                }
                shape.append(Int(v))
                (elementCount, overflow) = elementCount.multipliedReportingOverflow(by: Int(v))
                if overflow { throw fail(.invalidShape, key, "shape \(shape) has too many elements") }
            }
            guard case .array(let offs) = try field("data_offsets"), offs.count == 2,
                  case .integer(let b64) = offs[0], case .integer(let e64) = offs[1], b64 >= 0, e64 >= 0 else {
                throw fail(.invalidOffsets, key, "'data_offsets' must be [begin, end] with non-negative integers")
            }
            guard b64 <= e64 else {
                throw fail(.invalidOffsets, key, "data_offsets [\(b64), \(e64)] end before they begin")
            }
            let (byteCount, bytesOverflow) = elementCount.multipliedReportingOverflow(by: itemSize)
            guard !bytesOverflow, Int64(byteCount) == e64 - b64 else {
                throw fail(.invalidShape, key, "shape \(shape) of \(dtype) needs \(bytesOverflow ? "too many" : String(byteCount)) bytes but data_offsets [\(b64), \(e64)] span \(e64 - b64)")
            }
            entries.append(Entry(key: key, dtype: dtype, shape: shape, begin: Int(b64), end: Int(e64)))
        }

        // The tensors must tile the data section exactly: no overlap, no gap, nothing past the end.
        let dataStart = 8 + headerLength
        let dataSize = raw.count - dataStart
        let byOffset = entries.sorted { ($0.begin, $0.end, $0.key) < ($1.begin, $1.end, $1.key) }
        var expected = 0
        for entry in byOffset {
            if entry.end > dataSize {
                throw fail(.invalidOffsets, entry.key, "data_offsets [\(entry.begin), \(entry.end)] reach past the end of the data (\(dataSize) bytes): the file is truncated")
            }
            if entry.begin < expected {
                throw fail(.invalidOffsets, entry.key, "data_offsets [\(entry.begin), \(entry.end)] overlap another tensor's bytes (which end at \(expected))")
            }
            if entry.begin > expected {
                throw fail(.invalidOffsets, entry.key, "data_offsets [\(entry.begin), \(entry.end)] leave a gap after byte \(expected) of the data")
            }
            expected = entry.end
        }
        if expected != dataSize {
            throw fail(.invalidOffsets, nil, "the tensors cover \(expected) bytes of data but the file has \(dataSize) after the header")
        }

        var tensors: [String: Tensor] = [:]
        for entry in entries {
            tensors[entry.key] = convert(entry, source: raw.baseAddress!.advanced(by: dataStart + entry.begin))
        }
        return (tensors, metadata)
    }

    private static func convert(_ entry: Entry, source: UnsafeRawPointer) -> Tensor {
        let n = Shape.count(entry.shape)
        let isFloat = ["F32", "F64", "F16", "BF16"].contains(entry.dtype)
        let out = Tensor(uninitializedShape: entry.shape, dtype: isFloat ? .float32 : .int64)
        if n == 0 { return out }
        if isFloat {
            let dst = out.storage.pointer.assumingMemoryBound(to: Float.self)
            switch entry.dtype {
            case "F32":
                for i in 0..<n { dst[i] = Float(bitPattern: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) }
            case "F64":
                for i in 0..<n { dst[i] = Float(Double(bitPattern: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian)) }
            case "F16":
                for i in 0..<n { dst[i] = Float(float16Bits: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) }
            default:  // BF16: the top half of a float32
                for i in 0..<n { dst[i] = Float(bitPattern: UInt32(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16) }
            }
        } else {
            let dst = out.storage.pointer.assumingMemoryBound(to: Int64.self)
            switch entry.dtype {
            case "I64", "U64":
                for i in 0..<n { dst[i] = Int64(bitPattern: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian) }
            case "I32":
                for i in 0..<n { dst[i] = Int64(Int32(bitPattern: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)) }
            case "U32":
                for i in 0..<n { dst[i] = Int64(source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) }
            case "I16":
                for i in 0..<n { dst[i] = Int64(Int16(bitPattern: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)) }
            case "U16":
                for i in 0..<n { dst[i] = Int64(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) }
            case "I8":
                for i in 0..<n { dst[i] = Int64(Int8(bitPattern: source.load(fromByteOffset: i, as: UInt8.self))) }
            case "BOOL":
                for i in 0..<n { dst[i] = source.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
            default:  // U8
                for i in 0..<n { dst[i] = Int64(source.load(fromByteOffset: i, as: UInt8.self)) }
            }
        }
        return out
    }
}
