/// Protocol-buffer wire encoding of a message, field by field, for the few TensorBoard messages Ember
/// writes (no protobuf dependency for five small schemas). Fields must be added in field-number order,
/// as protobuf's own serializers write them, so the bytes match theirs. The `proto3` helpers skip
/// default values (zero, empty), as proto3 does.
struct ProtobufEncoder {
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    private mutating func key(_ field: Int, _ type: WireType) { varint(UInt64(field) << 3 | type.rawValue) }

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func littleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// An int32, int64 or enum field (negative values take ten bytes, as protobuf encodes them).
    mutating func int(_ field: Int, _ value: Int) {
        guard value != 0 else { return }
        key(field, .varint)
        varint(UInt64(bitPattern: Int64(value)))
    }

    mutating func double(_ field: Int, _ value: Double) {
        guard value.bitPattern != 0 else { return }
        key(field, .fixed64)
        littleEndian(value.bitPattern)
    }

    /// A float field; `always` writes it even when zero (a field of a oneof, which has presence).
    mutating func float(_ field: Int, _ value: Float, always: Bool = false) {
        guard always || value.bitPattern != 0 else { return }
        key(field, .fixed32)
        littleEndian(value.bitPattern)
    }

    /// A bytes field; `repeated` writes it even when empty (an element of a repeated field).
    mutating func bytes(_ field: Int, _ value: [UInt8], repeated: Bool = false) {
        guard repeated || !value.isEmpty else { return }
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    /// A nested message; written even when empty, as a set submessage field is.
    mutating func message(_ field: Int, _ value: ProtobufEncoder) { bytes(field, value.bytes, repeated: true) }

    mutating func message(_ field: Int, _ build: (inout ProtobufEncoder) -> Void) {
        var nested = ProtobufEncoder()
        build(&nested)
        message(field, nested)
    }

    /// A repeated double field, packed (proto3's default).
    mutating func packedDoubles(_ field: Int, _ values: [Double]) {
        guard !values.isEmpty else { return }
        key(field, .lengthDelimited)
        varint(UInt64(values.count * 8))
        for value in values { littleEndian(value.bitPattern) }
    }
}
