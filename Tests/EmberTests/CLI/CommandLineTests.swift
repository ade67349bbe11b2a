import Foundation
import Testing
@testable import Ember

/// The `ember` binary end to end, on small subsets of the shipped MNIST: JSON output, determinism,
/// saving and resuming, evaluation of a PyTorch checkpoint, and argument errors.
@Suite("ember command line") struct CommandLineTests {
    /// `ember` is built beside the test bundle (the test target depends on it).
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("ember")

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
        }
    }

    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    static let quick = ["--train-size", "3000", "--test-size", "1000", "--epochs", "1", "--json"]

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ember-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func executableIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: Self.executable.path), "missing \(Self.executable.path)")
    }

    @Test func trainPrintsOneJSONObjectWithEveryFigure() throws {
        let result = try Self.run(["train"] + Self.quick)
        #expect(result.status == 0, "\(result.stderr)")
        let json = result.json
        #expect(json["model"] as? String == "mlp")
        #expect(json["epochs"] as? [Int] == [1])
        #expect((json["train_loss"] as? [Double])?.count == 1)
        #expect((json["epoch_seconds"] as? [Double])?.count == 1)
        let accuracy = try #require(json["final_test_accuracy"] as? Double)
        #expect(accuracy > 80 && accuracy <= 100, "accuracy \(accuracy) after one epoch on 3,000 images")
    }

    @Test func adadeltaTrainsWithPyTorchsDefaultRate() throws {
        // PyTorch's MNIST example trains with Adadelta at lr 1.0, its default; ember's other default is 1e-3.
        let json = try Self.run(["train", "--optimizer", "adadelta"] + Self.quick).json
        #expect(json["optimizer"] as? String == "adadelta" && json["lr"] as? Double == 1.0)
        let accuracy = try #require(json["final_test_accuracy"] as? Double)
        #expect(accuracy > 80, "accuracy \(accuracy) after one epoch of Adadelta on 3,000 images")
        let adam = try #require(try Self.run(["train"] + Self.quick).json["lr"] as? Double)
        #expect(abs(adam - 1e-3) < 1e-9, "Adam's default rate: \(adam)")
    }

    @Test func sameSeedGivesIdenticalRuns() throws {
        let first = try Self.run(["train", "--seed", "7", "--threads", "1"] + Self.quick).json
        let second = try Self.run(["train", "--seed", "7", "--threads", "1"] + Self.quick).json
        #expect(first["train_loss"] as? [Double] != nil)
        #expect(first["train_loss"] as? [Double] == second["train_loss"] as? [Double])
        #expect(first["test_loss"] as? [Double] == second["test_loss"] as? [Double])
        #expect(first["test_accuracy"] as? [Double] == second["test_accuracy"] as? [Double])
    }

    @Test func saveEvalPredictResumeAndPlot() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("mlp.safetensors").path
        let plot = folder.appendingPathComponent("curves.svg").path
        let board = folder.appendingPathComponent("runs")
        let trained = try Self.run(["train", "--save", model, "--plot", plot, "--tensorboard", board.path, "--log-interval", "10"]
            + Self.quick)
        #expect(trained.status == 0, "\(trained.stderr)")
        // One event file with the training loss every 10 of the 47 steps, the epoch's figures and each weight's histogram.
        let events = try FileManager.default.contentsOfDirectory(atPath: board.path)
        #expect(events.count == 1 && events[0].hasPrefix("events.out.tfevents."))
        let log = try Data(contentsOf: board.appendingPathComponent(events[0]))
        for tag in ["brain.Event:2", "loss/train", "loss/test", "accuracy/test", "lr", "fc1.weight", "fc2.bias", "run/text_summary"] {
            #expect(log.range(of: Data(tag.utf8)) != nil, "\(tag) in the TensorBoard log")
        }
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("mlp.optim.safetensors").path))
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("test accuracy"))

        let eval = try Self.run(["eval", "--model", model, "--test-size", "1000", "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.json["arch"] as? String == "mlp")
        #expect(eval.json["total"] as? Int == 1000)
        #expect((eval.json["confusion_matrix"] as? [[Int]])?.flatMap { $0 }.reduce(0, +) == 1000)
        // The saved model evaluates to the accuracy training reported for the same images.
        #expect(eval.json["test_accuracy"] as? Double == trained.json["final_test_accuracy"] as? Double)

        let predict = try Self.run(["predict", "--model", model, "--index", "0", "--json"])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.json["label"] as? Int == 7)
        #expect((predict.json["top3"] as? [[String: Any]])?.count == 3)

        let resumed = try Self.run(["train", "--resume", model] + Self.quick)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.json["epochs"] as? [Int] == [2])
    }

    @Test func aDivergedRunStillReportsSavesAndLogs() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("nan.safetensors").path, board = folder.appendingPathComponent("runs").path
        let result = try Self.run(["train", "--optimizer", "sgd", "--lr", "1e30", "--train-size", "1000", "--test-size", "200",
                                   "--epochs", "1", "--json", "--save", model, "--tensorboard", board])
        #expect(result.status == 0, "\(result.stderr)")
        // JSON has no NaN: the loss is null; the weights' histograms are skipped with a warning.
        #expect((result.json["train_loss"] as? [Any])?.first is NSNull, "\(result.stdout)")
        #expect(result.json["tensorboard"] as? String == board)
        #expect(result.stderr.contains("SummaryWriter.addHistogram('fc1.weight'): no element lies inside the bins"))
        #expect(FileManager.default.fileExists(atPath: model))
    }

    @Test func earlyStoppingKeepsTheEpochWithTheLowestValidationLoss() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("best.safetensors").path
        // A high learning rate on 1,000 images overfits within a few epochs.
        let result = try Self.run(["train", "--train-size", "1000", "--test-size", "1000", "--validation-size", "500",
                                   "--patience", "1", "--epochs", "12", "--lr", "0.01", "--threads", "1",
                                   "--save", model, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = result.json
        let epochs = try #require(json["epochs"] as? [Int])
        let validationLoss = try #require(json["validation_loss"] as? [Double])
        let testAccuracy = try #require(json["test_accuracy"] as? [Double])
        #expect(validationLoss.count == epochs.count && (json["validation_accuracy"] as? [Double])?.count == epochs.count)
        #expect(epochs.count < 12, "patience 1 should stop this run early; validation losses \(validationLoss)")
        // Patience 1: the run stops one epoch after its best, whose weights it keeps.
        let best = validationLoss.indices.min { validationLoss[$0] < validationLoss[$1] }!
        #expect(best == epochs.count - 2)
        #expect(json["kept_epoch"] as? Int == epochs[best])
        #expect(json["final_test_accuracy"] as? Double == testAccuracy[best])
        #expect(result.stderr.contains("Early stop"))
        // The saved model is the kept one.
        let eval = try Self.run(["eval", "--model", model, "--test-size", "1000", "--json"])
        #expect(eval.json["test_accuracy"] as? Double == testAccuracy[best])
    }

    @Test func evalReadsAPyTorchCheckpointAndReproducesItsAccuracy() throws {
        let checkpoint = repositoryRoot.appendingPathComponent("Tests/EmberTests/Fixtures/torch/mlp_mnist.pth").path
        let result = try Self.run(["eval", "--model", checkpoint, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.json["correct"] as? Int == 9651)
        #expect(result.json["arch"] as? String == "mlp")
    }

    @Test func convertRoundTripsBetweenFormats() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = repositoryRoot.appendingPathComponent("Tests/EmberTests/Fixtures/torch/mlp_mnist.pth").path
        let safetensors = folder.appendingPathComponent("m.safetensors").path
        let back = folder.appendingPathComponent("m.pth").path
        #expect(try Self.run(["convert", checkpoint, safetensors]).status == 0)
        #expect(try Self.run(["convert", safetensors, back]).status == 0)
        let eval = try Self.run(["eval", "--model", back, "--json"])
        #expect(eval.json["correct"] as? Int == 9651)
    }

    @Test func regressLearnsTheSum() throws {
        let result = try Self.run(["regress", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let predictions = try #require(result.json["predictions"] as? [Double])
        #expect(predictions.count == 3)
        for (prediction, target) in zip(predictions, [6.0, 9, 12]) {
            #expect(abs(prediction - target) < 0.5, "predicted \(prediction) for \(target)")
        }
    }

    @Test(arguments: [
        (["train", "--epochs", "0"], "--epochs must be at least 1, got 0"),
        (["train", "--model", "resnet"], "mlp"),
        (["train", "--optimizer", "lbfgs"], "adam"),
        (["train", "--dataset", "cifar"], "fashion-mnist"),
        (["train", "--lr=-1"], "--lr must be a positive number"),
        (["train", "--save", "model.bin"], "ending in .safetensors"),
        (["train", "--patience", "3"], "add --validation-size N"),
        (["train", "--train-size", "100", "--validation-size", "100"], "leaves no training images"),
        (["eval", "--model", "/nonexistent/model.safetensors"], "/nonexistent/model.safetensors"),
        (["predict", "--model", "x.safetensors"], "exactly one of --index N or --image FILE"),
        (["convert", "a.txt", "b.safetensors"], "a.txt: expected a .pth, .pt or .safetensors file"),
    ])
    func wrongArgumentsSayWhatIsWrong(_ arguments: [String], _ expected: String) throws {
        let result = try Self.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(expected), "stderr: \(result.stderr)")
    }

    /// Test image 0 of MNIST (a 7) as 28×28 bytes.
    static func firstTestImage() throws -> [UInt8] {
        let images = try IDX.read(contentsOf: repositoryRoot.appendingPathComponent("Datasets/MNIST/t10k-images-idx3-ubyte.gz"))
        return Array(images.bytes.prefix(784))
    }

    @Test func predictReadsPGMPNGAndJPEGImages() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = repositoryRoot.appendingPathComponent("Tests/EmberTests/Fixtures/torch/mlp_mnist.pth").path
        let digit = Image(width: 28, height: 28, mode: .gray, pixels: try Self.firstTestImage())
        let pgm = folder.appendingPathComponent("seven.pgm")
        try (Data("P5\n28 28\n255\n".utf8) + Data(digit.pixels)).write(to: pgm)
        let png = folder.appendingPathComponent("seven.png")
        try digit.converted(to: .rgb).write(to: png.path)
        // A larger colour JPEG is made gray and scaled down to 28x28.
        let jpeg = folder.appendingPathComponent("seven.jpg")
        try Image(Resize(height: 84, width: 84)(digit.converted(to: .rgb).tensor())).write(to: jpeg.path, quality: 90)
        for file in [pgm, png, jpeg] {
            let result = try Self.run(["predict", "--model", checkpoint, "--image", file.path, "--json"])
            #expect(result.status == 0, "\(file.lastPathComponent): \(result.stderr)")
            #expect(result.json["prediction"] as? Int == 7, "\(file.lastPathComponent): \(result.stdout)")
        }
        let text = try Self.run(["predict", "--model", checkpoint, "--image", png.path])
        #expect(text.stdout.contains("██") && text.stdout.contains("1. 7"))
        let resized = try Self.run(["predict", "--model", checkpoint, "--image", jpeg.path])
        #expect(resized.stdout.contains("resized 84x84 to 28x28") && resized.stdout.contains("1. 7"), "\(resized.stdout)")
        let notImage = folder.appendingPathComponent("notes.png")
        try Data("hello".utf8).write(to: notImage)
        let error = try Self.run(["predict", "--model", checkpoint, "--image", notImage.path])
        #expect(error.status != 0 && error.stderr.contains("notes.png") && error.stderr.contains("not a PNG, JPEG"), "\(error.stderr)")
    }
}
