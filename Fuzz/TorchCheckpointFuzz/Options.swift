import Foundation

struct Options {
    /// nil: the targets take turns, input K going to target K % 7.
    var target: Target?
    var iterations = 20_000
    var seed: UInt64 = 0x454D_4245_52  // "EMBER"
    var start = 0
    var dump: URL?
    /// An input that runs longer is a hang: the process reports it and exits.
    var hangSeconds = 10.0
    /// Inputs slower than this are listed in the summary.
    var slowSeconds = 1.0
    /// A peak RSS above this is a finding (an allocation the input's size does not justify).
    var maxRSSMiB = 2048
    var paths: [URL] = []

    static let usage = """
        usage: torch-checkpoint-fuzz [--target raw|records|pickle|safetensors|idx|gzip|image] [--iterations N]
               [--seed S] [--start K] [--dump DIR] [--hang-seconds S] [--max-rss-mb M] [FILE|DIR ...]
        """

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var args = arguments[...]
        func value(_ flag: String) -> String {
            guard let v = args.popFirst() else { fail("\(flag) needs a value") }
            return v
        }
        func fail(_ message: String) -> Never {
            print("\(message)\n\(usage)")
            exit(2)
        }
        while let arg = args.popFirst() {
            switch arg {
            case "--target":
                let name = value(arg)
                if name != "all" {
                    guard let target = Target(rawValue: name) else { fail("unknown target '\(name)'") }
                    options.target = target
                }
            case "--iterations": options.iterations = Int(value(arg)) ?? { fail("bad --iterations") }()
            case "--seed": options.seed = UInt64(value(arg)) ?? { fail("bad --seed") }()
            case "--start": options.start = Int(value(arg)) ?? { fail("bad --start") }()
            case "--dump": options.dump = URL(fileURLWithPath: value(arg))
            case "--hang-seconds": options.hangSeconds = Double(value(arg)) ?? { fail("bad --hang-seconds") }()
            case "--max-rss-mb": options.maxRSSMiB = Int(value(arg)) ?? { fail("bad --max-rss-mb") }()
            case "-h", "--help": print(usage); exit(0)
            default:
                if arg.hasPrefix("--") { fail("unknown option \(arg)") }
                options.paths.append(URL(fileURLWithPath: arg))
            }
        }
        if options.paths.isEmpty {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            options.paths = [root.appendingPathComponent("Tests/EmberTests/Fixtures/torch"),
                             root.appendingPathComponent("Tests/EmberTests/Fixtures"),
                             root.appendingPathComponent("Tests/EmberTests/Fixtures/images"),
                             root.deletingLastPathComponent().appendingPathComponent("shared/fixtures/torch"),
                             root.deletingLastPathComponent().appendingPathComponent("shared/datasets/mnist")]
        }
        return options
    }
}
