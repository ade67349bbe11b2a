import Ember
import Foundation

/// Turns the model's outputs into the JSON answer `{"predictions": [...]}`, one entry per instance:
/// for a classifier (`labels` given) the best class with its softmax probability and the `top` best,
/// otherwise the output itself, as numbers nested like its shape.
struct ResponseEncoder {
    let labels: [String]?

    func predictions(_ outputs: [Tensor], top: Int) -> [Prediction] {
        outputs.map { output in
            guard let labels else { return .raw(NestedNumbers(output.contiguous().toArray(), shape: output.shape)) }
            let probabilities = noGrad { output.reshape([-1]).softmax(dim: 0) }.toArray()
            let ranked = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }
            let scores = ranked.prefix(max(1, top)).map { c in
                ClassScore(class: c, label: c < labels.count ? labels[c] : String(c), probability: JSONFloat(probabilities[c]))
            }
            return .classified(Classified(best: scores[0], top: scores))
        }
    }

    /// `{"predictions": [...]}` as JSON bytes.
    func body(_ outputs: [Tensor], top: Int) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value here is a string, an integer or a finite float (JSONFloat writes null otherwise).
        return [UInt8](try! encoder.encode(["predictions": predictions(outputs, top: top)]))
    }
}

/// One instance's answer.
enum Prediction: Encodable {
    case classified(Classified)
    case raw(NestedNumbers)

    func encode(to encoder: Encoder) throws {
        switch self {
        case .classified(let value): try value.encode(to: encoder)
        case .raw(let value): try value.encode(to: encoder)
        }
    }
}

/// A class with its label and probability.
struct ClassScore: Encodable {
    let `class`: Int
    let label: String
    let probability: JSONFloat
}

/// The best class, flattened into the object, and the best few.
struct Classified: Encodable {
    let best: ClassScore
    let top: [ClassScore]

    private enum Keys: String, CodingKey { case top }

    func encode(to encoder: Encoder) throws {
        try best.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(top, forKey: .top)
    }
}

/// Numbers nested like a shape (a single number for a scalar).
struct NestedNumbers: Encodable {
    let values: ArraySlice<Float>
    let shape: ArraySlice<Int>

    init(_ values: [Float], shape: [Int]) {
        self.values = values[...]
        self.shape = shape[...]
    }

    private init(values: ArraySlice<Float>, shape: ArraySlice<Int>) {
        self.values = values
        self.shape = shape
    }

    func encode(to encoder: Encoder) throws {
        guard let first = shape.first else { return try JSONFloat(values[values.startIndex]).encode(to: encoder) }
        var container = encoder.unkeyedContainer()
        let inner = shape.dropFirst()
        let size = inner.reduce(1, *)
        if inner.isEmpty {
            for value in values { try container.encode(JSONFloat(value)) }
            return
        }
        for i in 0..<first {
            let start = values.startIndex + i * size
            try container.encode(NestedNumbers(values: values[start..<start + size], shape: inner))
        }
    }
}

/// A float32 written in its shortest decimal form (0.9987, not 0.99870002269744873); JSON has no
/// NaN or infinity, so those are written as null.
struct JSONFloat: Encodable {
    let value: Float
    init(_ value: Float) { self.value = value }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if value.isFinite { try container.encode(value) } else { try container.encodeNil() }
    }
}

/// `object` (numbers, strings, arrays and dictionaries) as JSON bytes with sorted keys.
func jsonBytes(_ object: Any) -> [UInt8] {
    // Every value put here comes from numbers, strings, arrays and dictionaries: always valid.
    [UInt8](try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
}
