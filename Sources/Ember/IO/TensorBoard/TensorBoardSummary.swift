import Foundation

/// The `Summary.Value` messages of TensorBoard's event files that `SummaryWriter` writes, built as
/// PyTorch's `torch.utils.tensorboard.summary` builds them (field numbers from TensorBoard's
/// summary.proto and tensor.proto).
enum TensorBoardSummary {
    /// `Summary.Value` with `simple_value`, a float32 as TensorBoard stores scalars.
    static func scalar(_ tag: String, _ value: Double) -> ProtobufEncoder {
        var proto = ProtobufEncoder()
        proto.string(1, tag)
        proto.float(2, Float(value), always: true)   // in a oneof: written even when zero
        return proto
    }

    static func histogram(_ tag: String, _ histogram: TensorBoardHistogram) -> ProtobufEncoder {
        var proto = ProtobufEncoder()
        proto.string(1, tag)
        proto.message(5, histogram.encoded)
        return proto
    }

    /// `Summary.Value` with an `Image`: the PNG of 8-bit HWC pixels with 1 to 4 channels.
    static func image(_ tag: String, pixels: [UInt8], height: Int, width: Int, channels: Int) throws -> ProtobufEncoder {
        let png = try Image(width: width, height: height, mode: Image.Mode(rawValue: channels)!, pixels: pixels).encoded(as: .png)
        var proto = ProtobufEncoder()
        proto.string(1, tag)
        proto.message(4) { image in
            image.int(1, height)
            image.int(2, width)
            image.int(3, channels)
            image.bytes(4, png)
        }
        return proto
    }

    /// The text plugin's value: a one-element string tensor, tagged `<tag>/text_summary` as PyTorch does.
    static func text(_ tag: String, _ text: String) -> ProtobufEncoder {
        var proto = ProtobufEncoder()
        proto.string(1, tag + "/text_summary")
        proto.message(8) { tensor in
            tensor.int(1, 7)   // DT_STRING
            tensor.message(2) { shape in shape.message(2) { $0.int(1, 1) } }
            tensor.bytes(8, Array(text.utf8), repeated: true)
        }
        proto.message(9) { metadata in metadata.message(1) { $0.string(1, "text") } }
        return proto
    }

    /// An `Event` holding a `Summary` of one value.
    static func event(_ value: ProtobufEncoder, step: Int?, wallTime: Double) -> [UInt8] {
        var event = ProtobufEncoder()
        event.double(1, wallTime)
        if let step { event.int(2, step) }
        event.message(5) { $0.message(1, value) }
        return event.bytes
    }
}
