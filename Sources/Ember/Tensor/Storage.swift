/// A reference-counted block of device memory. Views of a tensor share one Storage;
/// `version` counts in-place writes so that autograd can detect a saved tensor that changed.
public final class Storage {
    public let pointer: UnsafeMutableRawPointer
    public let byteCount: Int
    public let device: Device
    /// Bumped by every in-place write; see `GradNode`.
    public internal(set) var version = 0
    private let deallocate: (UnsafeMutableRawPointer, Int) -> Void

    /// Wraps memory that `deallocate` frees when the storage dies.
    public init(pointer: UnsafeMutableRawPointer, byteCount: Int, device: Device,
                deallocate: @escaping (UnsafeMutableRawPointer, Int) -> Void) {
        self.pointer = pointer
        self.byteCount = byteCount
        self.device = device
        self.deallocate = deallocate
    }

    deinit { deallocate(pointer, byteCount) }

    @inline(__always) func floats() -> UnsafeMutablePointer<Float> {
        pointer.assumingMemoryBound(to: Float.self)
    }

    @inline(__always) func int64s() -> UnsafeMutablePointer<Int64> {
        pointer.assumingMemoryBound(to: Int64.self)
    }

    func bumpVersion() { version &+= 1 }
}
