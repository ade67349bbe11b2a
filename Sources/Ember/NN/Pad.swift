/// How `pad` fills the new border, like the `mode` of `torch.nn.functional.pad`.
public enum PadMode: String, Sendable {
    /// A constant value (`value`, 0 by default).
    case constant
    /// The mirror image without the edge: [1 2 3] padded by 2 gives [3 2 | 1 2 3 | 2 1].
    case reflect
    /// The edge repeated: [1 2 3] gives [1 1 | 1 2 3 | 3 3].
    case replicate
    /// Wrapped around: [1 2 3] gives [2 3 | 1 2 3 | 1 2].
    case circular
}

/// Pads the last dims of `x`, like `torch.nn.functional.pad`: `padding` lists (before, after) pairs
/// from the last dim backwards, so [left, right] pads the last dim and [left, right, top, bottom] the
/// last two. In `.constant` mode a negative amount crops instead. The border is built from views of
/// `x` (flipped, expanded or wrapped) joined by `cat`, so gradients (of any order) flow back through it.
public func pad(_ x: Tensor, _ padding: [Int], mode: PadMode = .constant, value: Float = 0) -> Tensor {
    guard padding.count % 2 == 0, padding.count / 2 <= x.rank else {
        shapeFailure(ShapeError("pad: padding needs (before, after) pairs for at most \(x.rank) dims of the input "
            + "\(x.shape), got \(padding)"))
    }
    if mode == .constant && value == 0 && value.sign == .plus && x.dtype == .float32 && padding.count == 4
        && padding.allSatisfy({ $0 >= 0 }) {
        return x.pad2d(left: padding[0], right: padding[1], top: padding[2], bottom: padding[3])   // one kernel
    }
    var out = x
    for pair in 0..<padding.count / 2 {
        out = padDim(out, x.rank - 1 - pair, before: padding[2 * pair], after: padding[2 * pair + 1], mode: mode, value: value)
    }
    return out
}

/// Pads (or crops) dim `d` of `x` by `before` and `after` elements.
private func padDim(_ x: Tensor, _ d: Int, before: Int, after: Int, mode: PadMode, value: Float) -> Tensor {
    let size = x.shape[d]
    func fail(_ why: String) -> Never {
        shapeFailure(ShapeError("pad: \(mode.rawValue) padding of (\(before), \(after)) on dim \(d) of input \(x.shape): \(why)"))
    }
    if mode != .constant && (before < 0 || after < 0) { fail("negative padding crops only in constant mode") }
    var source = x
    if mode == .constant && (before < 0 || after < 0) {
        let start = Swift.max(-before, 0), end = size - Swift.max(-after, 0)
        guard start <= end else { fail("it crops more than the dim's \(size) elements") }
        source = x.narrow(d, start: start, length: end - start)
    }
    let (left, right) = (Swift.max(before, 0), Swift.max(after, 0))
    if left == 0 && right == 0 { return source }
    func constant(_ count: Int) -> Tensor {
        var shape = source.shape
        shape[d] = count
        return Tensor.full(shape, value, dtype: x.dtype, device: x.device)
    }
    let pieces: (Tensor, Tensor)
    switch mode {
    case .constant:
        pieces = (constant(left), constant(right))
    case .reflect:
        guard left < size && right < size else { fail("reflection needs padding smaller than the dim's size \(size)") }
        pieces = (x.slice(d, start: 1, end: left + 1).flip([d]), x.slice(d, start: size - 1 - right, end: size - 1).flip([d]))
    case .replicate:
        guard size > 0 else { fail("an empty dim has no edge to repeat") }
        func edge(_ index: Int, _ count: Int) -> Tensor {
            var shape = x.shape
            shape[d] = count
            return x.narrow(d, start: index, length: 1).expand(shape)
        }
        pieces = (edge(0, left), edge(size - 1, right))
    case .circular:
        guard left <= size && right <= size else { fail("wrapping needs padding no larger than the dim's size \(size)") }
        pieces = (x.narrow(d, start: size - left, length: left), x.narrow(d, start: 0, length: right))
    }
    return Tensor.cat([pieces.0, source, pieces.1].filter { $0.shape[d] > 0 }, dim: d)
}

/// Pads its input's last dims by fixed amounts in one `PadMode`: the base of PyTorch's padding layers
/// (`ZeroPad2d`, `ReflectionPad1d`, ...). `padding` is (left, right) for the 1-D layers and
/// (left, right, top, bottom) for the 2-D ones, as in PyTorch.
open class PadBase: Module {
    public let padding: [Int]
    public let mode: PadMode
    public let value: Float

    init(_ padding: [Int], mode: PadMode, value: Float = 0) {
        self.padding = padding
        self.mode = mode
        self.value = value
        super.init()
    }

    open override func forward(_ x: Tensor) -> Tensor {
        // As PyTorch's layers: the mirrored, repeated and wrapped borders need [C, *] or [N, C, *].
        let dims = padding.count / 2
        if mode != .constant && x.rank != dims + 1 && x.rank != dims + 2 {
            shapeFailure(ShapeError("\(typeName): expects a \(dims + 1)-D or \(dims + 2)-D input, got shape \(x.shape)"))
        }
        return pad(x, padding, mode: mode, value: value)
    }

    open override var extraDescription: String { pythonTuple(padding) }
}

/// Zeros around the last dim, like `torch.nn.ZeroPad1d`.
public final class ZeroPad1d: PadBase {
    public init(_ padding: (Int, Int)) { super.init([padding.0, padding.1], mode: .constant) }
    public convenience init(_ padding: Int) { self.init((padding, padding)) }
}

