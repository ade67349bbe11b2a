/// The CUDA driver API (libcuda.so.1), bound by dlsym to `@convention(c)` function types. Only the
/// `_v2` entry points and the primary context are used, so cuBLAS shares Ember's context.
typealias CUresult = Int32
typealias CUdevice = Int32
typealias CUdeviceptr = UInt64
typealias CUhandle = OpaquePointer   // CUcontext, CUmodule, CUfunction, CUstream

struct CUDADriver {
    let library: CUDALibraries.Handle
    let cuInit: @convention(c) (UInt32) -> CUresult
    let cuDriverGetVersion: @convention(c) (UnsafeMutablePointer<Int32>) -> CUresult
    let cuDeviceGetCount: @convention(c) (UnsafeMutablePointer<Int32>) -> CUresult
    let cuDeviceGet: @convention(c) (UnsafeMutablePointer<CUdevice>, Int32) -> CUresult
    let cuDeviceGetName: @convention(c) (UnsafeMutablePointer<CChar>, Int32, CUdevice) -> CUresult
    let cuDeviceGetAttribute: @convention(c) (UnsafeMutablePointer<Int32>, Int32, CUdevice) -> CUresult
    let cuDeviceTotalMem: @convention(c) (UnsafeMutablePointer<Int>, CUdevice) -> CUresult
    let cuDevicePrimaryCtxRetain: @convention(c) (UnsafeMutablePointer<CUhandle?>, CUdevice) -> CUresult
    let cuCtxSetCurrent: @convention(c) (CUhandle?) -> CUresult
    let cuStreamCreate: @convention(c) (UnsafeMutablePointer<CUhandle?>, UInt32) -> CUresult
    let cuStreamSynchronize: @convention(c) (CUhandle?) -> CUresult
    let cuMemAlloc: @convention(c) (UnsafeMutablePointer<CUdeviceptr>, Int) -> CUresult
    let cuMemFree: @convention(c) (CUdeviceptr) -> CUresult
    let cuMemcpyHtoDAsync: @convention(c) (CUdeviceptr, UnsafeRawPointer, Int, CUhandle?) -> CUresult
    let cuMemcpyDtoHAsync: @convention(c) (UnsafeMutableRawPointer, CUdeviceptr, Int, CUhandle?) -> CUresult
    let cuMemcpyDtoDAsync: @convention(c) (CUdeviceptr, CUdeviceptr, Int, CUhandle?) -> CUresult
    let cuMemsetD8Async: @convention(c) (CUdeviceptr, UInt8, Int, CUhandle?) -> CUresult
    let cuModuleLoadData: @convention(c) (UnsafeMutablePointer<CUhandle?>, UnsafeRawPointer) -> CUresult
    let cuModuleGetFunction: @convention(c) (UnsafeMutablePointer<CUhandle?>, CUhandle?, UnsafePointer<CChar>) -> CUresult
    let cuLaunchKernel: @convention(c) (CUhandle?, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, CUhandle?,
                                        UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                                        UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> CUresult
    let cuGetErrorString: @convention(c) (CUresult, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> CUresult
    // Stream capture and graphs (CUDAGraph).
    let cuStreamBeginCapture: @convention(c) (CUhandle?, Int32) -> CUresult
    let cuStreamEndCapture: @convention(c) (CUhandle?, UnsafeMutablePointer<CUhandle?>) -> CUresult
    let cuGraphInstantiateWithFlags: @convention(c) (UnsafeMutablePointer<CUhandle?>, CUhandle?, UInt64) -> CUresult
    let cuGraphLaunch: @convention(c) (CUhandle?, CUhandle?) -> CUresult
    let cuGraphExecDestroy: @convention(c) (CUhandle?) -> CUresult
    let cuGraphDestroy: @convention(c) (CUhandle?) -> CUresult
    // Optional: inspecting a captured graph and marking a range for a profiler (ncu --profile-from-start off).
    typealias GraphGetNodes = @convention(c) (CUhandle?, UnsafeMutablePointer<CUhandle?>?, UnsafeMutablePointer<Int>) -> CUresult
    typealias GraphNodeGetType = @convention(c) (CUhandle?, UnsafeMutablePointer<Int32>) -> CUresult
    typealias GraphKernelNodeGetParams = @convention(c) (CUhandle?, UnsafeMutableRawPointer) -> CUresult
    typealias FuncGetName = @convention(c) (UnsafeMutablePointer<UnsafePointer<CChar>?>, CUhandle?) -> CUresult
    typealias ProfilerControl = @convention(c) () -> CUresult
    let cuGraphGetNodes: GraphGetNodes?
    let cuGraphNodeGetType: GraphNodeGetType?
    let cuGraphKernelNodeGetParams: GraphKernelNodeGetParams?
    let cuFuncGetName: FuncGetName?
    let cuProfilerStart: ProfilerControl?
    let cuProfilerStop: ProfilerControl?

    init() throws(CUDAError) {
        let lib = try CUDALibraries.open(["libcuda.so.1", "libcuda.so"])
        library = lib
        cuInit = try lib.symbol("cuInit", as: type(of: cuInit))
        cuDriverGetVersion = try lib.symbol("cuDriverGetVersion", as: type(of: cuDriverGetVersion))
        cuDeviceGetCount = try lib.symbol("cuDeviceGetCount", as: type(of: cuDeviceGetCount))
        cuDeviceGet = try lib.symbol("cuDeviceGet", as: type(of: cuDeviceGet))
        cuDeviceGetName = try lib.symbol("cuDeviceGetName", as: type(of: cuDeviceGetName))
        cuDeviceGetAttribute = try lib.symbol("cuDeviceGetAttribute", as: type(of: cuDeviceGetAttribute))
        cuDeviceTotalMem = try lib.symbol("cuDeviceTotalMem_v2", as: type(of: cuDeviceTotalMem))
        cuDevicePrimaryCtxRetain = try lib.symbol("cuDevicePrimaryCtxRetain", as: type(of: cuDevicePrimaryCtxRetain))
        cuCtxSetCurrent = try lib.symbol("cuCtxSetCurrent", as: type(of: cuCtxSetCurrent))
        cuStreamCreate = try lib.symbol("cuStreamCreate", as: type(of: cuStreamCreate))
        cuStreamSynchronize = try lib.symbol("cuStreamSynchronize", as: type(of: cuStreamSynchronize))
        cuMemAlloc = try lib.symbol("cuMemAlloc_v2", as: type(of: cuMemAlloc))
        cuMemFree = try lib.symbol("cuMemFree_v2", as: type(of: cuMemFree))
        cuMemcpyHtoDAsync = try lib.symbol("cuMemcpyHtoDAsync_v2", as: type(of: cuMemcpyHtoDAsync))
        cuMemcpyDtoHAsync = try lib.symbol("cuMemcpyDtoHAsync_v2", as: type(of: cuMemcpyDtoHAsync))
        cuMemcpyDtoDAsync = try lib.symbol("cuMemcpyDtoDAsync_v2", as: type(of: cuMemcpyDtoDAsync))
        cuMemsetD8Async = try lib.symbol("cuMemsetD8Async", as: type(of: cuMemsetD8Async))
        cuModuleLoadData = try lib.symbol("cuModuleLoadData", as: type(of: cuModuleLoadData))
        cuModuleGetFunction = try lib.symbol("cuModuleGetFunction", as: type(of: cuModuleGetFunction))
        cuLaunchKernel = try lib.symbol("cuLaunchKernel", as: type(of: cuLaunchKernel))
        cuGetErrorString = try lib.symbol("cuGetErrorString", as: type(of: cuGetErrorString))
        cuStreamBeginCapture = try lib.symbol("cuStreamBeginCapture_v2", as: type(of: cuStreamBeginCapture))
        cuStreamEndCapture = try lib.symbol("cuStreamEndCapture", as: type(of: cuStreamEndCapture))
        cuGraphInstantiateWithFlags = try lib.symbol("cuGraphInstantiateWithFlags", as: type(of: cuGraphInstantiateWithFlags))
        cuGraphLaunch = try lib.symbol("cuGraphLaunch", as: type(of: cuGraphLaunch))
        cuGraphExecDestroy = try lib.symbol("cuGraphExecDestroy", as: type(of: cuGraphExecDestroy))
        cuGraphDestroy = try lib.symbol("cuGraphDestroy", as: type(of: cuGraphDestroy))
        cuGraphGetNodes = try? lib.symbol("cuGraphGetNodes", as: GraphGetNodes.self)
        cuGraphNodeGetType = try? lib.symbol("cuGraphNodeGetType", as: GraphNodeGetType.self)
        cuGraphKernelNodeGetParams = try? lib.symbol("cuGraphKernelNodeGetParams_v2", as: GraphKernelNodeGetParams.self)
        cuFuncGetName = try? lib.symbol("cuFuncGetName", as: FuncGetName.self)
        cuProfilerStart = try? lib.symbol("cuProfilerStart", as: ProfilerControl.self)
        cuProfilerStop = try? lib.symbol("cuProfilerStop", as: ProfilerControl.self)
    }

    /// Throws a `CUDAError` naming `function` and the driver's message when `result` is not CUDA_SUCCESS.
    func check(_ result: CUresult, _ function: String) throws(CUDAError) {
        guard result != 0 else { return }
        var text: UnsafePointer<CChar>? = nil
        _ = cuGetErrorString(result, &text)
        throw CUDAError.call(function, code: result, message: text.map { String(cString: $0) } ?? "unknown error")
    }

    /// For calls inside tensor ops, where an error is a broken device rather than bad input: stops
    /// with the driver's message.
    func must(_ result: CUresult, _ function: String) {
        do { try check(result, function) } catch { fatalError("Ember: \(error)") }
    }

    // Device attributes (CUdevice_attribute).
    static let computeCapabilityMajor: Int32 = 75
    static let computeCapabilityMinor: Int32 = 76
    static let multiprocessorCount: Int32 = 16
    /// CU_STREAM_CAPTURE_MODE_RELAXED: lets the allocator call cuMemAlloc while a graph is captured.
    static let captureModeRelaxed: Int32 = 2
}
