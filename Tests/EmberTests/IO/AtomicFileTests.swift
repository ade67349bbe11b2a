import Foundation
import Testing
@testable import Ember

@Suite("Atomic files and MD5")
struct AtomicFileTests {
    @Test func replacesContentsAndLeavesNoTemporaryFiles() throws {
        let folder = makeIOTestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("out.bin")
        try AtomicFile.write(Data("old".utf8), to: target)
        try AtomicFile.write(Data("new contents".utf8), to: target)
        #expect(try Data(contentsOf: target) == Data("new contents".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.bin"])
    }

    @Test func writtenFilesGetTheUsualPermissions() throws {
        let folder = makeIOTestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("model.safetensors")
        try AtomicFile.write(Data("x".utf8), to: target)
        let mask = umask(0)
        umask(mask)
        let mode = try FileManager.default.attributesOfItem(atPath: target.path)[.posixPermissions] as? Int
        #expect(mode == Int(0o666 & ~mask), "mode \(String(mode ?? 0, radix: 8)), not the 0600 of a temporary file")
    }

    @Test func failureKeepsTheOldFile() throws {
        struct Boom: Error {}
        let folder = makeIOTestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("keep.bin")
        try AtomicFile.write(Data("precious".utf8), to: target)
        #expect(throws: Boom.self) {
            try AtomicFile.write(to: target) { writer in
                try writer.write(Data("half written".utf8))
                throw Boom()
            }
        }
        #expect(try Data(contentsOf: target) == Data("precious".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["keep.bin"])

        let writer = try AtomicFileWriter(destination: target)
        try writer.write([1, 2, 3])
        #expect(FileManager.default.fileExists(atPath: writer.temporaryURL.path))
        writer.abort()
        #expect(!FileManager.default.fileExists(atPath: writer.temporaryURL.path))
        #expect(try Data(contentsOf: target) == Data("precious".utf8))
    }

    @Test func createsMissingFoldersAndReportsUnwritableOnes() throws {
        let folder = makeIOTestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let nested = folder.appendingPathComponent("a/b/c.bin")
        try AtomicFile.write(Data([9]), to: nested)
        #expect(try Data(contentsOf: nested) == Data([9]))
        // A path whose "folder" is a regular file cannot be written.
        let error = captureIOError { try AtomicFile.write(Data([1]), to: nested.appendingPathComponent("x.bin")) }
        #expect(error?.kind == .writeFailed)
    }

    @Test func md5KnownVectors() {
        let vectors = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (text, digest) in vectors {
            #expect(MD5.hex(of: Data(text.utf8)) == digest, "\(text)")
        }
        // Chunked updates agree with one-shot hashing across block boundaries.
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var chunked = MD5()
        var i = 0
        for size in [1, 63, 64, 65, 7, 200] + Array(repeating: 100, count: 6) {
            let end = min(i + size, bytes.count)
            chunked.update(bytes[i..<end])
            i = end
        }
        #expect(chunked.hexDigest() == MD5.hex(of: Data(bytes)))
    }

    @Test func md5OfShippedMNISTMatchesItsREADME() throws {
        let url = repositoryRoot.appendingPathComponent("Datasets/MNIST/t10k-labels-idx1-ubyte.gz")
        let bytes = try IDX.gunzip([UInt8](Data(contentsOf: url)), file: url.path)
        #expect(MD5.hex(of: Data(bytes)) == "27ae3e4e09519cfbb04c329615203637")
    }
}
