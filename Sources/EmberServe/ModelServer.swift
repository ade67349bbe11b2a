import Ember
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Why a server could not start.
public struct ModelServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Serves a model over HTTP, batching concurrent requests into one run of the model
/// (`DynamicBatcher`):
///
///     let server = ModelServer(name: "mnist", model: model.eval(), sampleShape: [1, 28, 28],
///                              transform: Normalize(mean: 0.1307, std: 0.3081),
///                              image: ImageInput(mode: .gray), labels: (0..<10).map(String.init))
///     try await server.run(port: 8080)
///
/// - `POST /predict` with JSON `{"instances": [[...], ...]}` (each instance's numbers, flat or nested),
///   or with the bytes of a PNG, JPEG, PGM or PPM image (when `image` is given), answers
///   `{"predictions": [...]}`: for a classifier each instance's best class, its label and softmax
///   probability and the `top` best (`?top=5`, default 3); otherwise the raw outputs.
/// - `GET /health` answers `{"status": "ok"}`; `GET /` describes the model and what it has served.
///
/// Errors come back as `{"error": "..."}` with a 4xx status that says what was wrong.
public final class ModelServer: Sendable {
    public let name: String
    public let batcher: DynamicBatcher
    /// The largest request body read, in bytes.
    public let maxRequestBytes: Int
    let decoder: RequestDecoder
    let encoder: ResponseEncoder

    /// - Parameters:
    ///   - model: the model, in evaluation mode (`model.eval()`); it runs on the batcher's thread.
    ///   - sampleShape: one instance's shape, without the batch dimension.
    ///   - transform: applied to every instance before the model, JSON or image (as the training data
    ///     was transformed after `ToTensor`), such as `Normalize`.
    ///   - image: how image bodies become instances; nil takes JSON only.
    ///   - labels: the class names of a classifier whose output is one logit per class; nil answers
    ///     the raw outputs.
    ///   - maxBatchSize, maxDelay, adaptiveDelay: how requests are batched (see `DynamicBatcher`).
    public convenience init(name: String, model: Module, sampleShape: [Int], transform: (any Transform)? = nil,
                            image: ImageInput? = nil, labels: [String]? = nil, maxBatchSize: Int = 64,
                            maxDelay: Duration = .milliseconds(1), adaptiveDelay: Bool = true,
                            maxRequestBytes: Int = 16 << 20) {
        self.init(name: name, sampleShape: sampleShape, transform: transform, image: image, labels: labels,
                  maxBatchSize: maxBatchSize, maxDelay: maxDelay, adaptiveDelay: adaptiveDelay,
                  maxRequestBytes: maxRequestBytes) { model($0) }
    }

    /// Serves `run`, which maps a batch [n] + sampleShape to the model's outputs for it and may throw
    /// (a failure answers the batch's requests with 500), such as an `ONNXModel`'s `run(_:)`. It runs
    /// under `noGrad` on the batcher's thread. The other parameters are as above.
    public init(name: String, sampleShape: [Int], transform: (any Transform)? = nil,
                image: ImageInput? = nil, labels: [String]? = nil, maxBatchSize: Int = 64,
                maxDelay: Duration = .milliseconds(1), adaptiveDelay: Bool = true, maxRequestBytes: Int = 16 << 20,
                run: @escaping (Tensor) throws -> Tensor) {
        if let image {
            let channels = sampleShape.count == 3 ? sampleShape[0] : sampleShape.count == 2 ? 1 : -1
            precondition(channels == image.mode.rawValue,
                         "ModelServer: images of mode \(image.mode.name) have \(image.mode.rawValue) channel(s), but the model's "
                         + "sample shape is \(sampleShape); give [\(image.mode.rawValue), height, width]")
        }
        self.name = name
        batcher = DynamicBatcher(sampleShape: sampleShape, maxBatchSize: maxBatchSize, maxDelay: maxDelay,
                                 adaptive: adaptiveDelay, run: run)
        decoder = RequestDecoder(sampleShape: sampleShape, transform: transform, image: image)
        encoder = ResponseEncoder(labels: labels)
        self.maxRequestBytes = maxRequestBytes
    }

