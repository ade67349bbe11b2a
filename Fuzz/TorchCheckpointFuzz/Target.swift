import Ember
import Foundation

/// What an input is fed to. Each target has its own seed corpus, mutation and entry point.
enum Target: String, CaseIterable {
    /// A checkpoint file's bytes mutated, read with `TorchCheckpoint.read(_:name:)`: the zip
    /// structure, or the legacy format's pickles and raw storages. Zip record contents are
    /// guarded by CRCs, so mutations there stop early (see `records`).
    case raw
    /// A zip seed's records taken apart, one mutated (data.pkl mostly, else byteorder, a storage,
    /// or a record's name), and the archive rebuilt with correct CRCs, so the unpickler and the
    /// storage checks see the mutation. Goes through a temporary file (`TMPDIR`).
    case records
    /// A state-dict pickle (each zip seed's data.pkl, and a few built-in edge cases) mutated and
    /// wrapped as a legacy checkpoint with the seed's storages: read from memory.
    case pickle
    /// A mutated .safetensors file, through `Safetensors.decode`.
    case safetensors
    /// A mutated (uncompressed) IDX file, through `IDX.parse`.
    case idx
    /// A mutated .gz IDX file, through `IDX.gunzip` and `IDX.parse`.
    case gzip
    /// A mutated PNG, JPEG, PGM or PPM file, through `Image(decoding:)` (libpng, libjpeg and the C shim
    /// around them, or the netpbm parser) and a conversion of every pixel.
    case image

    var number: Int { Self.allCases.firstIndex(of: self)! }

    /// Parses the input; a thrown error is an expected outcome, a crash or hang is a finding.
    /// Loaded tensors are read in full, as a user would: views must stay inside their storages.
    func run(_ input: [UInt8], name: String) throws {
        var checksum: Float = 0
        switch self {
        case .raw, .records, .pickle:
            let state = try TorchCheckpoint.read(Data(input), name: name)
            for (_, tensor) in state where tensor.count <= 1 << 22 { checksum += tensor.toArray().reduce(0, +) }
        case .safetensors:
            let (tensors, _) = try Safetensors.decode(Data(input), file: name)
            for (_, tensor) in tensors where tensor.count <= 1 << 22 { checksum += tensor.toArray().reduce(0, +) }
        case .idx:
            _ = try IDX.parse(input, file: name)
        case .gzip:
            _ = try IDX.parse(try IDX.gunzip(input, file: name), file: name)
        case .image:
            // Pillow's pixel limit would let a mutated header claim gigabytes; 16 M pixels is plenty here.
            let image = try Image(decoding: input, file: name, maxPixels: 1 << 24)
            checksum += Float(image.converted(to: .rgba).pixels.reduce(0) { $0 &+ Int($1) })
        }
        _ = checksum
    }
}

/// The kind of error an input ended with, for the summary.
func errorKind(_ error: Error) -> String {
    switch error {
    case let error as TorchCheckpointError:
        if case .disallowedGlobal = error.kind { return "disallowedGlobal" }
        return "\(error.kind)"
    case let error as EmberIOError:
        return "EmberIOError.\(error.kind)"
    default:
        return "\(type(of: error))"
    }
}
