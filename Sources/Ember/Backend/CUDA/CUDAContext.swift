import Foundation

/// Everything Ember holds for one GPU: the primary context, one stream on which all work runs in
/// order, the compiled kernels, a cuBLAS handle, the caching allocator and the device-side error
/// record that kernels write bad indices into.
final class CUDAContext: @unchecked Sendable {
    let driver: CUDADriver
    let index: Int
    let name: String
    let computeCapability: (Int, Int)
    let context: CUhandle?
    let stream: CUhandle?
    let allocator: CUDAAllocator
    let cublas: CuBLAS
    let cublasHandle: CuBLAS.Handle?
    private var functions: [CUhandle?] = []
    /// Three int64s: kind (0 = none, 1 = index out of range, 2 = cross-entropy target), value, bound.
    let errorRecord: CUdeviceptr
    /// One counter per parameter of a multi-parameter Adam launch (`adam_foreach_f32`), zero between launches.
    let adamArrivals: CUdeviceptr
    /// True while `CUDAGraph.capture` records the stream's work instead of running it.
    var isCapturing = false
    /// The first thing a capture met that a graph cannot replay (a host copy or wait); the capture fails with it.
    var captureFailure: String?

    init(driver: CUDADriver, index: Int) throws(CUDAError) {
        self.driver = driver
        self.index = index
        var device: CUdevice = 0
        try driver.check(driver.cuDeviceGet(&device, Int32(index)), "cuDeviceGet")
        var nameBuffer = [CChar](repeating: 0, count: 256)
        try driver.check(driver.cuDeviceGetName(&nameBuffer, 256, device), "cuDeviceGetName")
        name = String(cString: nameBuffer)
        var major: Int32 = 0, minor: Int32 = 0
        try driver.check(driver.cuDeviceGetAttribute(&major, CUDADriver.computeCapabilityMajor, device), "cuDeviceGetAttribute")
        try driver.check(driver.cuDeviceGetAttribute(&minor, CUDADriver.computeCapabilityMinor, device), "cuDeviceGetAttribute")
        computeCapability = (Int(major), Int(minor))
        var ctx: CUhandle? = nil
        try driver.check(driver.cuDevicePrimaryCtxRetain(&ctx, device), "cuDevicePrimaryCtxRetain")
        context = ctx
        try driver.check(driver.cuCtxSetCurrent(ctx), "cuCtxSetCurrent")
        var s: CUhandle? = nil
        try driver.check(driver.cuStreamCreate(&s, 1), "cuStreamCreate")   // CU_STREAM_NON_BLOCKING
        stream = s
        allocator = CUDAAllocator(driver: driver)

        let cubin = try CUDAKernelCache.cubin(for: computeCapability)
        var module: CUhandle? = nil
        let loaded = cubin.withUnsafeBytes { driver.cuModuleLoadData(&module, $0.baseAddress!) }
        try driver.check(loaded, "cuModuleLoadData")
        for kernel in CUDAKernel.allCases {
            var function: CUhandle? = nil
            try driver.check(driver.cuModuleGetFunction(&function, module, kernel.rawValue), "cuModuleGetFunction(\(kernel.rawValue))")
            functions.append(function)
        }

        cublas = try CuBLAS()
        var handle: CuBLAS.Handle? = nil
        try cublas.check(cublas.cublasCreate(&handle), "cublasCreate_v2")
        cublasHandle = handle
        try cublas.check(cublas.cublasSetStream(handle, s), "cublasSetStream_v2")
        var workspace: CUdeviceptr = 0
        try driver.check(driver.cuMemAlloc(&workspace, CuBLAS.workspaceBytes), "cuMemAlloc_v2")
        try cublas.check(cublas.cublasSetWorkspace(handle, workspace, CuBLAS.workspaceBytes), "cublasSetWorkspace_v2")

        var record: CUdeviceptr = 0
        try driver.check(driver.cuMemAlloc(&record, 64), "cuMemAlloc_v2")
        try driver.check(driver.cuMemsetD8Async(record, 0, 64, s), "cuMemsetD8Async")
        errorRecord = record
        var arrivals: CUdeviceptr = 0
        try driver.check(driver.cuMemAlloc(&arrivals, 4 * CUDABackend.adamListCapacity), "cuMemAlloc_v2")
        try driver.check(driver.cuMemsetD8Async(arrivals, 0, 4 * CUDABackend.adamListCapacity, s), "cuMemsetD8Async")
        adamArrivals = arrivals
    }

