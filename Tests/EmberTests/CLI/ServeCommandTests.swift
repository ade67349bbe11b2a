import Foundation
import Testing
@testable import Ember
@testable import EmberONNX

/// The seed MLP's layout (fc1, fc2), so `ember-serve` recognises a saved one by its keys.
private final class SeedMLP: Module {
    let fc1 = Linear(784, 256)
    let relu = ReLU()
    let fc2 = Linear(256, 10)
    override func forward(_ x: Tensor) -> Tensor { fc2(relu(fc1(x.reshape([x.shape[0], -1])))) }
}

/// The `ember-serve` binary end to end: a saved model served on a free port, asked about real MNIST
/// test digits as JSON and as a PGM file, then stopped with SIGINT.
@Suite("ember-serve command line", .serialized)
struct ServeCommandTests {
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("ember-serve")

    /// Starts `ember-serve` and reads its first line for the port.
    static func start(_ arguments: [String]) throws -> (process: Process, port: Int, output: Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !text.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        // "Serving mlp from ... on http://127.0.0.1:41234 (POST /predict, ...)"
        guard let range = text.range(of: "http://127.0.0.1:"),
              let port = Int(text[range.upperBound...].prefix { $0.isNumber }) else {
            process.terminate()
            throw ServeStartError(output: text)
        }
        return (process, port, output)
    }

    struct ServeStartError: Error, CustomStringConvertible {
        let output: String
        var description: String { "ember-serve did not say where it listens; it printed: \(output)" }
    }

    @Test func servesASavedModelAndStopsOnSIGINT() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ember-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = SeedMLP()
        let file = folder.appendingPathComponent("mlp.safetensors")
        try model.save(to: file)

        let test = try IDXImageDataset(.mnist, train: false, download: false)
        let (server, port, output) = try Self.start(["--model", file.path, "--port", "0", "--threads", "1"])
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let url = URL(string: "http://127.0.0.1:\(port)")!

        // Three test digits as JSON pixels in [0, 1]; the server normalizes them as training did.
        let digits = (0..<3).map { i in test.pixels[i * 784..<(i + 1) * 784].map { Float($0) / 255 } }
        let answer = try await send(url.appendingPathComponent("predict"), method: "POST", contentType: "application/json",
                                    body: jsonBody(["instances": digits]))
        #expect(answer.status == 200, "\(answer.json)")
        let predictions = try #require(answer.json["predictions"] as? [[String: Any]])
        let normalized = Tensor(digits.flatMap { $0 }, shape: [3, 1, 28, 28])
        let expected = noGrad { model((normalized - MNIST.mean) / MNIST.std).softmax(dim: 1) }.toArray()
        for (i, prediction) in predictions.enumerated() {
            let row = Array(expected[i * 10..<(i + 1) * 10])
            let best = row.indices.max { row[$0] < row[$1] }!
            #expect(prediction["class"] as? Int == best && prediction["label"] as? String == String(best))
            #expect(abs((prediction["probability"] as? Double ?? -1) - Double(row[best])) < 1e-5)
        }

        // The first digit as a binary PGM file gives the same answer.
        let pgm = Array("P5\n28 28\n255\n".utf8) + Array(test.pixels[0..<784])
        let image = try await send(url.appendingPathComponent("predict"), method: "POST",
                                   contentType: "image/x-portable-graymap", body: pgm)
        #expect((image.json["predictions"] as? [[String: Any]])?.first?["class"] as? Int == predictions[0]["class"] as? Int)

        let info = try await send(url)
        #expect(info.json["model"] as? String == "mlp")
        #expect((info.json["served"] as? [String: Any])?["instances"] as? Int == 4)

