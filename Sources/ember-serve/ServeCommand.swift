import ArgumentParser
import Ember
import EmberModels
import EmberServe
import Foundation

/// `ember-serve`: serves a saved MNIST-family classifier over HTTP, batching concurrent requests.
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
            """)

    @Option(name: .customLong("model"), help: "The model file: Ember or PyTorch safetensors, or a PyTorch .pth/.pt checkpoint.")
    var path: String

    @Option(help: "The architecture, when the file does not record it and its keys do not tell: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")).")
    var arch: Architecture?

    @Option(help: "The dataset the model learned (its normalization and class names): \(DatasetName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: DatasetName = .mnist

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
        let (model, architecture, _) = try loadModel(path: path, arch: arch)
        let (mean, std) = dataset.normalization
        let server = ModelServer(
            name: architecture.rawValue, model: model, sampleShape: [1, 28, 28],
            transform: Normalize(mean: mean, std: std), image: ImageInput(mode: .gray, invert: invert),
            labels: dataset.spec.classes, maxBatchSize: maxBatchSize,
            maxDelay: .microseconds(Int64((maxDelayMilliseconds * 1000).rounded())), adaptiveDelay: adaptiveDelay)
        let (host, path) = (self.host, self.path)
        try await server.run(host: host, port: port) { port in
            // Flushed at once: a script or test reading the pipe waits for this line.
            let line = "Serving \(architecture.rawValue) from \(path) on http://\(host):\(port) "
                + "(POST /predict, GET /health, GET /; Ctrl-C stops)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }
}