    /// Makes the context current on the calling thread (the driver keeps one per thread).
    @inline(__always) func makeCurrent() { _ = driver.cuCtxSetCurrent(context) }

    /// Queues `kernel` on the stream over `count` elements, one thread each (grid-stride loops).
    func launch(_ kernel: CUDAKernel, count: Int, _ args: CUDAKernelArguments) {
        guard count > 0 else { return }
        let threads = 256
        launch(kernel, blocks: Swift.min((count + threads - 1) / threads, 16384), threads: threads, args)
    }

    func launch(_ kernel: CUDAKernel, blocks: Int, blocksY: Int = 1, threads: Int, threadsY: Int = 1,
                _ args: CUDAKernelArguments) {
        guard blocks > 0 && blocksY > 0 else { return }
        makeCurrent()
        var size = args.bytes.count
        // The driver copies the parameters during the call, so pointers to these locals are enough.
        let result = args.bytes.withUnsafeBytes { buffer in
            withUnsafeMutablePointer(to: &size) { sizePointer in
                var extra: (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
                            UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) =
                    (UnsafeMutableRawPointer(bitPattern: 1), UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                     UnsafeMutableRawPointer(bitPattern: 2), UnsafeMutableRawPointer(sizePointer), nil)
                return withUnsafeMutableBytes(of: &extra) { extraBytes in
                    driver.cuLaunchKernel(functions[kernel.ordinal], UInt32(blocks), UInt32(blocksY), 1, UInt32(threads), UInt32(threadsY), 1, 0,
                                          stream, nil, extraBytes.baseAddress!.assumingMemoryBound(to: UnsafeMutableRawPointer?.self))
                }
            }
        }
        driver.must(result, "cuLaunchKernel(\(kernel.rawValue))")
    }

    /// False while a graph is captured: the host cannot take part in work that is only recorded, so
    /// `what` is noted as the reason the capture fails (and the caller skips it).
    func allowsHostTraffic(_ what: String) -> Bool {
        guard isCapturing else { return true }
        if captureFailure == nil { captureFailure = what }
        return false
    }

    /// Waits for the stream, then stops with a clear message if a kernel recorded a bad index.
    func synchronize() {
        guard allowsHostTraffic("waiting for the GPU (synchronize)") else { return }
        makeCurrent()
        var record = [Int64](repeating: 0, count: 3)
        record.withUnsafeMutableBytes { bytes in
            driver.must(driver.cuMemcpyDtoHAsync(bytes.baseAddress!, errorRecord, 24, stream), "cuMemcpyDtoHAsync_v2")
        }
        driver.must(driver.cuStreamSynchronize(stream), "cuStreamSynchronize")
        switch record[0] {
        case 0: return
        case 1: fatalError("Ember: an index op on cuda:\(index) met index \(record[1]), out of bounds for a dimension of size \(record[2])")
        default: fatalError("Ember: crossEntropy on cuda:\(index): target \(record[1]) is out of bounds for \(record[2]) classes")
        }
    }
}

/// The kernels of `cudaKernelSource`, looked up once when the module loads.
enum CUDAKernel: String, CaseIterable {
    case fill_f32, fill_i64, copy_b4, copy_b8, convert_i64_f32, convert_f32_i64, broadcast_rows
    case unary_f32, binary_f32, binary_i64, binary_inplace_f32, select_f32
    case reduce_rows, reduce_cols, reduce_index
    case softmax_rows, softmax_backward_rows, cross_entropy_rows, cross_entropy_mean, cross_entropy_backward
    case layer_norm_rows, layer_norm_backward_rows, layer_norm_param_grads
    case index_select_b4, index_select_b8, index_add_f32, gather_f32, scatter_add_f32, scatter_f32
    case im2col_f32, col2im_f32, max_pool2d_f32
    case grid_sample2d_f32, grid_sample2d_backward_f32
    case adam_f32, adam_foreach_f32

    /// Position in `allCases`, the index into the context's function table.
    var ordinal: Int { Self.ordinals[self]! }
    private static let ordinals: [CUDAKernel: Int] = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })
}
