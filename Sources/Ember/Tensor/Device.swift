/// Where a tensor's storage lives. Every op runs on the backend of its inputs' device.
public enum Device: Hashable, Sendable, CustomStringConvertible {
    case cpu
    case cuda(Int)

    /// The first GPU: `Device.cuda(0)`.
    public static var cuda: Device { .cuda(0) }

    /// Whether a CUDA GPU can be used (`torch.cuda.is_available()`).
    public static var isCUDAAvailable: Bool { CUDA.isAvailable }

    /// `.cuda(0)` when a GPU is available, else `.cpu`: the tutorials'
    /// `torch.device('cuda' if torch.cuda.is_available() else 'cpu')`.
    public static var cudaIfAvailable: Device { CUDA.isAvailable ? .cuda(0) : .cpu }

    /// Parses "cpu", "cuda" or "cuda:N"; nil for anything else.
    public init?(_ text: String) {
        if text == "cpu" { self = .cpu; return }
        if text == "cuda" { self = .cuda(0); return }
        if text.hasPrefix("cuda:"), let index = Int(text.dropFirst(5)), index >= 0 { self = .cuda(index); return }
        return nil
    }

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let index): return "cuda:\(index)"
        }
    }

    /// The backend that executes ops for tensors on this device. Stops with the reason (no driver,
    /// no GPU, no such index) when a CUDA device cannot be used; check `isCUDAAvailable` first.
    public var backend: Backend {
        switch self {
        case .cpu: return CPUBackend.shared
        case .cuda(let index):
            do {
                return try CUDA.backend(index)
            } catch {
                fatalError("Ember: cannot use \(self): \(error)")
            }
        }
    }
}
