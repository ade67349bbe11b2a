/// The element type of a tensor. Ember computes in float32 and keeps class labels and indices in int64,
/// as PyTorch does; other checkpoint dtypes are converted to one of these when loaded.
public enum DType: String, Sendable, CustomStringConvertible {
    case float32
    case int64

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float32: return 4
        case .int64: return 8
        }
    }

    public var description: String { rawValue }
}
