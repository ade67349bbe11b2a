import Ember
import Foundation

/// ONNX tensors (`TensorProto`) in and out of Ember tensors.
///
/// Ember holds float32 and int64 elements, so ONNX's floating types (float, double, float16,
/// bfloat16) load as float32 and its integer types and bool as int64. Booleans that operators
/// compute are 0/1 float masks, Ember's convention for `where` and `maskedFill`.
extension Onnx_TensorProto.DataType {
    /// The Ember element type this ONNX type loads as, or nil when Ember has none (strings, complex).
    var emberType: DType? {
        switch self {
        case .float, .double, .float16, .bfloat16: return .float32
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64, .bool: return .int64
        default: return nil
        }
    }

    /// Bytes per element in `raw_data`.
    var rawSize: Int {
        switch self {
        case .int8, .uint8, .bool: return 1
        case .int16, .uint16, .float16, .bfloat16: return 2
        case .int32, .uint32, .float: return 4
        default: return 8
        }
    }

    var name: String { String(describing: self).uppercased() }
}

/// Reads `TensorProto`s, including their weights in external files (models over protobuf's 2 GB).
struct TensorDecoder {
    /// The folder that external data locations are relative to (the model file's folder).
    let baseDirectory: URL?

    func tensor(_ proto: Onnx_TensorProto, what: String) throws -> Tensor {
        guard let type = Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)), let dtype = type.emberType else {
            throw ONNXError.unsupported("\(what) has data type \(proto.dataType) (\(Onnx_TensorProto.DataType(rawValue: Int(proto.dataType))?.name ?? "unknown")); Ember reads floating-point, integer and bool tensors")
        }
        let shape = proto.dims.map { Int($0) }
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard d >= 0, !overflow, product <= maxElements else {
                throw ONNXError.invalidModel("\(what) has dims \(shape), which are negative or hold more than \(maxElements) elements")
            }
            count = product
        }
        if proto.dataLocation == .external {
            let bytes = try externalBytes(proto, what: what)
            return try fromRaw(bytes, type: type, dtype: dtype, shape: shape, count: count, what: what)
        }
        if proto.hasRawData {
            return try fromRaw(proto.rawData, type: type, dtype: dtype, shape: shape, count: count, what: what)
        }
        // Typed fields: float_data, double_data, int64_data, uint64_data, or int32_data for the small types.
        switch type {
        case .float: return try floats(proto.floatData, shape, count, what)
        case .double: return try floats(proto.doubleData.map { Float($0) }, shape, count, what)
        case .float16: return try floats(proto.int32Data.map { Float(float16Bits: UInt16(truncatingIfNeeded: $0)) }, shape, count, what)
        case .bfloat16: return try floats(proto.int32Data.map { Float(bitPattern: UInt32(truncatingIfNeeded: $0) << 16) }, shape, count, what)
        case .int64: return try ints(proto.int64Data.map { Int($0) }, shape, count, what)
        case .uint32, .uint64: return try ints(proto.uint64Data.map { Int(truncatingIfNeeded: $0) }, shape, count, what)
        default: return try ints(proto.int32Data.map { Int($0) }, shape, count, what)
        }
    }

    private func floats(_ values: [Float], _ shape: [Int], _ count: Int, _ what: String) throws -> Tensor {
        guard values.count == count else { throw countMismatch(values.count, shape, what) }
        return Tensor(values, shape: shape)
    }

    private func ints(_ values: [Int], _ shape: [Int], _ count: Int, _ what: String) throws -> Tensor {
        guard values.count == count else { throw countMismatch(values.count, shape, what) }
        return Tensor(values, shape: shape)
    }

    private func countMismatch(_ got: Int, _ shape: [Int], _ what: String) -> ONNXError {
        .invalidModel("\(what) holds \(got) values but its shape \(shape) needs \(shape.reduce(1, *))")
    }

    /// Little-endian `raw_data` (ONNX's layout on every platform).
    private func fromRaw(_ data: Data, type: Onnx_TensorProto.DataType, dtype: DType, shape: [Int], count: Int,
                         what: String) throws -> Tensor {
        let size = type.rawSize
        guard data.count == count * size else {
            throw ONNXError.invalidModel("\(what) has \(data.count) bytes of data but its shape \(shape) of \(type.name) needs \(count * size)")
        }
        return data.withUnsafeBytes { raw -> Tensor in
            func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
                T(littleEndian: raw.loadUnaligned(fromByteOffset: i * size, as: T.self))
            }
            switch type {
            case .float:
                let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    for i in 0..<count { buffer[i] = Float(bitPattern: load(UInt32.self, i)) }
                    initialized = count
                }
                return Tensor(values, shape: shape)
            case .double: return Tensor((0..<count).map { Float(Double(bitPattern: load(UInt64.self, $0))) }, shape: shape)
            case .float16: return Tensor((0..<count).map { Float(float16Bits: load(UInt16.self, $0)) }, shape: shape)
            case .bfloat16: return Tensor((0..<count).map { Float(bitPattern: UInt32(load(UInt16.self, $0)) << 16) }, shape: shape)
            case .int8: return Tensor((0..<count).map { Int(load(Int8.self, $0)) }, shape: shape)
            case .uint8, .bool: return Tensor((0..<count).map { Int(load(UInt8.self, $0)) }, shape: shape)
            case .int16: return Tensor((0..<count).map { Int(load(Int16.self, $0)) }, shape: shape)
            case .uint16: return Tensor((0..<count).map { Int(load(UInt16.self, $0)) }, shape: shape)
            case .int32: return Tensor((0..<count).map { Int(load(Int32.self, $0)) }, shape: shape)
            case .uint32: return Tensor((0..<count).map { Int(load(UInt32.self, $0)) }, shape: shape)
            case .uint64: return Tensor((0..<count).map { Int(truncatingIfNeeded: load(UInt64.self, $0)) }, shape: shape)
            default: return Tensor((0..<count).map { Int(load(Int64.self, $0)) }, shape: shape)
            }
        }
    }

    /// The bytes of a tensor stored outside the model, in a file beside it (`location`, `offset`, `length`).
    private func externalBytes(_ proto: Onnx_TensorProto, what: String) throws -> Data {
        let entries = Dictionary(proto.externalData.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        guard let location = entries["location"], !location.isEmpty else {
            throw ONNXError.invalidModel("\(what) is stored externally but names no location")
        }
        // As ONNX's checker does: the data must lie in the model's folder, so that a model cannot read
        // arbitrary files.
        guard !location.hasPrefix("/"), !location.split(separator: "/").contains("..") else {
            throw ONNXError.invalidModel("\(what) is stored in '\(location)', outside the model's folder; external data must be a relative path inside it")
        }
        guard let base = baseDirectory else {
            throw ONNXError.unsupported("\(what) is stored in the external file '\(location)'; load the model from its file (ONNXModel(contentsOf:)) so that Ember can find it")
        }
        let url = base.appendingPathComponent(location)
        // Symbolic links could lead outside the folder too (as ONNX's checker, refuse them).
        let folder = base.resolvingSymlinksInPath().standardizedFileURL.path
        guard url.resolvingSymlinksInPath().standardizedFileURL.path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/") else {
            throw ONNXError.invalidModel("\(what) is stored in '\(location)', which links outside the model's folder")
        }
        let file: Data
        do {
            file = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw ONNXError.invalidModel("the external data of \(what), \(url.path), cannot be read (\(error.localizedDescription))")
        }
        let offset = Int(entries["offset"] ?? "0") ?? -1
        let length = entries["length"].map { Int($0) ?? -1 } ?? (file.count - max(offset, 0))
        guard offset >= 0, length >= 0, offset <= file.count, length <= file.count - offset else {
            throw ONNXError.invalidModel("\(what): offset \(entries["offset"] ?? "0") and length \(entries["length"] ?? "-") lie outside \(location) (\(file.count) bytes)")
        }
        return file.subdata(in: offset..<(offset + length))
    }
}

extension Onnx_TensorProto {
    /// A tensor's values as `raw_data` (float32 or int64), for writing a model back.
    init(_ tensor: Tensor, name: String) {
        self.init()
        self.name = name
        dims = tensor.shape.map { Int64($0) }
        switch tensor.dtype {
        case .float32:
            dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            rawData = tensor.toArray().withUnsafeBufferPointer { Data(buffer: $0) }
        case .int64:
            dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
            rawData = tensor.toIntArray().map { Int64($0) }.withUnsafeBufferPointer { Data(buffer: $0) }
        }
    }
}
