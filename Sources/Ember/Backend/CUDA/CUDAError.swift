/// Why the CUDA backend could not start or a CUDA call failed, with what to do about it.
public enum CUDAError: Error, CustomStringConvertible, Equatable {
    /// None of a library's names could be opened.
    case libraryNotFound(String, searched: [String], lastError: String)
    /// A library opened but lacks a function Ember needs (usually too old a CUDA).
    case missingSymbol(String, library: String)
    /// A driver, NVRTC or cuBLAS call returned an error.
    case call(String, code: Int32, message: String)
    /// NVRTC rejected the kernel source; `log` is its compile log.
    case compilation(log: String)
    /// The machine has fewer GPUs than the device index asked for.
    case noSuchDevice(Int, available: Int)
    /// A CUDA-only feature was asked for on another device.
    case notCUDA(Device)
    /// A graph capture met work that a replay cannot repeat.
    case captureFailed(String)

    public var description: String {
        switch self {
        case .libraryNotFound(let name, let searched, let lastError):
            return "CUDA: could not load \(name) (\(lastError.isEmpty ? "not found" : lastError)). Searched the system "
                + "loader and: \(searched.joined(separator: ", ")). Install the NVIDIA driver and CUDA 12/13 (or the "
                + "nvidia-* Python wheels), or set EMBER_CUDA_PATH to the folder that holds it"
        case .missingSymbol(let symbol, let library):
            return "CUDA: \(library) has no function \(symbol); it is probably older than CUDA 12, which Ember needs"
        case .call(let function, let code, let message):
            return "CUDA: \(function) failed with error \(code) (\(message))"
        case .compilation(let log):
            return "CUDA: NVRTC could not compile Ember's kernels:\n\(log)"
        case .noSuchDevice(let index, let available):
            return "CUDA: there is no device cuda:\(index); this machine has \(available) CUDA device(s)"
        case .notCUDA(let device):
            return "CUDA: CUDA graphs need a CUDA device, not \(device)"
        case .captureFailed(let what):
            return "CUDA: the graph capture met \(what), which a replay cannot repeat. Keep host reads and host data "
                + "out of the captured code, and run a few steps before capturing so that state tensors already exist"
        }
    }
}
