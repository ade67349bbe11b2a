import Foundation
import Testing
@testable import Ember

/// PNG, JPEG, PGM and PPM files decoded as Pillow decodes them, and mode conversions by PIL's rules
/// (scripts/make_image_fixtures.py → Fixtures/images/ and Fixtures/images.json).
@Suite struct ImageFileTests {
    static let fixture: [String: Any] = (try? loadFixture("images.json")) ?? [:]
    static let files: [String: [String: Any]] = {
        let list = fixture["files"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.map { ($0["file"] as! String, $0) })
    }()
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/images")

    static func bytes(_ value: Any?) -> [UInt8] { (value as! [Int]).map { UInt8($0) } }

    @Test func fixturesLoaded() { #expect(Self.files.count == 16) }

    @Test(arguments: files.keys.sorted())
    func decodesLikePillow(_ name: String) throws {
        let c = try #require(Self.files[name])
        let image = try Image.read(Self.folder.appendingPathComponent(name).path)
        #expect(image.mode.name == c["mode"] as! String, "\(name) mode")
        #expect(image.width == c["width"] as! Int && image.height == c["height"] as! Int, "\(name) size")
        #expect(image.converted(to: .rgb).pixels == Self.bytes(c["rgb"]), "\(name) as RGB")
        #expect(image.converted(to: .gray).pixels == Self.bytes(c["gray"]), "\(name) as L")
        if let rgba = c["rgba"] { #expect(image.converted(to: .rgba).pixels == Self.bytes(rgba), "\(name) as RGBA") }
    }

    @Test func conversionsFollowPIL() throws {
        let c = try #require(Self.fixture["conversions"] as? [String: Any])
        let source = Image(width: c["width"] as! Int, height: c["height"] as! Int, mode: .rgba, pixels: Self.bytes(c["source"]))
        #expect(source.converted(to: .gray).pixels == Self.bytes(c["L"]))
        #expect(source.converted(to: .grayAlpha).pixels == Self.bytes(c["LA"]))
        #expect(source.converted(to: .rgb).pixels == Self.bytes(c["RGB"]))
        #expect(source.converted(to: .gray).converted(to: .rgba).pixels == Self.bytes(c["L_to_RGBA"]))
    }

    @Test func tensorIsChannelsFirstInUnitRange() {
        let image = Image(width: 2, height: 1, mode: .rgb, pixels: [0, 51, 255, 102, 153, 204])
        let x = image.tensor()
        #expect(x.shape == [3, 1, 2])
        expectClose(x.toArray(), [0, 0.4, 0.2, 0.6, 1, 0.8], atol: 1e-7)
        #expect(Image(x) == image)
        // Out-of-range values are clamped, NaN is black; [H, W] becomes gray.
        #expect(Image(Tensor([-0.5, 0.5, 2, .nan], shape: [1, 4])).pixels == [0, 128, 255, 0])
    }

    @Test(arguments: ["png", "jpg", "ppm"])
    func writesAndReadsBack(_ ext: String) throws {
        // A smooth picture, the kind JPEG is made for.
        let original = Image(width: 24, height: 16, mode: .rgb, pixels: (0..<(24 * 16 * 3)).map { i in
            let x = (i / 3) % 24, y = (i / 3) / 24
            return UInt8([x * 10, y * 15, (x + y) * 6][i % 3])
        })
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ember-image-\(UUID().uuidString).\(ext)")
        defer { try? FileManager.default.removeItem(at: url) }
        try original.write(to: url.path, quality: 95)
        let back = try Image.read(url.path)
        #expect(back.mode == .rgb && back.width == original.width && back.height == original.height)
        if ext == "jpg" {
            // Lossy: close, not equal.
            let error = zip(back.pixels, original.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / back.pixels.count
            #expect(error <= 2, "mean absolute JPEG error \(error)")
        } else {
            #expect(back == original)
        }
        // No temporary file is left beside it.
        let siblings = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        #expect(!siblings.contains { $0.hasPrefix(".\(url.lastPathComponent).tmp") })
    }

    @Test func sizesAreCheckedBeforeAllocating() throws {
        // A 28-byte PGM claiming 16777216² pixels, and a large one cut short: refused at once.
        let bomb = Array("P5\n16777216 16777216\n255\n".utf8) + [1, 2, 3]
        #expect(throws: EmberIOError.self) { try Image(decoding: bomb) }
        let short = Array("P5\n4000 4000\n255\n".utf8) + [1, 2, 3]
        do {
            _ = try Image(decoding: short, file: "short.pgm")
            Issue.record("a truncated PGM was accepted")
        } catch let error as EmberIOError {
            #expect(error.kind == .corruptImage && error.description.contains("truncated"), "\(error)")
        }
        let text = Array("P2\n100 100\n255\n1 2 3\n".utf8)
        #expect(throws: EmberIOError.self) { try Image(decoding: text) }
        // Over maxPixels: refused with the way out, for PNG as for the others.
        let png = try Image(width: 20, height: 10, mode: .gray, pixels: [UInt8](repeating: 7, count: 200)).encoded(as: .png)
        do {
            _ = try Image(decoding: png, file: "big.png", maxPixels: 199)
            Issue.record("an image over maxPixels was accepted")
        } catch let error as EmberIOError {
            #expect(error.kind == .unsupportedImage && error.description.contains("maxPixels"), "\(error)")
        }
        #expect(try Image(decoding: png, maxPixels: 200).width == 20)
        // libpng's own default limit of 1,000,000 pixels a side is lifted, as Pillow has none.
        let wide = Image(width: 1_000_001, height: 1, mode: .gray, pixels: [UInt8](repeating: 3, count: 1_000_001))
        #expect(try Image(decoding: wide.encoded(as: .png)) == wide)
        let jpeg = try Image(width: 20, height: 10, mode: .gray, pixels: [UInt8](repeating: 7, count: 200)).encoded(as: .jpeg)
        #expect(throws: EmberIOError.self) { try Image(decoding: jpeg, maxPixels: 199) }
    }

    @Test func netpbmScalesAndClampsLikePillow() throws {
        // round(v / max · 255) with halves to even: 1/6 → 42.5 → 42, 5/6 → 212.5 → 212.
        #expect(try Image(decoding: Array("P2\n2 1\n6\n1 5\n".utf8)).pixels == [42, 212])
        // Binary samples above the maximum are clamped to it.
        #expect(try Image(decoding: Array("P5\n3 1\n100\n".utf8) + [50, 150, 255]).pixels == [128, 255, 255])
        #expect(throws: EmberIOError.self) { try Image(decoding: Array("P2\n2 1\n100\n50 150\n".utf8)) }
    }

    @Test func largeJPEGsGrowTheirBuffer() throws {
        // Noise at quality 95 encodes to far more than the first 64 KiB buffer.
        var state: UInt32 = 1
        let noise = (0..<(256 * 256 * 3)).map { _ in state = state &* 1_664_525 &+ 1_013_904_223; return UInt8(state >> 24) }
        let image = Image(width: 256, height: 256, mode: .rgb, pixels: noise)
        let bytes = try image.encoded(as: .jpeg, quality: 95)
        #expect(bytes.count > 65536)
        let back = try Image(decoding: bytes)
        #expect(back.width == 256 && back.height == 256 && back.mode == .rgb)
    }

    @Test func pngKeepsAlphaAndGray() throws {
        for mode in Image.Mode.allCases {
            let pixels = (0..<(5 * 3 * mode.rawValue)).map { UInt8(($0 * 37) % 256) }
            let image = Image(width: 5, height: 3, mode: mode, pixels: pixels)
            #expect(try Image(decoding: image.encoded(as: .png)) == image, "\(mode.name)")
        }
    }

    @Test func badFilesNameTheProblem() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ember-bad-images-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func error(writing bytes: [UInt8], as name: String) -> EmberIOError? {
            let path = folder.appendingPathComponent(name).path
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            do { _ = try Image.read(path); return nil } catch { return error as? EmberIOError }
        }
        let png = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("rgb.png")))
        let jpeg = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("rgb.jpg")))

        let truncatedPNG = try #require(error(writing: Array(png.prefix(png.count / 2)), as: "cut.png"))
        #expect(truncatedPNG.kind == .corruptImage && truncatedPNG.description.contains("cut.png")
                && truncatedPNG.description.contains("truncated"), "\(truncatedPNG)")
        let truncatedJPEG = try #require(error(writing: Array(jpeg.prefix(jpeg.count / 2)), as: "cut.jpg"))
        #expect(truncatedJPEG.kind == .corruptImage && truncatedJPEG.description.contains("truncated"), "\(truncatedJPEG)")
        var badCRC = png
        badCRC[29] ^= 0xFF  // inside IHDR, so its CRC fails
        let crc = try #require(error(writing: badCRC, as: "crc.png"))
        #expect(crc.kind == .corruptImage && crc.description.contains("CRC"), "\(crc)")
        let text = try #require(error(writing: Array("hello".utf8), as: "notes.png"))
        #expect(text.kind == .unsupportedImage && text.description.contains("not a PNG, JPEG"), "\(text)")
        let pgm = try #require(error(writing: Array("P5\n4 4\n255\n".utf8) + [1, 2], as: "short.pgm"))
        #expect(pgm.kind == .corruptImage && pgm.description.contains("truncated"), "\(pgm)")
        let missing: EmberIOError? = {
            do { _ = try Image.read(folder.appendingPathComponent("absent.png").path); return nil } catch { return error as? EmberIOError }
        }()
        let absent = try #require(missing)
        #expect(absent.kind == .missingFile && absent.description.contains("absent.png"))
        do {
            _ = try Image.read(folder.path)
            Issue.record("a folder was read as an image")
        } catch let error as EmberIOError {
            #expect(error.description.contains("folder"), "\(error)")
        }
        let gray = Image(width: 1, height: 1, mode: .grayAlpha, pixels: [1, 2])
        #expect(throws: EmberIOError.self) { try gray.write(to: folder.appendingPathComponent("a.jpg").path) }
        #expect(throws: EmberIOError.self) { try gray.write(to: folder.appendingPathComponent("a.gif").path) }
        let rgb = Image(width: 1, height: 1, mode: .rgb, pixels: [1, 2, 3])
        #expect(throws: EmberIOError.self) { try rgb.write(to: folder.appendingPathComponent("a.pgm").path) }
    }
}
