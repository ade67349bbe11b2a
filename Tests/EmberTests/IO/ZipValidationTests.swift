import Foundation
import Testing
@testable import Ember

/// Zip end records are checked before ZIPFoundation reads them: a hostile offset must be a thrown
/// error, not ZIPFoundation's integer-conversion trap (found by the fuzzer, Fuzz/Findings/).
@Suite("Zip structure checks") struct ZipValidationTests {
    @Test func zip64OffsetBeyondTheFileIsAnError() throws {
        let url = repositoryRoot.appendingPathComponent("Fuzz/Findings/zip64-eocd-offset-trap.pth")
        #expect {
            _ = try TorchCheckpoint.read(contentsOf: url)
        } throws: { error in
            "\(error)".contains("zip64 central directory offset") && "\(error)".contains("lies beyond the file")
        }
    }

    @Test func realCheckpointsPass() throws {
        let url = repositoryRoot.appendingPathComponent("Tests/EmberTests/Fixtures/torch/mlp_mnist.pth")
        let data = try Data(contentsOf: url)
        try data.withUnsafeBytes { try ZipStructure.validate($0, file: "mlp_mnist.pth") }
    }

    @Test func truncatedCentralDirectoryIsAnError() throws {
        let url = repositoryRoot.appendingPathComponent("Tests/EmberTests/Fixtures/torch/mlp_mnist.pth")
        var bytes = [UInt8](try Data(contentsOf: url))
        // Point the end record's central directory offset past the end of the file.
        let end = (0...(bytes.count - 22)).reversed().first { bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4B
            && bytes[$0 + 2] == 0x05 && bytes[$0 + 3] == 0x06 }!
        bytes[end + 16] = 0xFF; bytes[end + 17] = 0xFF; bytes[end + 18] = 0xFF; bytes[end + 19] = 0x7F
        #expect {
            try bytes.withUnsafeBytes { try ZipStructure.validate($0, file: "x.pth") }
        } throws: { error in
            "\(error)".contains("central directory offset") || "\(error)".contains("runs past the end")
        }
    }
}
