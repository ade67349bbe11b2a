/// The netpbm image formats: PGM (gray, P2 text or P5 binary) and PPM (RGB, P3 text or P6 binary), with
/// sample values up to 255. Simple enough to read by hand; no library needed.
extension Image {
    static func decodeNetpbm(_ bytes: [UInt8], file: String) throws -> Image {
        func corrupt(_ why: String) -> EmberIOError { EmberIOError(.corruptImage, file: file, "bad PGM/PPM file: \(why)") }
        let kind = bytes[1]
        let binary = kind == UInt8(ascii: "5") || kind == UInt8(ascii: "6")
        let mode: Mode = kind == UInt8(ascii: "2") || kind == UInt8(ascii: "5") ? .gray : .rgb
        var position = 2
        /// The next decimal number, skipping whitespace and # comments.
        func nextNumber() -> Int? {
            while position < bytes.count {
                let c = bytes[position]
                if c == UInt8(ascii: "#") {
                    while position < bytes.count && bytes[position] != 10 && bytes[position] != 13 { position += 1 }
                } else if c == 32 || (9...13).contains(c) {
                    position += 1
                } else { break }
            }
            var value = 0, digits = 0
            while position < bytes.count, (48...57).contains(bytes[position]), value <= 1 << 24 {
                value = value * 10 + Int(bytes[position] - 48)
                position += 1
                digits += 1
            }
            return digits > 0 && value <= 1 << 24 ? value : nil
        }
        guard let width = nextNumber(), let height = nextNumber(), let maxValue = nextNumber(), width > 0, height > 0 else {
            throw corrupt("the header needs a positive width and height and a maximum value")
        }
        guard (1...255).contains(maxValue) else {
            throw EmberIOError(.unsupportedImage, file: file, "maximum sample value \(maxValue): only 8-bit PGM/PPM (at most 255) is supported")
        }
        let count = width * height * mode.rawValue
        var pixels = [UInt8](repeating: 0, count: count)
        // Scaled to 0...255 with rounding, as Pillow does.
        func scaled(_ v: Int) -> UInt8 { maxValue == 255 ? UInt8(v) : UInt8((v * 255 + maxValue / 2) / maxValue) }
        if binary {
            position += 1  // the single whitespace byte after the header
            guard bytes.count - position >= count else {
                throw corrupt("\(bytes.count - position) bytes of pixels for a \(width)x\(height) image that needs \(count) (truncated)")
            }
            for i in 0..<count {
                let v = Int(bytes[position + i])
                guard v <= maxValue else { throw corrupt("sample \(v) is above the maximum value \(maxValue)") }
                pixels[i] = scaled(v)
            }
        } else {
            for i in 0..<count {
                guard let v = nextNumber() else { throw corrupt("\(i) of \(count) samples before the end of the file (truncated)") }
                guard v <= maxValue else { throw corrupt("sample \(v) is above the maximum value \(maxValue)") }
                pixels[i] = scaled(v)
            }
        }
        return Image(width: width, height: height, mode: mode, pixels: pixels)
    }

    /// Binary PGM (gray) or PPM (RGB) bytes.
    func encodedNetpbm() throws -> [UInt8] {
        guard mode == .gray || mode == .rgb else {
            throw EmberIOError(.unsupportedImage, file: "<memory>",
                               "PGM/PPM hold gray or RGB, not \(mode.name): convert with converted(to: .rgb) or save as PNG")
        }
        return Array("\(mode == .gray ? "P5" : "P6")\n\(width) \(height)\n255\n".utf8) + pixels
    }
}
