import Foundation
import Testing
@testable import Ember

/// ImageFolder: classes and files in torchvision's order, decoding, transforms, batching and errors.
@Suite struct ImageFolderTests {
    /// A fresh folder tree; `files` maps relative paths to the gray level of a 4x3 image (nil: a text file).
    static func makeTree(_ files: [String: UInt8?]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ember-imagefolder-\(UUID().uuidString)")
        for (relative, level) in files {
            let url = root.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if let level {
                let pixels = (0..<12).flatMap { i in [level, UInt8(i * 20), 255 - level] }
                let image = Image(width: 4, height: 3, mode: .rgb, pixels: pixels)
                try (url.pathExtension == "pgm" ? image.converted(to: .gray) : image).write(to: url.path, quality: 100)
            } else {
                try Data("not an image".utf8).write(to: url)
            }
        }
        return root
    }

    static let tree: [String: UInt8?] = [
        "ant/b.png": 10, "ant/a.png": 20, "ant/A.png": 30, "ant/sub/c.png": 40, "ant/notes.txt": nil,
        "Zebra/z.pgm": 50, "bee/x.JPG": 60, "bee/.hidden.png": 70, ".ipynb_checkpoints/y.png": 80, "readme.md": nil,
    ]

    @Test func ordersClassesAndFilesLikeTorchvision() throws {
        let root = try Self.makeTree(Self.tree)
        defer { try? FileManager.default.removeItem(at: root) }
        let data = try ImageFolder(root: root.path)
        // Code-point order: upper case before lower case; hidden folders skipped.
        #expect(data.classes == ["Zebra", "ant", "bee"])
        #expect(data.classToIndex == ["Zebra": 0, "ant": 1, "bee": 2])
        let relative = data.samples.map { String($0.path.dropFirst(root.path.count + 1)) }
        #expect(relative == ["Zebra/z.pgm", "ant/A.png", "ant/a.png", "ant/b.png", "ant/sub/c.png", "bee/x.JPG"])
        #expect(data.targets == [0, 1, 1, 1, 1, 2])
    }

    @Test func matchesTorchvisionOnTrickyNames() throws {
        let fixture = try #require((try loadFixture("images.json"))["torchvision"] as? [String: Any])
        let c = try #require(fixture["image_folder"] as? [String: Any])
        let tree = c["tree"] as! [String]
        let root = try Self.makeTree(Dictionary(uniqueKeysWithValues: tree.map { ($0, $0.hasSuffix(".txt") ? nil : UInt8(9)) }))
        defer { try? FileManager.default.removeItem(at: root) }
        let data = try ImageFolder(root: root.path)
        #expect(data.classes == c["classes"] as! [String])
        let expected = (c["samples"] as! [[Any]]).map { "\($0[0] as! String) \($0[1] as! Int)" }
        #expect(data.samples.map { "\($0.path.dropFirst(root.path.count + 1)) \($0.label)" } == expected)
    }

    @Test func samplesAreDecodedTransformedAndBatched() throws {
        let root = try Self.makeTree(Self.tree)
        defer { try? FileManager.default.removeItem(at: root) }
        var data = try ImageFolder(root: root.path)
        let (image, label) = data[2]  // ant/a.png, level 20
        #expect(label == 1 && image.shape == [3, 3, 4])
        expectClose(Array(image.toArray()[0..<4]), [Float](repeating: 20 / 255, count: 4), atol: 1e-7)
        // The PGM is gray; as RGB its three channels are equal.
        let zebra = data[0].0.toArray()
        #expect(Array(zebra[0..<12]) == Array(zebra[12..<24]))

        data.transform = Compose([CenterCrop(2), Normalize(mean: 0.5, std: 0.5)])
        let loader = DataLoader(data, batchSize: 4)
        let batches = Array(loader)
        #expect(batches.map { $0.0.shape } == [[4, 3, 2, 2], [2, 3, 2, 2]])
        #expect(batches.flatMap { $0.1.toIntArray() } == [0, 1, 1, 1, 1, 2])
        // A batch gathers the same samples as indexing one by one.
        let single = collate((0..<4).map { data[$0] })
        #expect(batches[0].0.toArray() == single.0.toArray())

        let gray = try ImageFolder(root: root.path, mode: .gray)
        #expect(gray[2].0.shape == [1, 3, 4])
    }

    @Test func errorsSayWhatTheFolderNeeds() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("ember-no-such-\(UUID().uuidString)").path
        #expect(throws: EmberIOError.self) { try ImageFolder(root: missing) }

        let flat = try Self.makeTree(["a.png": 1])
        defer { try? FileManager.default.removeItem(at: flat) }
        do {
            _ = try ImageFolder(root: flat.path)
            Issue.record("a folder without class folders was accepted")
        } catch let error as EmberIOError {
            #expect(error.kind == .datasetNotFound && error.description.contains("subfolder"), "\(error)")
        }

        // torchvision would load a BMP; skipping it silently would shift the indices.
        let bitmaps = try Self.makeTree(["cat/1.png": 1, "dog/2.bmp": nil])
        defer { try? FileManager.default.removeItem(at: bitmaps) }
        do {
            _ = try ImageFolder(root: bitmaps.path)
            Issue.record("a BMP file was skipped silently")
        } catch let error as EmberIOError {
            #expect(error.kind == .unsupportedImage && error.description.contains("2.bmp")
                    && error.description.contains("extensions:"), "\(error)")
        }
        // With extensions chosen by the caller, other files are simply not images (here leaving dog empty).
        do {
            _ = try ImageFolder(root: bitmaps.path, extensions: ["png"])
            Issue.record("a class without PNG files was accepted")
        } catch let error as EmberIOError {
            #expect(error.kind == .datasetNotFound && error.description.contains("dog"), "\(error)")
        }

        let empty = try Self.makeTree(["cat/1.png": 1, "dog/readme.txt": nil])
        defer { try? FileManager.default.removeItem(at: empty) }
        do {
            _ = try ImageFolder(root: empty.path)
            Issue.record("a class without images was accepted")
        } catch let error as EmberIOError {
            #expect(error.description.contains("dog") && error.description.contains(".png"), "\(error)")
        }
    }
}
