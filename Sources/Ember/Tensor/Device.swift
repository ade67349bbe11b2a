/// Where a tensor's storage lives. Every op runs on the backend of its inputs' device.
public enum Device: Hashable, Sendable, CustomStringConvertible {
    case cpu
    case cuda(Int)

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let index): return "cuda:\(index)"
        }
    }

    /// The backend that executes ops for tensors on this device.
    public var backend: Backend {
        switch self {
        case .cpu: return CPUBackend.shared
        case .cuda:
            fatalError("Device \(self) is not available: Ember was built with the CPU backend only. Use .cpu.")
        }
    }
}
