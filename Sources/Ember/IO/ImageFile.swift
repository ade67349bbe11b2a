import CEmberImageCodecs
import Foundation

/// Image files: PNG (through libpng), JPEG (through libjpeg) and the netpbm formats PGM/PPM.
extension Image {
    /// A file format, as recognised from a file's first bytes or its name's extension.
    public enum Format: String, Sendable {
        case png, jpeg, netpbm

        /// The format a file name's extension names (.png, .jpg/.jpeg, .pgm/.ppm/.pnm), or nil.
        public init?(pathExtension: String) {
            switch pathExtension.lowercased() {
            case "png": self = .png
            case "jpg", "jpeg": self = .jpeg
            case "pgm", "ppm", "pnm": self = .netpbm
            default: return nil
            }
        }

        /// The format whose signature `bytes` starts with, or nil.
        init?(signature bytes: [UInt8]) {
            if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
                self = .png
            } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
                self = .jpeg
            } else if bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), (UInt8(ascii: "2")...UInt8(ascii: "3")).contains(bytes[1])
                        || (UInt8(ascii: "5")...UInt8(ascii: "6")).contains(bytes[1]) {
                self = .netpbm
            } else {
                return nil
            }
        }
    }

    /// The most pixels an image file may decode to unless a caller allows more: Pillow's limit
    /// (2 × `Image.MAX_IMAGE_PIXELS`), which stops a small file from claiming gigabytes.
    public static let defaultMaxPixels = 178_956_970

    /// Reads a PNG, JPEG, PGM or PPM file (recognised by its contents, not its name), in the file's own
    /// mode: gray, gray + alpha, RGB or RGBA. Use `converted(to: .rgb)` for the RGB that
    /// `torchvision.datasets.ImageFolder` loads.
    public static func read(_ path: String, maxPixels: Int = defaultMaxPixels) throws -> Image {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            throw EmberIOError(exists ? .readFailed : .missingFile, file: path,
                               !exists ? "no such file" : isFolder.boolValue ? "this is a folder, not an image file"
                                   : "the file could not be read (check its permissions)")
        }
        return try Image(decoding: [UInt8](data), file: path, maxPixels: maxPixels)
    }

    /// Decodes the bytes of a PNG, JPEG, PGM or PPM file; `file` names it in errors. Images of more than
    /// `maxPixels` pixels are refused before their pixels are decoded.
    public init(decoding bytes: [UInt8], file: String = "<memory>", maxPixels: Int = defaultMaxPixels) throws {
        guard let format = Format(signature: bytes) else {
            throw EmberIOError(.unsupportedImage, file: file,
                               "not a PNG, JPEG, PGM or PPM file (its first bytes are no known signature); convert it to PNG")
        }
        switch format {
        case .netpbm: self = try Image.decodeNetpbm(bytes, file: file, maxPixels: maxPixels)
        case .png, .jpeg:
            var decoded = ember_decoded_image()
            var message = [CChar](repeating: 0, count: 256)
            let status = bytes.withUnsafeBufferPointer { source in
                format == .png ? ember_png_decode(source.baseAddress, source.count, maxPixels, &decoded, &message, message.count)
                               : ember_jpeg_decode(source.baseAddress, source.count, maxPixels, &decoded, &message, message.count)
            }
            guard status == 0, let pixels = decoded.pixels else {
                let reason = String(cString: message)
                let unsupported = reason.contains("not supported") || reason.contains("over the limit")
                throw EmberIOError(unsupported ? .unsupportedImage : .corruptImage, file: file,
                                   "cannot decode this \(format == .png ? "PNG" : "JPEG"): \(reason)")
            }
            defer { ember_image_free(pixels) }
            let count = Int(decoded.width) * Int(decoded.height) * Int(decoded.channels)
            self.init(width: Int(decoded.width), height: Int(decoded.height), mode: Mode(rawValue: Int(decoded.channels))!,
                      pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
        }
    }

    /// The file's bytes in `format`. JPEG takes gray or RGB and a `quality` from 1 to 100 (Pillow's
    /// default is 75); PNG is lossless and keeps any mode.
    public func encoded(as format: Format, quality: Int = 75) throws -> [UInt8] {
        var data: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status: Int32
        switch format {
        case .png:
            status = pixels.withUnsafeBufferPointer {
                ember_png_encode($0.baseAddress, Int32(width), Int32(height), Int32(channels), &data, &size, &message, message.count)
            }
        case .jpeg:
            guard mode == .gray || mode == .rgb else {
                throw EmberIOError(.unsupportedImage, file: "<memory>",
                                   "JPEG holds gray or RGB, not \(mode.name): convert with converted(to: .rgb) or save as PNG")
            }
            precondition((1...100).contains(quality), "Ember: JPEG quality must be 1...100, got \(quality)")
            status = pixels.withUnsafeBufferPointer {
                ember_jpeg_encode($0.baseAddress, Int32(width), Int32(height), Int32(channels), Int32(quality), &data, &size,
                                  &message, message.count)
            }
        case .netpbm:
            return try encodedNetpbm()
        }
        guard status == 0, let data else {
            throw EmberIOError(.writeFailed, file: "<memory>", "cannot encode the image: \(String(cString: message))")
        }
        defer { ember_image_free(data) }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Writes the image to `path` in the format its extension names (.png, .jpg/.jpeg, .pgm/.ppm), through a
    /// temporary file renamed when complete, so an existing file is never left half-written.
    public func write(to path: String, quality: Int = 75) throws {
        let url = URL(fileURLWithPath: path)
        guard let format = Format(pathExtension: url.pathExtension) else {
            throw EmberIOError(.unsupportedImage, file: path, "unknown image extension '\(url.pathExtension)'; use .png, .jpg or .pgm/.ppm")
        }
        if url.pathExtension.lowercased() == "pgm" && mode != .gray {
            throw EmberIOError(.unsupportedImage, file: path, "a .pgm file holds gray pixels, not \(mode.name): convert with converted(to: .gray) or use .ppm")
        }
        do {
            try AtomicFile.write(Data(encoded(as: format, quality: quality)), to: url)
        } catch let error as EmberIOError where error.file == "<memory>" {
            throw EmberIOError(error.kind, file: path, error.message)
        }
    }
}
