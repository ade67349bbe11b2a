import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import Ember
@testable import EmberServe

/// A small classifier over [1, 4, 4] images with known weights, and what it gives for a sample.
func makeServedClassifier() -> (model: Sequential, expected: (Tensor) -> [Float]) {
    let generator = RandomGenerator(seed: 11)
    let linear = Linear(16, 3)
    noGrad {
        linear.weight.copy_(Tensor.randn([3, 16], generator: generator))
        linear.bias!.copy_(Tensor.randn([3], generator: generator))
    }
    let model = Sequential(Flatten(), linear)
    return (model, { sample in noGrad { model(sample.reshape([1, 1, 4, 4])).reshape([-1]) }.toArray() })
}

/// An answer from the server: status and parsed JSON body.
struct HTTPAnswer {
    let status: Int
    let json: [String: Any]
    var error: String? { json["error"] as? String }
}

/// A session that keeps enough connections open for the concurrent requests of these tests (the
/// shared one allows 6 per host, so a seventh request would wait for one of them to finish).
let testSession: URLSession = {
    let configuration = URLSessionConfiguration.ephemeral
    configuration.httpMaximumConnectionsPerHost = 32
    return URLSession(configuration: configuration)
}()

/// One HTTP request through URLSession.
func send(_ url: URL, method: String = "GET", contentType: String? = nil, body: [UInt8]? = nil) async throws -> HTTPAnswer {
    var request = URLRequest(url: url)
    request.httpMethod = method
    if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
    if let body { request.httpBody = Data(body) }
    let (data, response) = try await testSession.data(for: request)
    let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? ["raw": String(decoding: data, as: UTF8.self)]
    return HTTPAnswer(status: (response as! HTTPURLResponse).statusCode, json: json)
}

func jsonBody(_ object: Any) -> [UInt8] {
    [UInt8](try! JSONSerialization.data(withJSONObject: object))
}

/// Runs `server` on a free port of 127.0.0.1 for the length of `body`.
func withRunningServer(_ server: ModelServer, _ body: (URL) async throws -> Void) async throws {
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let task = Task { try await server.run(host: "127.0.0.1", port: 0, handlingSignals: false) { continuation.yield($0) } }
    var iterator = ports.makeAsyncIterator()
    let port = try #require(await iterator.next())
    do {
        try await body(URL(string: "http://127.0.0.1:\(port)")!)
    } catch {
        task.cancel()
        throw error
    }
    task.cancel()
    _ = await task.result
}

@Suite("ModelServer: request decoding")
struct RequestDecodingTests {
    let decoder = RequestDecoder(sampleShape: [1, 2, 2], transform: nil, image: ImageInput(mode: .gray))

    func message(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch let error as ServeError { return error.message } catch { return "\(error)" }
    }

    @Test func flatAndNestedInstancesGiveTheSameSamples() throws {
        let flat = try decoder.samples(body: jsonBody(["instances": [[1, 2, 3, 4.5]]]), contentType: "application/json")
        let nested = try decoder.samples(body: jsonBody(["instances": [[[[1, 2], [3, 4.5]]]]]),
                                         contentType: "application/json; charset=utf-8")
        #expect(flat.count == 1 && nested.count == 1)
        #expect(flat[0].shape == [1, 2, 2] && flat[0].toArray() == [1, 2, 3, 4.5])
        #expect(nested[0].toArray() == flat[0].toArray())
        // Without a content type, a body that starts like JSON is read as JSON.
        let sniffed = try decoder.samples(body: Array("  {\"instances\": [[0, 0, 0, 1], [1, 1, 1, 1]]}".utf8), contentType: nil)
        #expect(sniffed.map { $0.toArray() } == [[0, 0, 0, 1], [1, 1, 1, 1]])
    }

