/// The netpbm image formats: PGM (gray, P2 text or P5 binary) and PPM (RGB, P3 text or P6 binary), with
/// sample values up to 255. Simple enough to read by hand; no library needed.
extension Image {
    static func decodeNetpbm(_ bytes: [UInt8], file: String, maxPixels: Int) throws -> Image {
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
        guard width * height <= maxPixels else {
            throw EmberIOError(.unsupportedImage, file: file, "the image is \(width)x\(height) pixels, over the limit of \(maxPixels) "
                               + "pixels (a guard against decompression bombs): pass a larger maxPixels to read it")
        }
        let count = width * height * mode.rawValue
        // Every sample takes at least a byte (a digit and a separator in text files): a short file is
        // refused before the pixels are allocated.
        let remaining = bytes.count - position - 1
        guard count <= (binary ? remaining : (remaining + 1) / 2) else {
            throw corrupt("\(Swift.max(remaining, 0)) bytes of pixels for a \(width)x\(height) image that needs \(count) samples (truncated)")
        }
        var pixels = [UInt8](repeating: 0, count: count)
        // Scaled to 0...255 as Pillow does: round(v / max · 255), halves to even.
        func scaled(_ v: Int) -> UInt8 {
            maxValue == 255 ? UInt8(v) : UInt8((Double(v) / Double(maxValue) * 255).rounded(.toNearestOrEven))
        }
        if binary {
            position += 1  // the single whitespace byte after the header
            // Samples above the maximum are clamped to it, as Pillow does.
            for i in 0..<count { pixels[i] = scaled(Swift.min(Int(bytes[position + i]), maxValue)) }
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
