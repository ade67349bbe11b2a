/// cuBLAS, bound by dlsym: one handle per device, on Ember's stream.
struct CuBLAS {
    typealias Status = Int32
    typealias Handle = OpaquePointer

    let library: CUDALibraries.Handle
    let cublasCreate: @convention(c) (UnsafeMutablePointer<Handle?>) -> Status
    let cublasSetStream: @convention(c) (Handle?, CUhandle?) -> Status
    let cublasSetMathMode: @convention(c) (Handle?, Int32) -> Status
    let cublasSetWorkspace: @convention(c) (Handle?, UInt64, Int) -> Status
    /// cublasSgemmStridedBatched (column-major; see `CUDABackend.matmul` for the row-major mapping).
    let cublasSgemmStridedBatched: @convention(c) (
        Handle?, Int32, Int32, Int32, Int32, Int32, UnsafePointer<Float>, UInt64, Int32, Int64,
        UInt64, Int32, Int64, UnsafePointer<Float>, UInt64, Int32, Int64, Int32) -> Status

    static let opN: Int32 = 0, opT: Int32 = 1
    /// CUBLAS_DEFAULT_MATH (full FP32, PyTorch's default) and CUBLAS_TF32_TENSOR_OP_MATH.
    static let defaultMath: Int32 = 0, tf32Math: Int32 = 3
    /// Ember's workspace for cuBLAS (PyTorch's default size on Hopper). Without one, cuBLAS
    /// allocates its split-K scratch itself, which adds allocation and free nodes to a captured graph.
    static let workspaceBytes = 32 << 20

    init() throws(CUDAError) {
        let lib = try CUDALibraries.open(["libcublas.so.13", "libcublas.so.12", "libcublas.so"])
        library = lib
        cublasCreate = try lib.symbol("cublasCreate_v2", as: type(of: cublasCreate))
        cublasSetStream = try lib.symbol("cublasSetStream_v2", as: type(of: cublasSetStream))
        cublasSetMathMode = try lib.symbol("cublasSetMathMode", as: type(of: cublasSetMathMode))
        cublasSetWorkspace = try lib.symbol("cublasSetWorkspace_v2", as: type(of: cublasSetWorkspace))
        cublasSgemmStridedBatched = try lib.symbol("cublasSgemmStridedBatched", as: type(of: cublasSgemmStridedBatched))
    }

    func check(_ status: Status, _ function: String) throws(CUDAError) {
        guard status != 0 else { return }
        throw CUDAError.call(function, code: status, message: "cuBLAS status \(status)")
    }
}