    @Test func theScannerReadsJSONNumbersExactlyAndLeavesTheRestToJSONSerialization() throws {
        func scan(_ text: String) -> InstanceScanner.Result? { InstanceScanner.scan(Array(text.utf8)) }
        let tokens = ["0", "-0", "1", "-12", "0.5", "3.25e2", "1E-3", "-7.5e+1", "0.1", "1.17549435e-38", "3.4028234e38",
                      "123456789012", "0.30000001192092896"]
        let read = try #require(scan(" {\n\t\"instances\" : [ [\(tokens.joined(separator: " , "))] ] } "))
        #expect(read.ends == [tokens.count])
        #expect(read.numbers.map(\.bitPattern) == tokens.map { Float($0)!.bitPattern })   // Swift's parse rounds correctly too
        // Nesting of any depth and shape; empty arrays inside contribute nothing.
        let nested = try #require(scan("{\"instances\": [[[1, 2], [3]], 4, [[], [[5]]]]}"))
        #expect(nested.numbers == [1, 2, 3, 4, 5] && nested.ends == [3, 4, 5])
        // Not JSON numbers, other fields, other values, floats out of range, no instances: nil.
        for text in ["{\"instances\": [[01]]}", "{\"instances\": [[1.]]}", "{\"instances\": [[.5]]}", "{\"instances\": [[+1]]}",
                     "{\"instances\": [[-]]}", "{\"instances\": [[1e]]}", "{\"instances\": [[NaN]]}", "{\"instances\": [[1e40]]}",
                     "{\"instances\": [[1, 2]]} x", "{\"instances\": [[1, 2]], \"top\": 1}", "{\"id\": 1, \"instances\": [[1]]}",
                     "{\"instances\": [[\"1\"]]}", "{\"instances\": [[true]]}", "{\"instances\": [[1,]]}", "{\"instances\": []}",
                     "{\"instances\": [[1]]", "[1, 2]", ""] {
            #expect(scan(text) == nil, "\(text)")
        }
        // What the scanner leaves, JSONSerialization reads: another field beside the instances.
        let decoder = RequestDecoder(sampleShape: [2], transform: nil, image: nil)
        let both = try decoder.samples(body: Array("{\"id\": \"a\", \"instances\": [[1, 2.5]]}".utf8), contentType: "application/json")
        #expect(both.map { $0.toArray() } == [[1, 2.5]])
    }

    @Test func theTransformRunsOnEverySample() throws {
        let normalizing = RequestDecoder(sampleShape: [2], transform: Normalize(mean: 0.5, std: 0.25), image: nil)
        let samples = try normalizing.samples(body: jsonBody(["instances": [[0.5, 1], [0, 0.75]]]), contentType: "application/json")
        #expect(samples.map { $0.toArray() } == [[0, 2], [-2, 1]])
    }

    @Test func badJSONIsRefusedNamingTheProblem() {
        func refusal(_ text: String) -> String? {
            message { try decoder.samples(body: Array(text.utf8), contentType: "application/json") }
        }
        #expect(refusal("{\"inst")?.hasPrefix("the body is not valid JSON") == true)
        #expect(refusal("{\"inst")?.hasSuffix("; send {\"instances\": [[...numbers...], ...]}") == true)
        #expect(refusal("{\"inputs\": [[1, 2, 3, 4]]}")?.hasPrefix("the JSON has no \"instances\" field") == true)
        #expect(refusal("[1, 2, 3, 4]")?.hasPrefix("the JSON has no \"instances\" field") == true)
        #expect(refusal("{\"instances\": []}") == "\"instances\" must be a non-empty array, one entry per instance")
        #expect(refusal("{\"instances\": [[1, 2, 3, 4], [1, 2, 3]]}")
            == "instance 1 has 3 numbers; the model takes 4 per instance (shape [1, 2, 2]), flat or nested in row-major order")
        #expect(refusal("{\"instances\": [[1, 2, true, 4]]}") == "instance 0 holds true or false; instances hold numbers only")
        #expect(refusal("{\"instances\": [[1, null, 3, 4]]}") == "instance 0 holds null; instances hold numbers only")
        #expect(refusal("{\"instances\": [[1, \"2\", 3, 4]]}") == "instance 0 holds the string \"2\"; instances hold numbers only")
        #expect(refusal("{\"instances\": [[1, {\"a\": 1}, 3, 4]]}") == "instance 0 holds an object; instances hold numbers only")
        #expect(refusal("{\"instances\": [[1, 2, 3, 1e40]]}") == "instance 0 holds 1e+40, which is outside float32's range")
    }

    @Test func contentTypesOutsideJSONAndImagesAreRefused() {
        let text = message { try decoder.samples(body: Array("hello".utf8), contentType: "text/plain") }
        #expect(text == "content type 'text/plain' is not one this server reads; send application/json, image/png, "
            + "image/jpeg, image/x-portable-graymap, image/x-portable-pixmap, application/octet-stream")
        let jsonOnly = RequestDecoder(sampleShape: [4], transform: nil, image: nil)
        #expect(message { try jsonOnly.samples(body: [0x89, 0x50], contentType: "image/png") }
            == "this model takes JSON only: send {\"instances\": [...]} with Content-Type application/json")
        #expect(jsonOnly.contentTypes == ["application/json"])
    }

    @Test func imagesAreDecodedConvertedResizedAndInverted() throws {
        // A 4x2 RGB image: its gray levels, averaged in pairs of columns, are the 2x2 sample.
        let rgb = Image(width: 4, height: 2, mode: .rgb, pixels: (0..<24).map { UInt8($0 * 10) })
        let png = try rgb.encoded(as: .png)
        let gray = rgb.converted(to: .gray)
        let expected = noGrad { Resize(height: 2, width: 2)(gray.tensor()) }.toArray()
        let sample = try decoder.samples(body: png, contentType: "image/png")
        #expect(sample.count == 1 && sample[0].shape == [1, 2, 2])
        expectClose(sample[0].toArray(), expected)
        // The same bytes as octet-stream, or with no content type at all.
        expectClose(try decoder.samples(body: png, contentType: "application/octet-stream")[0].toArray(), expected)
        expectClose(try decoder.samples(body: png, contentType: nil)[0].toArray(), expected)
        let inverting = RequestDecoder(sampleShape: [1, 2, 2], transform: nil, image: ImageInput(mode: .gray, invert: true))
        expectClose(try inverting.samples(body: png, contentType: "image/png")[0].toArray(), expected.map { 1 - $0 })

        #expect(message { try decoder.samples(body: Array("GIF89a".utf8), contentType: "image/gif") }
            == "the request body: not a PNG, JPEG, PGM or PPM file (its first bytes are no known signature); convert it to PNG")
        #expect(message { try decoder.samples(body: [], contentType: "image/png") }
            == "the body is empty; send the bytes of a PNG, JPEG, PGM or PPM file")
        let small = RequestDecoder(sampleShape: [1, 2, 2], transform: nil, image: ImageInput(mode: .gray, maxPixels: 4))
        #expect(message { try small.samples(body: png, contentType: "image/png") }?.contains("over the limit") == true)
    }
}