/// Zeros around the last two dims, like `torch.nn.ZeroPad2d`: (left, right, top, bottom).
public final class ZeroPad2d: PadBase {
    public init(_ padding: (Int, Int, Int, Int)) { super.init([padding.0, padding.1, padding.2, padding.3], mode: .constant) }
    public convenience init(_ padding: Int) { self.init((padding, padding, padding, padding)) }
}

/// A constant around the last dim, like `torch.nn.ConstantPad1d`.
public final class ConstantPad1d: PadBase {
    public init(_ padding: (Int, Int), value: Float) { super.init([padding.0, padding.1], mode: .constant, value: value) }
    public convenience init(_ padding: Int, value: Float) { self.init((padding, padding), value: value) }
    public override var extraDescription: String { "padding=\(pythonTuple(padding)), value=\(value)" }
}

/// A constant around the last two dims, like `torch.nn.ConstantPad2d`: (left, right, top, bottom).
public final class ConstantPad2d: PadBase {
    public init(_ padding: (Int, Int, Int, Int), value: Float) {
        super.init([padding.0, padding.1, padding.2, padding.3], mode: .constant, value: value)
    }
    public convenience init(_ padding: Int, value: Float) { self.init((padding, padding, padding, padding), value: value) }
    public override var extraDescription: String { "padding=\(pythonTuple(padding)), value=\(value)" }
}

/// The mirror image of the last dim's border, like `torch.nn.ReflectionPad1d`.
public final class ReflectionPad1d: PadBase {
    public init(_ padding: (Int, Int)) { super.init([padding.0, padding.1], mode: .reflect) }
    public convenience init(_ padding: Int) { self.init((padding, padding)) }
}

/// The mirror image of the last two dims' border, like `torch.nn.ReflectionPad2d` (style transfer,
/// image-to-image networks): (left, right, top, bottom).
public final class ReflectionPad2d: PadBase {
    public init(_ padding: (Int, Int, Int, Int)) { super.init([padding.0, padding.1, padding.2, padding.3], mode: .reflect) }
    public convenience init(_ padding: Int) { self.init((padding, padding, padding, padding)) }
}

/// The last dim's edge repeated, like `torch.nn.ReplicationPad1d`.
public final class ReplicationPad1d: PadBase {
    public init(_ padding: (Int, Int)) { super.init([padding.0, padding.1], mode: .replicate) }
    public convenience init(_ padding: Int) { self.init((padding, padding)) }
}

/// The last two dims' edges repeated, like `torch.nn.ReplicationPad2d`: (left, right, top, bottom).
public final class ReplicationPad2d: PadBase {
    public init(_ padding: (Int, Int, Int, Int)) { super.init([padding.0, padding.1, padding.2, padding.3], mode: .replicate) }
    public convenience init(_ padding: Int) { self.init((padding, padding, padding, padding)) }
}

/// The last dim wrapped around, like `torch.nn.CircularPad1d`.
public final class CircularPad1d: PadBase {
    public init(_ padding: (Int, Int)) { super.init([padding.0, padding.1], mode: .circular) }
    public convenience init(_ padding: Int) { self.init((padding, padding)) }
}

/// The last two dims wrapped around (a torus), like `torch.nn.CircularPad2d`: (left, right, top, bottom).
public final class CircularPad2d: PadBase {
    public init(_ padding: (Int, Int, Int, Int)) { super.init([padding.0, padding.1, padding.2, padding.3], mode: .circular) }
    public convenience init(_ padding: Int) { self.init((padding, padding, padding, padding)) }
}

/// Zeros around the last three dims, like `torch.nn.ZeroPad3d`: (left, right, top, bottom, front, back).
public final class ZeroPad3d: PadBase {
    public init(_ padding: (Int, Int, Int, Int, Int, Int)) { super.init(sixSides(padding), mode: .constant) }
    public convenience init(_ padding: Int) { self.init((padding, padding, padding, padding, padding, padding)) }
}

/// A constant around the last three dims, like `torch.nn.ConstantPad3d`.
public final class ConstantPad3d: PadBase {
    public init(_ padding: (Int, Int, Int, Int, Int, Int), value: Float) {
        super.init(sixSides(padding), mode: .constant, value: value)
    }
    public convenience init(_ padding: Int, value: Float) {
        self.init((padding, padding, padding, padding, padding, padding), value: value)
    }
    public override var extraDescription: String { "padding=\(pythonTuple(padding)), value=\(value)" }
}

/// The mirror image of the last three dims' border, like `torch.nn.ReflectionPad3d`.
public final class ReflectionPad3d: PadBase {
    public init(_ padding: (Int, Int, Int, Int, Int, Int)) { super.init(sixSides(padding), mode: .reflect) }
    public convenience init(_ padding: Int) { self.init((padding, padding, padding, padding, padding, padding)) }
}

/// The last three dims' edges repeated, like `torch.nn.ReplicationPad3d`.
public final class ReplicationPad3d: PadBase {
    public init(_ padding: (Int, Int, Int, Int, Int, Int)) { super.init(sixSides(padding), mode: .replicate) }
    public convenience init(_ padding: Int) { self.init((padding, padding, padding, padding, padding, padding)) }
}

/// The last three dims wrapped around, like `torch.nn.CircularPad3d`.
public final class CircularPad3d: PadBase {
    public init(_ padding: (Int, Int, Int, Int, Int, Int)) { super.init(sixSides(padding), mode: .circular) }
    public convenience init(_ padding: Int) { self.init((padding, padding, padding, padding, padding, padding)) }
}

private func sixSides(_ p: (Int, Int, Int, Int, Int, Int)) -> [Int] { [p.0, p.1, p.2, p.3, p.4, p.5] }
