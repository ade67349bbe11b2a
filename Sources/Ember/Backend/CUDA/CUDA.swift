import Foundation

/// CUDA availability and per-device backends, like `torch.cuda`.
///
///     let device = Device.cudaIfAvailable          // torch.device('cuda' if available else 'cpu')
///     let model = MLP().to(device)
///     let x = batch.to(device)
public enum CUDA {
    /// The driver, loaded and initialised once; the error says why not when it cannot be.
    private static let driver: Result<CUDADriver, CUDAError> = {
        do throws(CUDAError) {
            let driver = try CUDADriver()
            try driver.check(driver.cuInit(0), "cuInit")
            return .success(driver)
        } catch {
            return .failure(error)
        }
    }()

    nonisolated(unsafe) private static var backends: [Int: CUDABackend] = [:]
    private static let lock = NSLock()

    /// Whether a CUDA driver and at least one GPU are present (`torch.cuda.is_available()`).
    public static var isAvailable: Bool { deviceCount > 0 }

    /// The number of CUDA devices (0 without a driver or GPU).
    public static var deviceCount: Int {
        guard case .success(let d) = driver else { return 0 }
        var count: Int32 = 0
        return d.cuDeviceGetCount(&count) == 0 ? Int(count) : 0
    }

    /// Why CUDA is unavailable, or nil when it is available.
    public static var unavailableReason: String? {
        switch driver {
        case .failure(let error): return error.description
        case .success: return deviceCount > 0 ? nil : "CUDA: the driver loaded but reports no CUDA devices"
        }
    }

    /// The backend of `cuda:index`, created (context, stream, kernels compiled) on first use.
    public static func backend(_ index: Int) throws(CUDAError) -> CUDABackend {
        lock.lock()
        defer { lock.unlock() }
        if let backend = backends[index] { return backend }
        let d = try driver.get()
        let count = deviceCount
        guard index >= 0 && index < count else { throw CUDAError.noSuchDevice(index, available: count) }
        let backend = CUDABackend(context: try CUDAContext(driver: d, index: index))
        backends[index] = backend
        return backend
    }

    /// Runs `body` between cuProfilerStart and cuProfilerStop, so that a profiler started with
    /// `--profile-from-start off` (ncu, nsys) records only its GPU work.
    public static func profile(_ body: () -> Void) {
        guard case .success(let d) = driver, let start = d.cuProfilerStart, let stop = d.cuProfilerStop else { return body() }
        _ = start()
        body()
        _ = stop()
    }

    /// Waits until all queued work on `cuda:index` has finished (`torch.cuda.synchronize()`).
    public static func synchronize(_ index: Int = 0) {
        Device.cuda(index).backend.synchronize()
    }
}
