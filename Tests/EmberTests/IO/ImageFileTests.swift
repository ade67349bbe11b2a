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
        // Out-of-range values are clamped; [H, W] becomes gray.
        #expect(Image(Tensor([-0.5, 0.5, 2], shape: [1, 3])).pixels == [0, 128, 255])
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
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
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
        let gray = Image(width: 1, height: 1, mode: .grayAlpha, pixels: [1, 2])
        #expect(throws: EmberIOError.self) { try gray.write(to: folder.appendingPathComponent("a.jpg").path) }
        #expect(throws: EmberIOError.self) { try gray.write(to: folder.appendingPathComponent("a.gif").path) }
        let rgb = Image(width: 1, height: 1, mode: .rgb, pixels: [1, 2, 3])
        #expect(throws: EmberIOError.self) { try rgb.write(to: folder.appendingPathComponent("a.pgm").path) }
    }
}
