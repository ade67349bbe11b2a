import Foundation
import Testing
@testable import Ember

@Suite("IDX files")
struct IDXTests {
    let images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3] + Array(0..<12)
    let labels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 2, 4, 9]

    func write(_ bytes: [UInt8], _ name: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func gzip(_ bytes: [UInt8], _ name: String, in folder: URL) throws -> URL {
        let plain = try write(bytes, String(name.dropLast(3)), in: folder)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-f", "-n", plain.path]
        try process.run()
        process.waitUntilExit()
        return folder.appendingPathComponent(name)
    }

    @Test func readsPlainAndGzipFiles() throws {
        let folder = makeIOTestFolder("idx")
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = try IDX.read(contentsOf: write(images, "images-idx3-ubyte", in: folder))
        #expect(plain.shape == [2, 2, 3] && plain.bytes == Array(0..<12) && plain.count == 2)
        let zipped = try IDX.read(contentsOf: gzip(images, "zipped-idx3-ubyte.gz", in: folder))
        #expect(zipped.shape == [2, 2, 3] && zipped.bytes == Array(0..<12))
        let pair = try IDX.readImagesAndLabels(images: folder.appendingPathComponent("zipped-idx3-ubyte.gz"),
                                               labels: write(labels, "labels-idx1-ubyte", in: folder))
        #expect(pair.labels.bytes == [4, 9])
    }

    @Test func readsMultiMemberGzip() throws {
        let folder = makeIOTestFolder("idx")
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = try Data(contentsOf: gzip(Array(images[0..<10]), "a.gz", in: folder))
        let b = try Data(contentsOf: gzip(Array(images[10...]), "b.gz", in: folder))
        let joined = folder.appendingPathComponent("joined-idx3-ubyte.gz")
        try (a + b).write(to: joined)
        #expect(try IDX.read(contentsOf: joined).bytes == Array(0..<12))
    }

    func expectError(_ url: URL, _ kind: EmberIOError.Kind, _ words: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        let error = captureIOError { _ = try IDX.read(contentsOf: url) }
        #expect(error?.kind == kind, "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.description.contains(url.lastPathComponent) == true, sourceLocation: sourceLocation)
        #expect(error?.description.contains(words) == true, "\(String(describing: error))", sourceLocation: sourceLocation)
    }

    @Test func everyBadFile() throws {
        let folder = makeIOTestFolder("idx")
        defer { try? FileManager.default.removeItem(at: folder) }
        expectError(folder.appendingPathComponent("missing-idx3-ubyte"), .missingFile, "no such file")
        expectError(try write([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0], "picture.png", in: folder), .badMagic, "magic number 0x89504e47")
        expectError(try write([0, 0, 8, 0], "rank0", in: folder), .badMagic, "not an IDX file")
        expectError(try write([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], "floats", in: folder), .unsupportedDataType, "float32 (0x0d)")
        expectError(try write([0, 0, 0x42, 1, 0, 0, 0, 0], "weird", in: folder), .unsupportedDataType, "unknown")
        expectError(try write([0, 0], "tiny", in: folder), .truncated, "download it again")
        expectError(try write([0, 0, 8, 3, 0, 0, 0, 2], "header-cut", in: folder), .truncated, "inside its header")
        expectError(try write(Array(images.dropLast(1)), "data-cut", in: folder), .truncated, "promises 12 bytes")
        expectError(try write(images + [7], "extra", in: folder), .truncated, "1 bytes after")
        expectError(try write(images, "not-really.gz", in: folder), .notGzip, "not gzip-compressed")

        let good = try Data(contentsOf: gzip(images, "good-idx3-ubyte.gz", in: folder))
        try good.prefix(good.count - 12).write(to: folder.appendingPathComponent("cut.gz"))
        expectError(folder.appendingPathComponent("cut.gz"), .corruptGzip, "ends early")
        var corrupt = [UInt8](good)
        for i in 10..<min(20, corrupt.count - 8) { corrupt[i] ^= 0xA5 }
        expectError(try write(corrupt, "corrupt.gz", in: folder), .corruptGzip, "corrupt")
        expectError(try write([UInt8](good) + [1, 2, 3], "trailing.gz", in: folder), .corruptGzip, "after the end")
    }

    @Test func mismatchedPairs() throws {
        let folder = makeIOTestFolder("idx")
        defer { try? FileManager.default.removeItem(at: folder) }
        let x = try write(images, "x-idx3-ubyte", in: folder)
        let threeLabels = try write([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3], "y-idx1-ubyte", in: folder)
        let error = captureIOError { _ = try IDX.readImagesAndLabels(images: x, labels: threeLabels) }
        #expect(error?.kind == .countMismatch)
        #expect(error?.description.contains("3 labels") == true && error?.description.contains("2 images") == true)
        let swapped = captureIOError { _ = try IDX.readImagesAndLabels(images: threeLabels, labels: x) }
        #expect(swapped?.kind == .invalidShape && swapped?.description.contains("label file") == true)
    }
}
