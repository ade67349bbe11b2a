// A deterministic mutation fuzzer for Ember's file parsers: the PyTorch checkpoint reader (zip
// archive, legacy format, and the safe unpickler inside both), safetensors decoding, and IDX
// parsing with its gzip layer.
//
//   swift run torch-checkpoint-fuzz [--iterations N] [--seed S] [--start K] [--dump DIR] [FILE|DIR ...]
//
// Input K is a pure function of (seed, K), so `--start K --iterations 1 --dump /tmp` reproduces
// and saves any input a run reports. Without paths, the corpus is the PyTorch fixtures in
// Tests/EmberTests/Fixtures/torch and ../shared/fixtures/torch (real `torch.save` files), the
// safetensors files in Tests/EmberTests/Fixtures and ../shared/fixtures/torch, and MNIST's test
// set in ../shared/datasets/mnist (cut to 20 images for the IDX seeds).
//
// Targets, in turn:
//   raw     — the file's bytes mutated, read with `TorchCheckpoint.read(_:name:)`. Reaches the
//             zip structure, the legacy format's five pickles and its raw storages (zip record
//             contents are guarded by CRCs, so mutations there stop early: see `records`).
//   records — a zip seed's records taken apart, one mutated (data.pkl mostly, else byteorder,
//             a storage, or a record's name), and the archive rebuilt with correct CRCs, so the
//             unpickler and the storage checks see the mutation.
//   pickle  — a bare pickle from the corpus (each seed's data.pkl, and a few built-in ones)
//             mutated and wrapped as a zip checkpoint.
//   safetensors — a mutated .safetensors file, through `Safetensors.decode`.
//   idx     — a mutated (uncompressed) IDX file, through `IDX.parse`.
//   gzip    — a mutated .gz IDX file, through `IDX.gunzip` and `IDX.parse`.
// A crash or hang is the finding; thrown errors are the expected outcome. A signal handler
// prints the input's index before the process dies.

import Ember
import Foundation
import ZIPFoundation

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Deterministic randomness

struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

// MARK: - Mutations

let interesting: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000,
                             0xFFFF_FFFF, 0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF]
/// Pickle opcodes, so that inserted bytes are often meaningful.
let opcodes: [UInt8] = Array("().0123FGIJKLMNPQRSTUVXabcdeghijlmopqrstu}]".utf8) + Array(0x80...0x98)

