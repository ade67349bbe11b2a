import CEmberZlib
import Foundation

/// Reads a grayscale image from a PGM (P2/P5) or PNG file (8-bit gray, gray+alpha, RGB or RGBA,
/// non-interlaced), for `ember predict --image`. Colour is averaged to gray; alpha is ignored.
struct GrayImage {
    let width: Int
    let height: Int
    /// Row-major pixels, 0 = black, 255 = white.
    let pixels: [UInt8]

    enum ReadError: Error, CustomStringConvertible {
        case unreadable(String, String)
        case unsupported(String, String)
        case corrupt(String, String)

        var description: String {
            switch self {
            case .unreadable(let file, let why): return "cannot read image \(file): \(why)"
            case .unsupported(let file, let why): return "unsupported image \(file): \(why); use an 8-bit PNG or a PGM"
            case .corrupt(let file, let why): return "corrupt image \(file): \(why)"
            }
        }
    }

    static func read(_ path: String) throws -> GrayImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError.unreadable(path, "no such file or not readable")
        }
        let bytes = [UInt8](data)
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return try readPNG(bytes, path) }
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "2") || bytes[1] == UInt8(ascii: "5") {
            return try readPGM(bytes, path)
        }
        throw ReadError.unsupported(path, "not a PNG or PGM file (unknown signature)")
    }

    // MARK: PGM

    private static func readPGM(_ bytes: [UInt8], _ path: String) throws -> GrayImage {
        var position = 2
        func nextToken() -> Int? {
            while position < bytes.count {
                let c = bytes[position]
                if c == UInt8(ascii: "#") {
                    while position < bytes.count && bytes[position] != 10 { position += 1 }
                } else if c == 32 || c == 9 || c == 10 || c == 13 {
                    position += 1
                } else { break }
            }
            var value = 0, digits = 0
            while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57 {
                value = value * 10 + Int(bytes[position] - 48)
                position += 1
                digits += 1
                if value > 1 << 24 { return nil }
            }
            return digits > 0 ? value : nil
        }
        guard let width = nextToken(), let height = nextToken(), let maxValue = nextToken(),
              width > 0, height > 0, maxValue > 0, maxValue < 256 else {
            throw ReadError.corrupt(path, "bad PGM header (expected width, height and a max value below 256)")
        }
        var pixels = [UInt8](repeating: 0, count: width * height)
        if bytes[1] == UInt8(ascii: "5") {
            position += 1
            guard bytes.count - position >= width * height else {
                throw ReadError.corrupt(path, "truncated PGM data: \(bytes.count - position) bytes for \(width)x\(height)")
            }
            for i in 0..<pixels.count { pixels[i] = UInt8(Int(bytes[position + i]) * 255 / maxValue) }
        } else {
            for i in 0..<pixels.count {
                guard let v = nextToken(), v <= maxValue else { throw ReadError.corrupt(path, "truncated or bad PGM values") }
                pixels[i] = UInt8(v * 255 / maxValue)
            }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    // MARK: PNG

    private static func readPNG(_ bytes: [UInt8], _ path: String) throws -> GrayImage {
        var position = 8
        var width = 0, height = 0, colorType = 0
        var compressed: [UInt8] = []
        func be32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        while position + 8 <= bytes.count {
            let length = be32(position)
            let type = String(decoding: bytes[(position + 4)..<(position + 8)], as: UTF8.self)
            let start = position + 8
            guard length >= 0, start + length + 4 <= bytes.count else {
                throw ReadError.corrupt(path, "chunk \(type) runs past the end of the file")
            }
            switch type {
            case "IHDR":
                guard length >= 13 else { throw ReadError.corrupt(path, "short IHDR chunk") }
                width = be32(start)
                height = be32(start + 4)
                let depth = bytes[start + 8]
                colorType = Int(bytes[start + 9])
                guard depth == 8 else { throw ReadError.unsupported(path, "bit depth \(depth)") }
                guard bytes[start + 12] == 0 else { throw ReadError.unsupported(path, "interlaced PNG") }
                guard [0, 2, 4, 6].contains(colorType) else {
                    throw ReadError.unsupported(path, "colour type \(colorType) (palette images are not supported)")
                }
                guard width > 0, height > 0, width <= 4096, height <= 4096 else {
                    throw ReadError.unsupported(path, "size \(width)x\(height)")
                }
            case "IDAT":
                compressed += bytes[start..<(start + length)]
            case "IEND":
                position = bytes.count
                continue
            default:
                break
            }
            position = start + length + 4
        }
        guard width > 0 else { throw ReadError.corrupt(path, "no IHDR chunk") }
        let channels = [0: 1, 2: 3, 4: 2, 6: 4][colorType]!
        let stride = width * channels
        var raw = [UInt8](repeating: 0, count: (stride + 1) * height)
        var rawLength = uLongf(raw.count)
        let status = compressed.withUnsafeBufferPointer { source in
            raw.withUnsafeMutableBufferPointer { target in
                uncompress(target.baseAddress, &rawLength, source.baseAddress, uLong(source.count))
            }
        }
        guard status == Z_OK, Int(rawLength) == raw.count else {
            throw ReadError.corrupt(path, "image data does not inflate to \(width)x\(height) (zlib status \(status))")
        }
        // Undo the per-row filters (PNG spec section 9).
        var image = [UInt8](repeating: 0, count: stride * height)
        for row in 0..<height {
            let filter = raw[row * (stride + 1)]
            for x in 0..<stride {
                let value = raw[row * (stride + 1) + 1 + x]
                let left = x >= channels ? Int(image[row * stride + x - channels]) : 0
                let up = row > 0 ? Int(image[(row - 1) * stride + x]) : 0
                let upLeft = row > 0 && x >= channels ? Int(image[(row - 1) * stride + x - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = left
                case 2: predictor = up
                case 3: predictor = (left + up) / 2
                case 4:
                    let p = left + up - upLeft
                    let pa = abs(p - left), pb = abs(p - up), pc = abs(p - upLeft)
                    predictor = pa <= pb && pa <= pc ? left : (pb <= pc ? up : upLeft)
                default: throw ReadError.corrupt(path, "unknown row filter \(filter)")
                }
                image[row * stride + x] = UInt8(truncatingIfNeeded: Int(value) + predictor)
            }
        }
        let colour = channels >= 3 ? 3 : 1
        var pixels = [UInt8](repeating: 0, count: width * height)
        for i in 0..<(width * height) {
            var total = 0
            for c in 0..<colour { total += Int(image[i * channels + c]) }
            pixels[i] = UInt8(total / colour)
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    /// The image drawn with shaded blocks, two characters per pixel, for a terminal.
    func terminalArt(invert: Bool = false) -> String {
        let shades = [" ", "░", "▒", "▓", "█"]
        var lines: [String] = []
        for y in 0..<height {
            var line = ""
            for x in 0..<width {
                var v = Int(pixels[y * width + x])
                if invert { v = 255 - v }
                let s = shades[min(v * shades.count / 256, shades.count - 1)]
                line += s + s
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
