import ArgumentParser
import Ember
import EmberModels
import EmberONNX
import EmberServe
import Foundation

/// `ember-serve`: serves a saved MNIST-family classifier, or any ONNX model, over HTTP, batching
/// concurrent requests.
@main
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ember-serve",
        abstract: "Serve a saved classifier over HTTP: POST /predict with JSON instances or an image file.",
        discussion: """
            POST /predict takes {"instances": [[784 pixel values in 0...1], ...]} (application/json) or the \
            bytes of one PNG, JPEG, PGM or PPM image (turned gray and resized to 28x28), and answers \
            {"predictions": [{"class", "label", "probability", "top"}, ...]}; ?top=N sets how many of the \
            best classes come back (default 3). GET /health answers {"status": "ok"}; GET / describes the \
            model and what it has served. Concurrent requests share one run of the model (up to \
            --max-batch-size instances, waiting at most --max-delay-ms for company, and only under \
            concurrent load unless --no-adaptive-delay).

            An ONNX model (a .onnx file, such as torch.onnx.export writes) is served with the sample \
            shape its input declares (every dim but the batch must be fixed), its instances taken as \
            they are unless --dataset names a normalization, images converted to its channel count, and \
            class names from --labels or --dataset (without either, the raw outputs are answered).
            """)

    @Option(name: .customLong("model"), help: "The model file: Ember or PyTorch safetensors, a PyTorch .pth/.pt checkpoint, or an ONNX model (.onnx).")
    var path: String

    @Option(help: "The architecture, when the file does not record it and its keys do not tell: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")).")
    var arch: Architecture?

    @Option(help: "The dataset the model learned (its normalization and class names): \(DatasetName.allCases.map(\.rawValue).joined(separator: ", ")); default mnist, none for an ONNX model.")
    var dataset: DatasetName?

    @Option(help: "A text file of class names, one per line in class order, for an ONNX classifier.")
    var labels: String?

    @Option(help: "The address to listen on (0.0.0.0 for every interface).")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free one (printed at start).")
    var port = 8080

    @Option(help: "The most instances in one run of the model.")
    var maxBatchSize = 64

    @Option(name: .customLong("max-delay-ms"), help: "How long an instance may wait for others to share its batch, in milliseconds.")
    var maxDelayMilliseconds = 1.0

    @Flag(inversion: .prefixedNo,
          help: "Wait for company only when the previous batch held several requests, so a lone client is answered at once.")
    var adaptiveDelay = true

    @Flag(help: "Invert images' gray levels (for dark digits on a light background).")
    var invert = false

    @Option(help: "Worker threads for BLAS and element-wise kernels (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535, got \(port)") }
        guard maxBatchSize >= 1 else { throw ValidationError("--max-batch-size must be at least 1, got \(maxBatchSize)") }
        guard maxDelayMilliseconds >= 0, maxDelayMilliseconds <= 60_000 else {
            throw ValidationError("--max-delay-ms must be 0...60000 (a minute at most), got \(maxDelayMilliseconds)")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() async throws {
        if let threads { setNumThreads(threads) }
        let server: ModelServer
        let name: String
        let delay = Duration.microseconds(Int64((maxDelayMilliseconds * 1000).rounded()))
        if path.lowercased().hasSuffix(".onnx") {
            (server, name) = try onnxServer(delay: delay)
        } else {
            let (model, architecture, _) = try loadModel(path: path, arch: arch)
            let dataset = self.dataset ?? .mnist
            let (mean, std) = dataset.normalization
            server = ModelServer(
                name: architecture.rawValue, model: model, sampleShape: [1, 28, 28],
                transform: Normalize(mean: mean, std: std), image: ImageInput(mode: .gray, invert: invert),
                labels: try labels.map(readLabels) ?? dataset.spec.classes, maxBatchSize: maxBatchSize,
                maxDelay: delay, adaptiveDelay: adaptiveDelay)
            name = architecture.rawValue
        }
        let (host, path) = (self.host, self.path)
        try await server.run(host: host, port: port) { port in
            // Flushed at once: a script or test reading the pipe waits for this line.
            let line = "Serving \(name) from \(path) on http://\(host):\(port) "
                + "(POST /predict, GET /health, GET /; Ctrl-C stops)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }

    /// An ONNX model served with the sample shape its input declares.
    private func onnxServer(delay: Duration) throws -> (ModelServer, String) {
        let model: ONNXModel
        do {
            model = try ONNXModel(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("\(error)")
        }
        guard model.inputs.count == 1, let declared = model.inputs[0].shape, declared.count >= 2 else {
            throw ValidationError("\(path): ember-serve serves models with one input of shape [batch, ...]; this one takes \(model.inputs.map(\.description).joined(separator: "; "))")
        }
        let sample = declared.dropFirst().compactMap { $0 }
        guard sample.count == declared.count - 1 else {
            throw ValidationError("\(path): the input \(model.inputs[0]) has dynamic dims besides the batch; ember-serve needs a fixed sample shape")
        }
        // A batch dim fixed at 1 (an export without dynamic axes) takes one instance per run.
        var batchLimit = maxBatchSize
        if let fixed = declared[0] {
            guard fixed == 1 else {
                throw ValidationError("\(path): the input \(model.inputs[0]) has a batch dim fixed at \(fixed); export it with a dynamic batch dim (or 1)")
            }
            batchLimit = 1
        }
        let channels = sample.count == 3 ? sample[0] : sample.count == 2 ? 1 : 0
        let image = Image.Mode(rawValue: channels).map { ImageInput(mode: $0, invert: invert) }
        let transform = dataset.map { Normalize(mean: $0.normalization.mean, std: $0.normalization.std) }
        let classNames = try labels.map(readLabels) ?? dataset?.spec.classes
        let server = ModelServer(
            name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent, sampleShape: Array(sample),
            transform: transform, image: image, labels: classNames, maxBatchSize: batchLimit, maxDelay: delay,
            adaptiveDelay: adaptiveDelay) { batch in try model.run(batch) }
        return (server, "ONNX model")
    }

    private func readLabels(_ file: String) throws -> [String] {
        do {
            return try String(contentsOfFile: file, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
        } catch {
            throw ValidationError("cannot read the labels file \(file): \(error.localizedDescription)")
        }
    }
}