    /// Adds `GET /`, `GET /health` and `POST /predict` to a router, to serve the model from an
    /// application of your own.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/") { _, _ in self.jsonResponse(.ok, self.description) }
        router.get("health") { _, _ in self.jsonResponse(.ok, ["status": "ok"]) }
        router.post("predict") { request, context in await self.predict(request, context) }
    }

    /// Serves until the task is cancelled or, with `handlingSignals`, the process gets SIGINT or
    /// SIGTERM (requests under way are answered first). `onListening` receives the port, which the
    /// system picks when `port` is 0.
    public func run(host: String = "127.0.0.1", port: Int = 8080, handlingSignals: Bool = true,
                    onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        addRoutes(to: router)
        var logger = Logger(label: "ember-serve")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "ember-serve"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [app], gracefulShutdownSignals: handlingSignals ? [.sigterm, .sigint] : [], logger: logger))
        // Cancelling the caller's task shuts the server down gracefully, as a signal does: the group runs
        // in a task of its own, which cancellation would otherwise tear down mid-request.
        let running = Task { try await group.run() }
        do {
            try await withTaskCancellationHandler {
                try await running.value
            } onCancel: {
                Task { await group.triggerGracefulShutdown() }
            }
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ModelServerError("\(host):\(port) is in use by another program; choose another port (0 picks a free one)")
        }
    }

    /// What `GET /` answers: the model, what it takes and what it has served.
    public var description: [String: Any] {
        let stats = batcher.statistics
        var info: [String: Any] = [
            "model": name,
            "inputShape": decoder.sampleShape,
            "contentTypes": decoder.contentTypes,
            "maxBatchSize": batcher.maxBatchSize,
            "maxDelayMilliseconds": Double(batcher.maxDelay.components.attoseconds) / 1e15
                + Double(batcher.maxDelay.components.seconds) * 1000,
            "adaptiveDelay": batcher.adaptive,
            "served": ["requests": stats.requests, "instances": stats.samples, "batches": stats.batches,
                       "largestBatch": stats.largestBatch, "meanBatchSize": stats.meanBatchSize],
        ]
        if let labels = encoder.labels { info["labels"] = labels }
        return info
    }

    func predict<Context: RequestContext>(_ request: Request, _ context: Context) async -> Response {
        do {
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maxRequestBytes)
            } catch {
                throw ServeError(.contentTooLarge, "the body is over \(maxRequestBytes) bytes, the most this server reads "
                    + "(ModelServer's maxRequestBytes)")
            }
            let top = try topCount(request.uri.queryParameters.get("top"))
            let samples = try decoder.samples(body: Array(buffer: body), contentType: request.headers[.contentType])
            let outputs: [Tensor]
            do {
                outputs = try await batcher.predict(samples)
            } catch let error as DynamicBatcherError where error == .closed {
                throw ServeError(.serviceUnavailable, "the server is shutting down")
            } catch {
                throw ServeError(.internalServerError, "the model failed: \(error)")
            }
            return jsonResponse(.ok, bytes: encoder.body(outputs, top: top))
        } catch let error as ServeError {
            return jsonResponse(error.status, ["error": error.message])
        } catch {
            return jsonResponse(.internalServerError, ["error": "\(error)"])
        }
    }

    /// `?top=N`: how many of the best classes to answer (default 3).
    func topCount(_ text: String?) throws -> Int {
        guard let text else { return 3 }
        guard let top = Int(text), top >= 1 else {
            throw ServeError(.badRequest, "top must be a whole number of at least 1, got '\(text)'")
        }
        return top
    }

    func jsonResponse(_ status: HTTPResponse.Status, _ object: Any) -> Response {
        jsonResponse(status, bytes: jsonBytes(object))
    }

    func jsonResponse(_ status: HTTPResponse.Status, bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
