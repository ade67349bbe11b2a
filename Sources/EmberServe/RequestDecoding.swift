import Ember
import Foundation

/// How a served model takes images: decoded (PNG, JPEG, PGM or PPM), converted to `mode`, resized
/// to the model's height and width (antialiased, like torchvision's `Resize`), optionally inverted,
/// and turned into [C, H, W] values in [0, 1] like `ToTensor`.
public struct ImageInput: Sendable {
    public var mode: Image.Mode
    /// Whether to invert the gray levels (for a dark digit on light paper, when the model learned
    /// light digits on black like MNIST).
    public var invert: Bool
    /// Images of more pixels than this are refused before their pixels are decoded.
    public var maxPixels: Int

    public init(mode: Image.Mode, invert: Bool = false, maxPixels: Int = Image.defaultMaxPixels) {
        self.mode = mode
        self.invert = invert
        self.maxPixels = maxPixels
    }
}

/// Turns request bodies into the model's samples: JSON `{"instances": [...]}` (each instance an array
/// of numbers, flat or nested, in row-major order) or the bytes of one image. Every sample then goes
/// through `transform` (such as `Normalize`), as the training data did.
struct RequestDecoder {
    let sampleShape: [Int]
    let transform: (any Transform)?
    let image: ImageInput?

    var sampleSize: Int { sampleShape.reduce(1, *) }

    /// The content types this server reads.
    var contentTypes: [String] {
        ["application/json"] + (image == nil ? [] : ["image/png", "image/jpeg", "image/x-portable-graymap",
                                                      "image/x-portable-pixmap", "application/octet-stream"])
    }

    func samples(body: [UInt8], contentType: String?) throws -> [Tensor] {
        let type = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let raw: [Tensor]
        switch type {
        case "application/json", "text/json":
            raw = try instances(json: body)
        case .some(let t) where t.hasPrefix("image/") || t == "application/octet-stream":
            raw = [try imageSample(body)]
        case nil:
            // No content type: JSON if it starts like JSON, else an image file.
            let first = body.first { !" \t\r\n".utf8.contains($0) }
            raw = first == UInt8(ascii: "{") ? try instances(json: body) : [try imageSample(body)]
        case .some(let t):
            throw ServeError(.unsupportedMediaType,
                             "content type '\(t)' is not one this server reads; send \(contentTypes.joined(separator: ", "))")
        }
        guard let transform else { return raw }
        return noGrad { raw.map { transform($0) } }
    }

    /// The instances of `{"instances": [...]}`, each checked against the sample shape.
    func instances(json body: [UInt8]) throws -> [Tensor] {
        guard let scanned = InstanceScanner.scan(body) else { return try anyInstances(body) }
        var start = 0
        return try scanned.ends.enumerated().map { index, end in
            defer { start = end }
            return try sample(Array(scanned.numbers[start..<end]), index)
        }
    }

    /// One instance's numbers as a sample, if they are as many as the model takes.
    private func sample(_ numbers: [Float], _ index: Int) throws -> Tensor {
        guard numbers.count == sampleSize else {
            throw ServeError(.badRequest, "instance \(index) has \(numbers.count) numbers; the model takes "
                + "\(sampleSize) per instance (shape \(sampleShape)), flat or nested in row-major order")
        }
        return Tensor(numbers, shape: sampleShape)
    }

    /// Any JSON, through JSONSerialization: instances nested unevenly, and every error's message.
    private func anyInstances(_ body: [UInt8]) throws -> [Tensor] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body))
        } catch {
            // Foundation says why in its debug description (for example a number past Double's range).
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey].map { " (\($0))" } ?? ""
            throw ServeError(.badRequest, "the body is not valid JSON\(reason); send {\"instances\": [[...numbers...], ...]}")
        }
        guard let dictionary = object as? [String: Any], let value = dictionary["instances"] else {
            throw ServeError(.badRequest, "the JSON has no \"instances\" field; send {\"instances\": [[...numbers...], ...]}, "
                + "one array of \(sampleSize) numbers (shape \(sampleShape)) per instance")
        }
        guard let list = value as? [Any], !list.isEmpty else {
            throw ServeError(.badRequest, "\"instances\" must be a non-empty array, one entry per instance")
        }
        return try list.enumerated().map { index, instance in
            var numbers: [Float] = []
            numbers.reserveCapacity(sampleSize)
            try flatten(instance, into: &numbers, instance: index)
            return try sample(numbers, index)
        }
    }

    private func flatten(_ value: Any, into numbers: inout [Float], instance: Int) throws {
        if let array = value as? [Any] {
            for element in array { try flatten(element, into: &numbers, instance: instance) }
        } else if let number = value as? NSNumber, !isBool(number) {
            let float = number.floatValue
            guard float.isFinite else {
                throw ServeError(.badRequest, "instance \(instance) holds \(number), which is outside float32's range")
            }
            numbers.append(float)
        } else {
            let shown = value is NSNull ? "null" : value is NSNumber ? "true or false"
                : value is [String: Any] ? "an object" : "the string \"\(value)\""
            throw ServeError(.badRequest, "instance \(instance) holds \(shown); instances hold numbers only")
        }
    }

    /// JSONSerialization hands true/false back as NSNumber too, of the C type `char`, where JSON numbers
    /// are ints or doubles.
    private func isBool(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    /// One image file's bytes as a sample of the model's shape.
    func imageSample(_ body: [UInt8]) throws -> Tensor {
        guard let input = image else {
            throw ServeError(.unsupportedMediaType, "this model takes JSON only: send {\"instances\": [...]} "
                + "with Content-Type application/json")
        }
        // ModelServer checked that the sample shape is [C, H, W] (or [H, W] for gray) with C the mode's channels.
        let (height, width) = (sampleShape[sampleShape.count - 2], sampleShape[sampleShape.count - 1])
        if body.isEmpty { throw ServeError(.badRequest, "the body is empty; send the bytes of a PNG, JPEG, PGM or PPM file") }
        var decoded: Image
        do {
            decoded = try Image(decoding: body, file: "the request body", maxPixels: input.maxPixels).converted(to: input.mode)
        } catch {
            throw ServeError(.badRequest, "\(error)")
        }
        var sample = decoded.tensor()
        if decoded.height != height || decoded.width != width {
            sample = noGrad { Resize(height: height, width: width)(sample) }
        }
        if input.invert { sample = noGrad { 1 - sample } }
        return sample.reshape(sampleShape)
    }
}
