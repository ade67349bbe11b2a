import Ember
import Foundation

/// The seeds of every target, and how input K of a target is made from them.
struct Corpus {
    var checkpoints: [(name: String, bytes: [UInt8])] = []
    var zipSeeds: [(name: String, records: [(name: String, bytes: [UInt8])])] = []
    var pickles: [(name: String, wrapper: LegacyWrapper)] = []
    var safetensors: [(name: String, bytes: [UInt8])] = []
    var idx: [[UInt8]] = []
    var gzips: [(name: String, bytes: [UInt8])] = []
    var images: [(name: String, bytes: [UInt8])] = []
    /// Material for the splice mutation.
    var splice: [[UInt8]] = []

    init(paths: [URL]) {
        checkpoints = loadFiles(paths, extensions: [".pth", ".pt"])
        zipSeeds = checkpoints.compactMap { seed in records(of: seed.bytes).map { (seed.name, $0) } }
        pickles = zipSeeds.compactMap { seed in LegacyWrapper(zipRecords: seed.records).map { (seed.name, $0) } }
            + builtinPickles.enumerated().map { ("builtin \($0.offset)", LegacyWrapper(pickle: $0.element)) }
        safetensors = loadFiles(paths, extensions: [".safetensors"])
        gzips = loadFiles(paths, extensions: ["t10k-labels-idx1-ubyte.gz"])
        // Small IDX seeds: MNIST's test labels and images, cut to 20 items with their headers fixed.
        for gz in loadFiles(paths, extensions: ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]) {
            guard var raw = try? IDX.gunzip(gz.bytes, file: gz.name), raw.count > 16 else { continue }
            let images = raw[3] == 3
            raw[4...7] = [0, 0, 0, 20]
            idx.append(Array(raw.prefix((images ? 16 : 8) + 20 * (images ? 784 : 1))))
        }
        images = loadFiles(paths, extensions: [".png", ".jpg", ".pgm", ".ppm"])
        splice = checkpoints.map(\.bytes) + pickles.map(\.wrapper.pickle)
    }

    func isEmpty(_ target: Target) -> Bool {
        switch target {
        case .raw: return checkpoints.isEmpty
        case .records: return zipSeeds.isEmpty
        case .pickle: return pickles.isEmpty
        case .safetensors: return safetensors.isEmpty
        case .idx: return idx.isEmpty
        case .gzip: return gzips.isEmpty
        case .image: return images.isEmpty
        }
    }

    var summary: String {
        "\(checkpoints.count) checkpoints (\(zipSeeds.count) zip), \(pickles.count) pickles, "
            + "\(safetensors.count) safetensors, \(idx.count) IDX, \(gzips.count) gzip, \(images.count) images"
    }

    /// Input `index` of `target`: a pure function of (seed, target, index).
    func input(_ target: Target, index: Int, seed: UInt64) -> (bytes: [UInt8], label: String) {
        var rng = SplitMix64(seed: seed, target: target, index: index)
        switch target {
        case .raw:
            let s = rng.below(checkpoints.count)
            return (mutate(checkpoints[s].bytes, &rng, corpus: splice), "raw \(checkpoints[s].name)")
        case .records:
            let (name, original) = zipSeeds[rng.below(zipSeeds.count)]
            var recs = original
            let pick = rng.chance(70) ? recs.firstIndex { $0.name.hasSuffix("/data.pkl") } ?? 0 : rng.below(recs.count)
            if rng.chance(10) {
                recs[pick].name = String(decoding: mutate(Array(recs[pick].name.utf8), &rng, corpus: []), as: UTF8.self)
            } else {
                recs[pick].bytes = mutate(recs[pick].bytes, &rng, corpus: splice)
            }
            if rng.chance(5) { recs.remove(at: rng.below(recs.count)) }
            return (storedZip(recs), "records of \(name), record \(pick)")
        case .pickle:
            let p = rng.below(pickles.count)
            let wrapper = pickles[p].wrapper
            return (wrapper.checkpoint(around: mutate(wrapper.pickle, &rng, corpus: splice)), "pickle of \(pickles[p].name)")
        case .safetensors:
            let s = rng.below(safetensors.count)
            return (mutate(safetensors[s].bytes, &rng, corpus: safetensors.map(\.bytes)), "safetensors \(safetensors[s].name)")
        case .idx:
            let s = rng.below(idx.count)
            return (mutate(idx[s], &rng, corpus: idx), "idx \(s)")
        case .gzip:
            let s = rng.below(gzips.count)
            return (mutate(gzips[s].bytes, &rng, corpus: []), "gzip \(gzips[s].name)")
        case .image:
            let s = rng.below(images.count)
            return (mutate(images[s].bytes, &rng, corpus: images.map(\.bytes)), "image \(images[s].name)")
        }
    }
}

/// Small hand-written pickles that aim at the unpickler's bounds.
let builtinPickles: [[UInt8]] = [
    [0x80, 0x02, 0x7D, 0x2E],  // {}
    [0x80, 0x02] + [UInt8](repeating: 0x28, count: 64) + [0x29, 0x2E],  // many MARKs
    [0x80, 0x02] + [0x29] + [UInt8](repeating: 0x85, count: 600) + [0x2E],  // deep TUPLE1 nesting
    [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E],  // l = []; l.append(l)
    [0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E],  // a 2 GiB string in 8 bytes
    [0x80, 0x04, 0x95, 0xFF, 0, 0, 0, 0, 0, 0, 0x7F, 0x2E],  // a frame past the end
    [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E],  // legacy magic
    [0x80, 0x02, 0x29] + [UInt8](repeating: 0, count: 0) + Array(repeating: [0x32, 0x86], count: 40).flatMap { $0 } + [0x2E],  // (t, t) doubling
]

func loadFiles(_ paths: [URL], extensions: [String]) -> [(name: String, bytes: [UInt8])] {
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
