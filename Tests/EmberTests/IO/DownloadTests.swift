import Foundation
import Testing
@testable import Ember

/// A static file server on 127.0.0.1 (Python's http.server), since these machines have no internet.
final class LocalHTTPServer {
    let process = Process()
    let port: Int
    let folder: URL

    init?(serving folder: URL) {
        self.folder = folder
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let python else { return nil }
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", folder.path]
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        var text = ""
        var found: Int?
        let deadline = Date().addingTimeInterval(20)
        while found == nil && Date() < deadline {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: "port ") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if !digits.isEmpty, text[range.upperBound...].dropFirst(digits.count).first == " " { found = Int(digits) }
            }
        }
        guard let found else { kill(process.processIdentifier, SIGKILL); return nil }
        port = found
    }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    /// Stops the server. SIGKILL, because a child started from a dispatch worker thread inherits its
    /// blocked signal mask, so SIGTERM would stay pending forever.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite("Downloads", .serialized)
struct DownloadTests {
    /// Serves two tiny IDX files (gzipped) and returns their spec.
    func makeServedDataset() throws -> (server: LocalHTTPServer, spec: IDXDatasetSpec, files: [String: Data])? {
        let served = makeIOTestFolder("served")
        let images = Data([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 255, 128, 64, 1, 2, 3, 4])
        let labels = Data([0, 0, 8, 1, 0, 0, 0, 2, 7, 3])
        var files: [String: Data] = [:]
        for (name, data) in [("tiny-images.gz", images), ("tiny-labels.gz", labels)] {
            let plain = served.appendingPathComponent(String(name.dropLast(3)))
            try data.write(to: plain)
            let gzip = Process()
            gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
            gzip.arguments = ["-kn", plain.path]
            try gzip.run()
            gzip.waitUntilExit()
            files[name] = try Data(contentsOf: served.appendingPathComponent(name))
        }
        guard let server = LocalHTTPServer(serving: served) else { return nil }
        let spec = IDXDatasetSpec(
            name: "TinyTest-\(UUID().uuidString)", cacheName: "tiny-test-\(UUID().uuidString)",
            mirrors: [server.baseURL],
            trainImages: ("tiny-images.gz", MD5.hex(of: files["tiny-images.gz"]!)),
            trainLabels: ("tiny-labels.gz", MD5.hex(of: files["tiny-labels.gz"]!)),
            testImages: ("tiny-images.gz", MD5.hex(of: files["tiny-images.gz"]!)),
            testLabels: ("tiny-labels.gz", MD5.hex(of: files["tiny-labels.gz"]!)),
            classes: (0...9).map(String.init))
        return (server, spec, files)
    }

    @Test func downloadsVerifiesAndLoads() throws {
        guard let (server, spec, files) = try makeServedDataset() else {
            Issue.record("could not start a local HTTP server with python3")
            return
        }
        defer { server.stop(); try? FileManager.default.removeItem(at: server.folder) }
        let root = makeIOTestFolder("root")
        defer { try? FileManager.default.removeItem(at: root) }

        let dataset = try IDXImageDataset(spec, train: true, root: root, download: true, progress: false)
        #expect(dataset.count == 2 && dataset.height == 2 && dataset.width == 2)
        #expect(dataset.label(0) == 7 && dataset.label(1) == 3)
        #expect(dataset[0].0.toArray() == [0, 1, Float(128) / 255, Float(64) / 255])
        #expect(try Data(contentsOf: root.appendingPathComponent("tiny-images.gz")) == files["tiny-images.gz"])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: root.path)) == ["tiny-images.gz", "tiny-labels.gz"])

        // Already present: found locally, nothing fetched (the server could be gone).
        server.stop()
        let again = try IDXImageDataset(spec, train: false, root: root, download: true, progress: false)
        #expect(again.count == 2)
    }