func mutate(_ input: [UInt8], _ rng: inout SplitMix64, corpus: [[UInt8]]) -> [UInt8] {
    var bytes = input
    for _ in 0...rng.below(4) {
        let n = bytes.count
        switch rng.below(11) {
        case 0 where n > 0:  // flip a bit
            bytes[rng.below(n)] ^= UInt8(1 << rng.below(8))
        case 1 where n > 0:  // an interesting byte
            bytes[rng.below(n)] = [0, 0xFF, 0x7F, 0x80, 0x01][rng.below(5)]
        case 2 where n > 0:  // an opcode
            bytes[rng.below(n)] = opcodes[rng.below(opcodes.count)]
        case 3 where n >= 8:  // an interesting 1/2/4/8-byte integer
            let width = [1, 2, 4, 8][rng.below(4)]
            let at = rng.below(n - width + 1)
            let value = interesting[rng.below(interesting.count)] &+ UInt64(rng.below(3)) &- 1
            for i in 0..<width { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        case 4:  // insert random bytes
            let at = rng.below(n + 1)
            bytes.insert(contentsOf: (0..<(1 + rng.below(8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        case 5:  // insert opcodes
            let at = rng.below(n + 1)
            bytes.insert(contentsOf: (0..<(1 + rng.below(4))).map { _ in opcodes[rng.below(opcodes.count)] }, at: at)
        case 6 where n > 1:  // delete a range
            let at = rng.below(n)
            bytes.removeSubrange(at..<min(n, at + 1 + rng.below(16)))
        case 7 where n > 1:  // duplicate a range
            let at = rng.below(n)
            let chunk = Array(bytes[at..<min(n, at + 1 + rng.below(32))])
            bytes.insert(contentsOf: chunk, at: rng.below(n + 1))
        case 8 where n > 0:  // truncate
            bytes.removeSubrange(rng.below(n)...)
        case 9 where !corpus.isEmpty:  // splice in part of another input
            let other = corpus[rng.below(corpus.count)]
            guard !other.isEmpty else { break }
            let from = rng.below(other.count)
            let chunk = other[from..<min(other.count, from + 1 + rng.below(64))]
            let at = rng.below(n + 1)
            bytes.replaceSubrange(at..<min(n, at + chunk.count), with: chunk)
        case 10 where n > 2:  // repeat one byte many times (deep nesting, long MARK runs)
            let at = rng.below(n)
            bytes.insert(contentsOf: [UInt8](repeating: bytes[at], count: 1 + rng.below(2000)), at: at)
        default:
            break
        }
    }
    return bytes
}

// MARK: - A minimal stored-zip builder (correct CRCs, so mutations reach the records' contents)

func storedZip(_ records: [(name: String, bytes: [UInt8])]) -> [UInt8] {
    func le(_ v: UInt64, _ w: Int, into out: inout [UInt8]) { for i in 0..<w { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    var out: [UInt8] = [], central: [UInt8] = []
    for (name, bytes) in records {
        let crc = UInt64(Data(bytes).crc32(checksum: 0))
        let nameBytes = Array(name.utf8)
        let offset = out.count
        le(0x0403_4B50, 4, into: &out); le(20, 2, into: &out); le(0, 2, into: &out); le(0, 2, into: &out)
        le(0, 2, into: &out); le(0x21, 2, into: &out); le(crc, 4, into: &out)
        le(UInt64(bytes.count), 4, into: &out); le(UInt64(bytes.count), 4, into: &out)
        le(UInt64(nameBytes.count), 2, into: &out); le(0, 2, into: &out)
        out += nameBytes + bytes
        le(0x0201_4B50, 4, into: &central); le(20, 2, into: &central); le(20, 2, into: &central)
        le(0, 2, into: &central); le(0, 2, into: &central); le(0, 2, into: &central); le(0x21, 2, into: &central)
        le(crc, 4, into: &central); le(UInt64(bytes.count), 4, into: &central); le(UInt64(bytes.count), 4, into: &central)
        le(UInt64(nameBytes.count), 2, into: &central); le(0, 2, into: &central); le(0, 2, into: &central)
        le(0, 2, into: &central); le(0, 2, into: &central); le(0, 4, into: &central); le(UInt64(offset), 4, into: &central)
        central += nameBytes
    }
    let cdOffset = out.count
    out += central
    le(0x0605_4B50, 4, into: &out); le(0, 2, into: &out); le(0, 2, into: &out)
    le(UInt64(records.count), 2, into: &out); le(UInt64(records.count), 2, into: &out)
    le(UInt64(central.count), 4, into: &out); le(UInt64(cdOffset), 4, into: &out); le(0, 2, into: &out)
    return out
}

/// The records of a zip seed, read with ZIPFoundation.
func records(of bytes: [UInt8]) -> [(name: String, bytes: [UInt8])]? {
    let archive: Archive
    do { archive = try Archive(data: Data(bytes), accessMode: .read, pathEncoding: nil) } catch { return nil }
    var out: [(name: String, bytes: [UInt8])] = []
    for entry in archive {
        var data = Data()
        guard (try? archive.extract(entry, consumer: { data.append($0) })) != nil else { return nil }
        out.append((entry.path, [UInt8](data)))
    }
    return out
}

/// Small hand-written pickles that aim at the unpickler's bounds.
let builtinPickles: [[UInt8]] = [
    [0x80, 0x02, 0x7D, 0x2E],  // {}
    [0x80, 0x02] + [UInt8](repeating: 0x28, count: 64) + [0x29, 0x2E],  // many MARKs
    [0x80, 0x02] + [0x29] + [UInt8](repeating: 0x85, count: 600) + [0x2E],  // deep TUPLE1 nesting
    [0x80, 0x02, 0x5D, 0x71, 0x00] + [UInt8](repeating: 0, count: 0) + [0x68, 0x00, 0x61, 0x2E],  // l = []; l.append(l)
    [0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E],  // a 2 GiB string in 8 bytes
    [0x80, 0x04, 0x95, 0xFF, 0, 0, 0, 0, 0, 0, 0x7F, 0x2E],  // a frame past the end
    [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E],  // legacy magic
]

// MARK: - Running

struct Options {
    var iterations = 20_000
    var seed: UInt64 = 0x454D_4245_52  // "EMBER"
    var start = 0
    var dump: URL?
    var paths: [URL] = []
}

func parseOptions() -> Options {
    var options = Options()
    var args = CommandLine.arguments.dropFirst()
    while let arg = args.popFirst() {
        switch arg {
        case "--iterations": options.iterations = Int(args.popFirst() ?? "") ?? options.iterations
        case "--seed": options.seed = UInt64(args.popFirst() ?? "") ?? options.seed
        case "--start": options.start = Int(args.popFirst() ?? "") ?? 0
        case "--dump": options.dump = args.popFirst().map { URL(fileURLWithPath: $0) }
        default: options.paths.append(URL(fileURLWithPath: arg))
        }
    }
    if options.paths.isEmpty {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        options.paths = [root.appendingPathComponent("Tests/EmberTests/Fixtures/torch"),
                         root.appendingPathComponent("Tests/EmberTests/Fixtures"),
                         root.deletingLastPathComponent().appendingPathComponent("shared/fixtures/torch"),
                         root.deletingLastPathComponent().appendingPathComponent("shared/datasets/mnist")]
    }
    return options
}

func loadCorpus(_ paths: [URL], extensions: [String]) -> [(name: String, bytes: [UInt8])] {
    var out: [(name: String, bytes: [UInt8])] = []
    for path in paths {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else { continue }
        let files = isDirectory.boolValue
            ? ((try? FileManager.default.contentsOfDirectory(atPath: path.path)) ?? []).sorted()
                .filter { name in extensions.contains { name.hasSuffix($0) } }.map { path.appendingPathComponent($0) }
            : [path].filter { url in extensions.contains { url.lastPathComponent.hasSuffix($0) } }
        for file in files {
            if let data = try? Data(contentsOf: file) { out.append((file.lastPathComponent, [UInt8](data))) }
        }
    }
    return out
}

// The input being run, for the crash handler (plain globals: signal handlers cannot capture).
var crashMessage = [CChar](repeating: 0, count: 256)

func installCrashHandler() {
    for sig in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
        signal(sig) { sig in
            crashMessage.withUnsafeBufferPointer { buffer in
                _ = write(2, buffer.baseAddress, strlen(buffer.baseAddress!))
            }
            signal(sig, SIG_DFL)
            raise(sig)
        }
    }
}

func main() {
    setvbuf(stdout, nil, _IOLBF, 0)  // progress lines appear as they happen, also in a log file
    let options = parseOptions()
    let seeds = loadCorpus(options.paths, extensions: [".pth", ".pt"])
    let safetensors = loadCorpus(options.paths, extensions: [".safetensors"])
    let gzips = loadCorpus(options.paths, extensions: ["t10k-labels-idx1-ubyte.gz"])
    // Small IDX seeds: MNIST's test labels and images, cut to 20 items with their headers fixed.
    var idxSeeds: [[UInt8]] = []
    for gz in loadCorpus(options.paths, extensions: ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]) {
        guard var raw = try? IDX.gunzip(gz.bytes, file: gz.name), raw.count > 16 else { continue }
        let images = raw[3] == 3
        raw[4...7] = [0, 0, 0, 20]
        idxSeeds.append(Array(raw.prefix((images ? 16 : 8) + 20 * (images ? 784 : 1))))
    }
    guard !seeds.isEmpty else {
        print("no corpus files found in \(options.paths.map(\.path))")
        exit(2)
    }
    let zipSeeds = seeds.compactMap { seed in records(of: seed.bytes).map { (seed.name, $0) } }
    let pickles = zipSeeds.compactMap { $0.1.first { $0.name.hasSuffix("/data.pkl") }?.bytes } + builtinPickles
    let allBytes = seeds.map(\.bytes) + pickles
    print("corpus: \(seeds.count) checkpoints (\(zipSeeds.count) zip), \(pickles.count) pickles, \(safetensors.count) safetensors, "
        + "\(idxSeeds.count) IDX, \(gzips.count) gzip; seed \(options.seed)")
    installCrashHandler()

    var outcomes: [String: Int] = [:]
    var errorKinds: [String: Int] = [:]
    var slowest: (index: Int, seconds: Double) = (-1, 0)
    let began = Date()
    for index in options.start..<(options.start + options.iterations) {
        var rng = SplitMix64(state: options.seed ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03))
        var target = ["raw", "records", "pickle", "safetensors", "idx", "gzip"][index % 6]
        if (target == "safetensors" && safetensors.isEmpty) || (target == "idx" && idxSeeds.isEmpty)
            || (target == "gzip" && gzips.isEmpty) || (target == "records" && zipSeeds.isEmpty) { target = "raw" }
        var input: [UInt8]
        var label: String
        switch target {
        case "safetensors":
            let s = rng.below(safetensors.count)
            input = mutate(safetensors[s].bytes, &rng, corpus: safetensors.map(\.bytes))
            label = "safetensors \(safetensors[s].name)"
        case "idx":
            let s = rng.below(idxSeeds.count)
            input = mutate(idxSeeds[s], &rng, corpus: idxSeeds)
            label = "idx \(s)"
        case "gzip":
            let s = rng.below(gzips.count)
            input = mutate(gzips[s].bytes, &rng, corpus: [])
            label = "gzip \(gzips[s].name)"
        case "records":
            let (name, original) = zipSeeds[rng.below(zipSeeds.count)]
            var recs = original
            let pick = rng.chance(70) ? recs.firstIndex { $0.name.hasSuffix("/data.pkl") } ?? 0 : rng.below(recs.count)
            if rng.chance(10) {
                recs[pick].name = String(decoding: mutate(Array(recs[pick].name.utf8), &rng, corpus: []), as: UTF8.self)
            } else {
                recs[pick].bytes = mutate(recs[pick].bytes, &rng, corpus: allBytes)
            }
            if rng.chance(5) { recs.remove(at: rng.below(recs.count)) }
            input = storedZip(recs)
            label = "records of \(name), record \(pick)"
        case "pickle":
            let p = rng.below(pickles.count)
            input = storedZip([("archive/data.pkl", mutate(pickles[p], &rng, corpus: allBytes)),
                               ("archive/byteorder", Array("little".utf8)), ("archive/version", Array("3\n".utf8))])
            label = "pickle \(p)"
        default:
            let s = rng.below(seeds.count)
            input = mutate(seeds[s].bytes, &rng, corpus: allBytes)
            label = "raw \(seeds[s].name)"
        }
        let message = "\nfuzz: crashed on input \(index) (\(label)); reproduce with --start \(index) --iterations 1 --dump DIR\n"
        crashMessage = Array(message.utf8CString.prefix(255)) + [0]
        if let dump = options.dump {
            try? Data(input).write(to: dump.appendingPathComponent("fuzz-input-\(index).pth"))
        }

        let t0 = Date()
        do {
            var checksum: Float = 0
            switch target {
            case "safetensors":
                let (tensors, _) = try Safetensors.decode(Data(input), file: "fuzz-\(index)")
                for (_, tensor) in tensors where tensor.count <= 1 << 22 { checksum += tensor.toArray().reduce(0, +) }
            case "idx":
                _ = try IDX.parse(input, file: "fuzz-\(index)")
            case "gzip":
                _ = try IDX.parse(try IDX.gunzip(input, file: "fuzz-\(index)"), file: "fuzz-\(index)")
            default:
                let state = try TorchCheckpoint.read(Data(input), name: "fuzz-\(index)")
                // Touch every element, as a user would: views must stay inside their storages.
                for (_, tensor) in state where tensor.count <= 1 << 22 { checksum += tensor.toArray().reduce(0, +) }
            }
            _ = checksum
            outcomes["\(target): loaded", default: 0] += 1
        } catch let error as TorchCheckpointError {
            outcomes["\(target): threw", default: 0] += 1
            let kind: String
            switch error.kind {
            case .disallowedGlobal: kind = "disallowedGlobal"
            default: kind = "\(error.kind)"
            }
            errorKinds[kind, default: 0] += 1
        } catch let error as EmberIOError {
            outcomes["\(target): threw", default: 0] += 1
            errorKinds["EmberIOError.\(error.kind)", default: 0] += 1
        } catch {
            outcomes["\(target): threw a \(type(of: error))", default: 0] += 1
        }
        let seconds = Date().timeIntervalSince(t0)
        if seconds > slowest.seconds { slowest = (index, seconds) }
        if (index - options.start + 1) % 5000 == 0 {
            print("… \(index - options.start + 1) inputs, \(String(format: "%.0f", Date().timeIntervalSince(began))) s")
        }
    }
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    print("ran \(options.iterations) inputs (\(options.start)..<\(options.start + options.iterations)) in \(String(format: "%.1f", Date().timeIntervalSince(began))) s; no crashes")
    for (outcome, count) in outcomes.sorted(by: { $0.key < $1.key }) { print("  \(outcome): \(count)") }
    print("  error kinds: \(errorKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    print("  slowest input: \(slowest.index) (\(String(format: "%.3f", slowest.seconds)) s); peak RSS \(usage.ru_maxrss / 1024) MiB")
}

main()
