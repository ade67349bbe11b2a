import Foundation

/// Compiles `cudaKernelSource` with NVRTC once per process and compute capability, and keeps the
/// cubin in `~/.cache/ember/cuda` (or `$EMBER_CACHE_DIR/cuda`) so later processes skip the compile.
/// The file name holds a hash of the source and NVRTC's version, so a changed kernel never loads
/// a stale cubin.
enum CUDAKernelCache {
    nonisolated(unsafe) private static var compiled: [String: [UInt8]] = [:]
    private static let lock = NSLock()

    static func cubin(for capability: (Int, Int)) throws(CUDAError) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        let nvrtc = try NVRTC()
        let version = nvrtc.version
        let key = "sm\(capability.0)\(capability.1)-nvrtc\(version.major).\(version.minor)-\(sourceHash)"
        if let cubin = compiled[key] { return cubin }
        let file = cacheFolder?.appendingPathComponent("ember-\(key).cubin")
        if let file, let data = try? Data(contentsOf: file), !data.isEmpty {
            compiled[key] = [UInt8](data)
            return compiled[key]!
        }
        let cubin = try nvrtc.compile(cudaKernelSource, computeCapability: capability)
        compiled[key] = cubin
        if let file {
            // A cache that cannot be written only costs the next process a compile.
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? AtomicFile.write(Data(cubin), to: file)
        }
        return cubin
    }

    static var cacheFolder: URL? {
        let environment = ProcessInfo.processInfo.environment
        if let custom = environment["EMBER_CACHE_DIR"] { return URL(fileURLWithPath: custom).appendingPathComponent("cuda") }
        let home = NSHomeDirectory()
        return home.isEmpty ? nil : URL(fileURLWithPath: home).appendingPathComponent(".cache/ember/cuda")
    }

    /// FNV-1a of the kernel source, in hex.
    static let sourceHash: String = {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in cudaKernelSource.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }()
}