    @Test func checksumMismatchChangesNothing() throws {
        guard let (server, spec, _) = try makeServedDataset() else {
            Issue.record("could not start a local HTTP server with python3")
            return
        }
        defer { server.stop(); try? FileManager.default.removeItem(at: server.folder) }
        let root = makeIOTestFolder("root")
        defer { try? FileManager.default.removeItem(at: root) }

        // An existing file at the destination survives a download that fails verification.
        let destination = root.appendingPathComponent("existing.gz")
        try Data("keep me".utf8).write(to: destination)
        let error = try #require(captureIOError {
            try Downloader.download(server.baseURL.appendingPathComponent("tiny-images.gz"), to: destination,
                                    md5: "00000000000000000000000000000000", progress: false)
        })
        #expect(error.kind == .checksumMismatch)
        #expect(error.description.contains("00000000000000000000000000000000"))
        #expect(try Data(contentsOf: destination) == Data("keep me".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["existing.gz"])

        // A dataset whose published checksum does not match leaves no file behind.
        var bad = spec
        bad.trainImages.md5 = "ffffffffffffffffffffffffffffffff"
        let datasetError = try #require(captureIOError { _ = try IDXImageDataset(bad, train: true, root: root, progress: false) })
        #expect(datasetError.kind == .checksumMismatch)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["existing.gz"])
    }

    @Test func httpErrorsAndUnreachableServers() throws {
        guard let (server, _, _) = try makeServedDataset() else {
            Issue.record("could not start a local HTTP server with python3")
            return
        }
        defer { server.stop(); try? FileManager.default.removeItem(at: server.folder) }
        let root = makeIOTestFolder("root")
        defer { try? FileManager.default.removeItem(at: root) }
        let target = root.appendingPathComponent("missing.gz")
        let notFound = try #require(captureIOError {
            try Downloader.download(server.baseURL.appendingPathComponent("no-such-file.gz"), to: target, progress: false)
        })
        #expect(notFound.kind == .downloadFailed && notFound.description.contains("404"))
        // Mirrors are tried in order: a dead one, then a working one.
        let dead = URL(string: "http://127.0.0.1:9/no.gz")!
        try Downloader.download(from: [dead, server.baseURL.appendingPathComponent("tiny-labels.gz")], to: target, progress: false)
        #expect(FileManager.default.fileExists(atPath: target.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["missing.gz"])
    }

    @Test func notFoundWithoutDownloadExplainsWhereItLooked() throws {
        let spec = IDXDatasetSpec(name: "Nowhere-\(UUID().uuidString)", cacheName: "nowhere-\(UUID().uuidString)", mirrors: [],
                                  trainImages: ("a.gz", ""), trainLabels: ("b.gz", ""), testImages: ("c.gz", ""), testLabels: ("d.gz", ""),
                                  classes: [])
        let error = try #require(captureIOError { _ = try IDXImageDataset(spec, train: true, download: false) })
        #expect(error.kind == .datasetNotFound)
        #expect(error.description.contains("EMBER_DATA_DIR") && error.description.contains("Datasets/"))
    }

    @Test func environmentFolderIsSearchedBeforeTheCache() throws {
        let folder = makeIOTestFolder("env")
        defer { try? FileManager.default.removeItem(at: folder) }
        let name = "EnvTest-\(UUID().uuidString)"
        let dataset = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dataset, withIntermediateDirectories: true)
        try Data([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 200]).write(to: dataset.appendingPathComponent("imgs"))
        try Data([0, 0, 8, 1, 0, 0, 0, 1, 4]).write(to: dataset.appendingPathComponent("lbls"))
        let spec = IDXDatasetSpec(name: name, cacheName: name.lowercased(), mirrors: [],
                                  trainImages: ("imgs.gz", ""), trainLabels: ("lbls.gz", ""), testImages: ("imgs.gz", ""), testLabels: ("lbls.gz", ""),
                                  classes: [])
        let previous = ProcessInfo.processInfo.environment["EMBER_DATA_DIR"]
        setenv("EMBER_DATA_DIR", folder.path, 1)
        defer { if let previous { setenv("EMBER_DATA_DIR", previous, 1) } else { unsetenv("EMBER_DATA_DIR") } }
        let folders = spec.searchFolders().map(\.path)
        let envIndex = try #require(folders.firstIndex(of: dataset.path))
        let cacheIndex = try #require(folders.firstIndex(of: spec.defaultCacheFolder.path))
        #expect(envIndex < cacheIndex)
        // Uncompressed files are accepted in place of the .gz names.
        let loaded = try IDXImageDataset(spec, train: true, download: false)
        #expect(loaded.count == 1 && loaded.label(0) == 4)
        #expect(loaded[0].0.toArray() == [Float(200) / 255])
    }
}