@Suite("ModelServer: responses")
struct ResponseEncodingTests {
    func answer(_ encoder: ResponseEncoder, _ outputs: [Tensor], top: Int) throws -> [Any] {
        let body = encoder.body(outputs, top: top)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        return try #require(json["predictions"] as? [Any])
    }

    @Test func classifiersAnswerTheBestClassesWithSoftmaxProbabilities() throws {
        let encoder = ResponseEncoder(labels: ["cat", "dog", "fox"])
        let logits = Tensor([1, 3, 2] as [Float])
        let probabilities = logits.softmax(dim: 0).toArray()
        let answer = try #require(try self.answer(encoder, [logits], top: 2).first as? [String: Any])
        #expect(answer["class"] as? Int == 1 && answer["label"] as? String == "dog")
        #expect(answer["probability"] as? Double == Double(probabilities[1].description))
        let top = try #require(answer["top"] as? [[String: Any]])
        #expect(top.map { $0["label"] as? String } == ["dog", "fox"])
        #expect(top.map { $0["probability"] as? Double } == [1, 2].map { Double(probabilities[$0].description) })
        // Classes past the labels' end are named by number; top is capped at the class count.
        let unnamed = try #require(try self.answer(ResponseEncoder(labels: []), [logits], top: 10).first as? [String: Any])
        #expect(unnamed["label"] as? String == "1" && (unnamed["top"] as? [Any])?.count == 3)
    }

    @Test func otherModelsAnswerTheirOutputsNestedLikeTheirShape() throws {
        let encoder = ResponseEncoder(labels: nil)
        let outputs = [Tensor([1.5, 2, 3, 4, 5, .nan] as [Float], shape: [2, 3]), Tensor([0.1, 7.25] as [Float])[1]]
        let text = String(decoding: encoder.body(outputs, top: 3), as: UTF8.self)
        // Floats keep their shortest decimal form; NaN, which JSON lacks, is null.
        #expect(text == "{\"predictions\":[[[1.5,2,3],[4,5,null]],7.25]}")
        let tenth = String(decoding: encoder.body([Tensor([0.1] as [Float])], top: 3), as: UTF8.self)
        #expect(tenth == "{\"predictions\":[[0.1]]}")
    }
}