        // A second server on the same port says so.
        let (status, refusal) = try Self.runToExit(["--model", file.path, "--port", String(port)])
        #expect(status != 0)
        #expect(refusal.contains("127.0.0.1:\(port) is in use by another program; choose another port (0 picks a free one)"),
                "\(refusal)")

        // SIGINT (Ctrl-C) stops it cleanly.
        kill(server.processIdentifier, SIGINT)
        let stopped = Date().addingTimeInterval(30)
        while server.isRunning && Date() < stopped { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!server.isRunning, "ember-serve still runs 30 s after SIGINT")
        if !server.isRunning {
            #expect(server.terminationStatus == 0, "\(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
        }
    }

    @Test func servesAnONNXModelWithItsInputShapeAndLabels() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ember-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let labels = folder.appendingPathComponent("labels.txt")
        let names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        try names.joined(separator: "\n").write(to: labels, atomically: true, encoding: .utf8)
        let onnx = repositoryRoot.appendingPathComponent("Tests/EmberTests/Fixtures/onnx/cnn_dynamo.onnx")
        let (server, port, _) = try Self.start(["--model", onnx.path, "--labels", labels.path, "--port", "0"])
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let url = URL(string: "http://127.0.0.1:\(port)")!

        // The fixture's three inputs, as PyTorch's CNN (log-softmax outputs) answered them.
        let fixture = try #require(try loadFixture("onnx.json")["cnn_dynamo"] as? [String: Any])
        let inputs = floats(fixture["input"]), outputs = floats(fixture["output"])
        let instances = (0..<3).map { Array(inputs[$0 * 256..<($0 + 1) * 256]) }
        let answer = try await send(url.appendingPathComponent("predict"), method: "POST", contentType: "application/json",
                                    body: jsonBody(["instances": instances]))
        #expect(answer.status == 200, "\(answer.json)")
        let predictions = try #require(answer.json["predictions"] as? [[String: Any]])
        #expect(predictions.count == 3)
        for (i, prediction) in predictions.enumerated() {
            let row = Array(outputs[i * 10..<(i + 1) * 10])
            let best = row.indices.max { row[$0] < row[$1] }!
            let probabilities = row.map { exp($0) }   // softmax of log-softmax
            let expected = probabilities[best] / probabilities.reduce(0, +)
            #expect(prediction["class"] as? Int == best && prediction["label"] as? String == names[best])
            #expect(abs((prediction["probability"] as? Double ?? -1) - Double(expected)) < 1e-4)
        }
        // A gray image of another size is resized to the model's 16 x 16.
        let pgm = Array("P5\n20 24\n255\n".utf8) + (0..<480).map { UInt8($0 % 251) }
        let image = try await send(url.appendingPathComponent("predict"), method: "POST",
                                   contentType: "image/x-portable-graymap", body: pgm)
        #expect(image.status == 200 && (image.json["predictions"] as? [Any])?.count == 1, "\(image.json)")
        let info = try await send(url)
        #expect(info.json["model"] as? String == "cnn_dynamo")
        #expect(info.json["inputShape"] as? [Int] == [1, 16, 16])
        kill(server.processIdentifier, SIGTERM)
    }

    @Test func anONNXModelWithoutAFixedSampleShapeIsRefused() throws {
        // Identity over [batch, length]: the length is dynamic, so there is no sample shape to batch.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ember-serve-\(UUID().uuidString).onnx")
        try oneNodeModel(op: "Identity", inputDims: ["batch", "length"]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, text) = try Self.runToExit(["--model", file.path, "--port", "0"])
        #expect(status != 0)
        #expect(text.contains("the input x: FLOAT [batch, length] has dynamic dims besides the batch; ember-serve needs a fixed sample shape"), "\(text)")

        let (missingStatus, missing) = try Self.runToExit(["--model", "/nonexistent/model.onnx", "--port", "0"])
        #expect(missingStatus != 0)
        #expect(missing.contains("cannot read ONNX model /nonexistent/model.onnx"), "\(missing)")
    }

    @Test func aMissingModelFileIsNamed() throws {
        let (status, text) = try Self.runToExit(["--model", "/nonexistent/model.safetensors", "--port", "0"])
        #expect(status != 0)
        #expect(text.contains("/nonexistent/model.safetensors"), "\(text)")
    }

    /// Runs `ember-serve` to its end (one that fails to start): its exit status and standard error.
    static func runToExit(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
