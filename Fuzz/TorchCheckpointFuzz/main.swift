// A deterministic mutation fuzzer for Ember's file parsers: the PyTorch checkpoint reader (zip
// archive, legacy format, and the safe unpickler inside both), safetensors decoding, and IDX
// parsing with its gzip layer, and image decoding (PNG, JPEG, PGM/PPM).
//
//   torch-checkpoint-fuzz [--target raw|records|pickle|safetensors|idx|gzip|image] [--iterations N]
//                         [--seed S] [--start K] [--dump DIR] [--hang-seconds S] [--max-rss-mb M] [FILE|DIR ...]
//
// Input K of a target is a pure function of (seed, target, K), so
// `--target T --start K --iterations 1 --dump /tmp` reproduces and saves any input a run reports.
// Without --target the targets take turns (input K goes to target K % 7). Without paths, the
// corpus is the PyTorch fixtures in Tests/EmberTests/Fixtures/torch and ../shared/fixtures/torch
// (real `torch.save` files), the safetensors files in Tests/EmberTests/Fixtures and
// ../shared/fixtures/torch, and MNIST's test set in ../shared/datasets/mnist (cut to 20 images
// for the IDX seeds). `Target` describes the targets.
//
// A crash, a hang (an input running over --hang-seconds) or a peak RSS over --max-rss-mb is a
// finding: the process prints the input's index and exits non-zero. Thrown errors are the
// expected outcome. SIGINT or SIGTERM stops the run after the current input, with its summary.

import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct Stats {
    var inputs = 0
    var loaded = 0
    var errorKinds: [String: Int] = [:]
    var slowest: (index: Int, seconds: Double) = (-1, 0)
    var slow: [(index: Int, seconds: Double)] = []
}

func main() -> Int32 {
    setvbuf(stdout, nil, _IOLBF, 0)  // progress lines appear as they happen, also in a log file
    let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
    let corpus = Corpus(paths: options.paths)
    if let target = options.target, corpus.isEmpty(target) {
        print("no seeds for target \(target.rawValue) in \(options.paths.map(\.path))")
        return 2
    }
    if corpus.isEmpty(.raw) {
        print("no corpus files found in \(options.paths.map(\.path))")
        return 2
    }
    print("corpus: \(corpus.summary); target \(options.target?.rawValue ?? "all, in turn"); seed \(options.seed); "
        + "TMPDIR \(FileManager.default.temporaryDirectory.path)")
    if options.target == nil || options.target == .pickle {
        // The pickle target's seeds, unmutated, should load; a wrapper that does not is a harness bug.
        let loadable = corpus.pickles.filter { (try? Target.pickle.run($0.wrapper.checkpoint(around: $0.wrapper.pickle), name: $0.name)) != nil }
        print("pickle seeds that load unmutated: \(loadable.map(\.name).joined(separator: ", "))")
    }
    installCrashHandler()
    installStopHandler()
    startWatchdog(seconds: options.hangSeconds)

    var stats: [Target: Stats] = [:]
    let began = monotonicSeconds()
    var end = options.start + options.iterations
    for index in options.start..<end {
        if stopRequested != 0 {
            print("fuzz: stopped by a signal after \(index - options.start) inputs")
            end = index
            break
        }
        var target = options.target ?? Target.allCases[index % Target.allCases.count]
        if corpus.isEmpty(target) { target = .raw }
        let (input, label) = corpus.input(target, index: index, seed: options.seed)
        setCurrentInput(" on input \(index) (\(label)); reproduce with --target \(target.rawValue) --start \(index) --iterations 1 --dump DIR\n")
        if let dump = options.dump {
            let ext = [.safetensors: "safetensors", .idx: "idx", .gzip: "gz", .image: "img"][target] ?? "pth"
            try? Data(input).write(to: dump.appendingPathComponent("fuzz-\(target.rawValue)-\(index).\(ext)"))
        }

        let t0 = monotonicSeconds()
        inputStarted = t0
        var outcome: String?
        do {
            try target.run(input, name: "fuzz-\(index)")
        } catch {
            outcome = errorKind(error)
        }
        let seconds = monotonicSeconds() - t0
        inputStarted = 0

        var s = stats[target] ?? Stats()
        s.inputs += 1
        if let outcome { s.errorKinds[outcome, default: 0] += 1 } else { s.loaded += 1 }
        if seconds > s.slowest.seconds { s.slowest = (index, seconds) }
        if seconds > options.slowSeconds { s.slow.append((index, seconds)) }
        stats[target] = s

        let done = index - options.start + 1
        if done % 1000 == 0, peakRSSMiB() > options.maxRSSMiB {
            // Peak RSS only grows, so the input that crossed the limit is among the last 1000.
            print("fuzz: peak RSS \(peakRSSMiB()) MiB is over \(options.maxRSSMiB) MiB by input \(index); "
                + "rerun inputs \(index - 999)...\(index) one by one to find it")
            return 4
        }
        if done % 100_000 == 0 {
            let elapsed = monotonicSeconds() - began
            print("… \(done) inputs, \(String(format: "%.0f", elapsed)) s, \(String(format: "%.0f", Double(done) / elapsed)) inputs/s, peak RSS \(peakRSSMiB()) MiB")
        }
    }
    let elapsed = monotonicSeconds() - began
    let ran = end - options.start
    print("ran \(ran) inputs (\(options.start)..<\(end)) in \(String(format: "%.1f", elapsed)) s "
        + "(\(String(format: "%.0f", Double(ran) / elapsed)) inputs/s); no crashes, no hangs; peak RSS \(peakRSSMiB()) MiB")
    for target in Target.allCases {
        guard let s = stats[target] else { continue }
        print("  \(target.rawValue): \(s.inputs) inputs, \(s.loaded) loaded; slowest input \(s.slowest.index) "
            + "(\(String(format: "%.3f", s.slowest.seconds)) s)")
        print("    errors: \(s.errorKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        for (index, seconds) in s.slow.prefix(20) {
            print("    slow: input \(index) took \(String(format: "%.3f", seconds)) s")
        }
    }
    return stats.values.contains { !$0.slow.isEmpty } ? 5 : 0
}

exit(main())