@Suite("ModelServer over HTTP", .serialized)
struct ModelServerTests {
    @Test func servesPredictionsHealthAndInfo() async throws {
        let (model, expected) = makeServedClassifier()
        let server = ModelServer(name: "tiny", model: model, sampleShape: [1, 4, 4], image: ImageInput(mode: .gray),
                                 labels: ["a", "b", "c"], maxBatchSize: 8, maxDelay: .zero)
        let samples = (0..<3).map { i in Tensor((0..<16).map { Float(($0 * 7 + i * 5) % 16) / 15 }, shape: [1, 4, 4]) }
        try await withRunningServer(server) { url in
            let health = try await send(url.appendingPathComponent("health"))
            #expect(health.status == 200 && health.json["status"] as? String == "ok")

            let answer = try await send(url.appendingPathComponent("predict"), method: "POST", contentType: "application/json",
                                        body: jsonBody(["instances": samples.map { $0.toArray() }]))
            #expect(answer.status == 200, "\(answer.json)")
            let predictions = try #require(answer.json["predictions"] as? [[String: Any]])
            #expect(predictions.count == 3)
            for (prediction, sample) in zip(predictions, samples) {
                let logits = expected(sample)
                let best = logits.indices.max { logits[$0] < logits[$1] }!
                #expect(prediction["class"] as? Int == best && prediction["label"] as? String == ["a", "b", "c"][best])
                let probability = try #require(prediction["probability"] as? Double)
                let softmax = Tensor(logits).softmax(dim: 0).toArray()
                #expect(abs(probability - Double(softmax[best])) < 1e-6)
                #expect((prediction["top"] as? [Any])?.count == 3)
            }

            // An image: the 4x4 gray PNG of the first sample gives its prediction, with ?top=1.
            let png = try Image(samples[0]).encoded(as: .png)
            let image = try await send(URL(string: url.absoluteString + "/predict?top=1")!, method: "POST",
                                       contentType: "image/png", body: png)
            let imagePrediction = try #require((image.json["predictions"] as? [[String: Any]])?.first)
            #expect(imagePrediction["class"] as? Int == predictions[0]["class"] as? Int)
            #expect((imagePrediction["top"] as? [Any])?.count == 1)

            let info = try await send(url)
            #expect(info.json["model"] as? String == "tiny" && info.json["inputShape"] as? [Int] == [1, 4, 4])
            #expect(info.json["labels"] as? [String] == ["a", "b", "c"] && info.json["maxBatchSize"] as? Int == 8)
            let served = try #require(info.json["served"] as? [String: Any])
            #expect(served["requests"] as? Int == 2 && served["instances"] as? Int == 4)
        }
    }

    @Test func concurrentRequestsAreAnsweredFromOneBatch() async throws {
        let (model, expected) = makeServedClassifier()
        // Eight requests, a batch of eight and a long delay: the model runs once, when all have come.
        let server = ModelServer(name: "tiny", model: model, sampleShape: [1, 4, 4], labels: nil,
                                 maxBatchSize: 8, maxDelay: .seconds(60), adaptiveDelay: false)
        let samples = (0..<8).map { i in Tensor((0..<16).map { Float(($0 * 3 + i) % 16) }, shape: [1, 4, 4]) }
        try await withRunningServer(server) { url in
            let outputs = try await withThrowingTaskGroup(of: (Int, HTTPAnswer).self) { group in
                for (i, sample) in samples.enumerated() {
                    group.addTask {
                        (i, try await send(url.appendingPathComponent("predict"), method: "POST", contentType: "application/json",
                                           body: jsonBody(["instances": [sample.toArray()]])))
                    }
                }
                var answers = [HTTPAnswer?](repeating: nil, count: 8)
                for try await (i, answer) in group { answers[i] = answer }
                return answers
            }
            for (answer, sample) in zip(outputs, samples) {
                let raw = try #require((answer?.json["predictions"] as? [[Double]])?.first)
                expectClose(raw.map(Float.init), expected(sample))
            }
        }
        #expect(server.batcher.statistics == DynamicBatcher.Statistics(requests: 8, samples: 8, batches: 1, largestBatch: 8))
    }

    @Test func badRequestsGetAStatusAndAMessage() async throws {
        let (model, _) = makeServedClassifier()
        let server = ModelServer(name: "tiny", model: model, sampleShape: [1, 4, 4], labels: ["a", "b", "c"],
                                 maxDelay: .zero, maxRequestBytes: 1000)
        try await withRunningServer(server) { url in
            let predict = url.appendingPathComponent("predict")
            let short = try await send(predict, method: "POST", contentType: "application/json", body: jsonBody(["instances": [[1, 2]]]))
            #expect(short.status == 400 && short.error?.hasPrefix("instance 0 has 2 numbers") == true)
            let image = try await send(predict, method: "POST", contentType: "image/png", body: [0x89, 0x50, 0x4e, 0x47])
            #expect(image.status == 415 && image.error?.hasPrefix("this model takes JSON only") == true)
            let large = try await send(predict, method: "POST", contentType: "application/json", body: [UInt8](repeating: 32, count: 5000))
            #expect(large.status == 413, "\(large.json)")
            #expect(large.error == "the body is over 1000 bytes, the most this server reads (ModelServer's maxRequestBytes)")
            let top = try await send(URL(string: predict.absoluteString + "?top=0")!, method: "POST", contentType: "application/json",
                                     body: jsonBody(["instances": [[Float](repeating: 0, count: 16)]]))
            #expect(top.status == 400 && top.error == "top must be a whole number of at least 1, got '0'")
            let word = try await send(URL(string: predict.absoluteString + "?top=abc")!, method: "POST", contentType: "application/json",
                                      body: jsonBody(["instances": [[Float](repeating: 0, count: 16)]]))
            #expect(word.status == 400 && word.error == "top must be a whole number of at least 1, got 'abc'")
            #expect(try await send(url.appendingPathComponent("nothing")).status == 404)
        }
    }
}
