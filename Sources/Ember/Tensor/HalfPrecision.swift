extension Float {
    /// The value of IEEE 754 half-precision bits, exactly (subnormals, infinities and NaN included),
    /// without Swift's `Float16`, which some platforms lack. Safetensors, PyTorch checkpoints and
    /// ONNX files store float16 weights this way.
    public init(float16Bits h: UInt16) {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24  // subnormal (or zero)
            self = sign != 0 ? -magnitude : magnitude
        } else if exponent == 31 {
            self = Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))   // infinity, NaN
        } else {
            self = Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }
}
