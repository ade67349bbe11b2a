import Foundation

/// The element types of PyTorch storages that a checkpoint may hold, named by the storage class
/// that `torch.save` pickles (`torch.FloatStorage`, ...), and how each becomes an Ember dtype:
/// floating types load as float32, integer and bool types as int64.
enum TorchStorageType: String, CaseIterable {
    case float = "FloatStorage"
    case double = "DoubleStorage"
    case half = "HalfStorage"
    case bfloat16 = "BFloat16Storage"
    case long = "LongStorage"
    case int = "IntStorage"
    case short = "ShortStorage"
    case char = "CharStorage"
    case byte = "ByteStorage"
    case bool = "BoolStorage"

    var itemSize: Int {
        switch self {
        case .double, .long: return 8
        case .float, .int: return 4
        case .half, .bfloat16, .short: return 2
        case .char, .byte, .bool: return 1
        }
    }

    var emberDType: DType {
        switch self {
        case .float, .double, .half, .bfloat16: return .float32
        case .long, .int, .short, .char, .byte, .bool: return .int64
        }
    }

    /// The storage class for an Ember dtype, for writing.
    static func forWriting(_ dtype: DType) -> TorchStorageType {
        switch dtype {
        case .float32: return .float
        case .int64: return .long
        }
    }

    /// Converts `count` elements of raw storage bytes (little-endian unless `bigEndian`) into a new
    /// Ember storage. The caller has checked that `raw` holds at least `count * itemSize` bytes.
    func makeStorage(from raw: UnsafeRawBufferPointer, count: Int, bigEndian: Bool) -> Storage {
        let storage = Device.cpu.backend.allocate(count: max(count, 1), dtype: emberDType)
        guard count > 0, let base = raw.baseAddress else { return storage }
        precondition(raw.count >= count * itemSize)
        #if _endian(little)
        if !bigEndian && (self == .float || self == .long) {  // already Ember's layout
            storage.pointer.copyMemory(from: base, byteCount: count * itemSize)
            return storage
        }
        #endif
        func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
            let v = T(littleEndian: base.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
            return bigEndian ? v.byteSwapped : v
        }
        switch emberDType {
        case .float32:
            let out = storage.pointer.assumingMemoryBound(to: Float.self)
            for i in 0..<count {
                switch self {
                case .float: out[i] = Float(bitPattern: load(UInt32.self, i))
                case .double: out[i] = Float(Double(bitPattern: load(UInt64.self, i)))
                case .half: out[i] = Float(float16Bits: load(UInt16.self, i))
                case .bfloat16: out[i] = Float(bitPattern: UInt32(load(UInt16.self, i)) << 16)
                default: out[i] = 0
                }
            }
        case .int64:
            let out = storage.pointer.assumingMemoryBound(to: Int64.self)
            for i in 0..<count {
                switch self {
                case .long: out[i] = Int64(bitPattern: load(UInt64.self, i))
                case .int: out[i] = Int64(Int32(bitPattern: load(UInt32.self, i)))
                case .short: out[i] = Int64(Int16(bitPattern: load(UInt16.self, i)))
                case .char: out[i] = Int64(Int8(bitPattern: load(UInt8.self, i)))
                case .byte: out[i] = Int64(load(UInt8.self, i))
                case .bool: out[i] = load(UInt8.self, i) != 0 ? 1 : 0
                default: out[i] = 0
                }
            }
        }
        return storage
    }
}
