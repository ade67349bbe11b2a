import Foundation

/// The CUDA backend: kernels compiled by NVRTC at first use, matrix products through cuBLAS, memory
/// from a caching allocator, all work queued in order on one stream. The host waits only when it
/// needs a value (`item()`, `toArray()`, a copy to the CPU).
///
/// Get one through `Device.cuda(n).backend`; nothing CUDA is needed to build Ember.
public final class CUDABackend: Backend, @unchecked Sendable {
    let context: CUDAContext
    public let device: Device

    init(context: CUDAContext) {
        self.context = context
        device = .cuda(context.index)
    }

    /// The GPU's name, as the driver reports it ("NVIDIA H100 80GB HBM3").
    public var deviceName: String { context.name }
    public var computeCapability: (major: Int, minor: Int) { context.computeCapability }

    /// Lets cuBLAS use TF32 tensor cores for float32 products: about 8× faster on Ampere and later,
    /// with a 10-bit mantissa for the products' inputs. Off by default, like PyTorch's
    /// `torch.backends.cuda.matmul.allow_tf32`.
    public var allowTF32 = false {
        didSet {
            context.makeCurrent()
            _ = context.cublas.cublasSetMathMode(context.cublasHandle, allowTF32 ? CuBLAS.tf32Math : CuBLAS.defaultMath)
        }
    }

    var driver: CUDADriver { context.driver }

    // MARK: Addresses

    @inline(__always) func address(_ storage: Storage) -> CUdeviceptr { UInt64(UInt(bitPattern: storage.pointer)) }
    @inline(__always) func address(_ view: StridedView) -> CUdeviceptr {
        address(view.storage) + UInt64(view.offset * view.dtype.itemSize)
    }

    /// `view` itself when contiguous, else a contiguous copy of it.
    func contiguous(_ view: StridedView) -> StridedView {
        if view.isContiguous { return view }
        return StridedView(storage: copy(view), shape: view.shape, strides: Shape.contiguousStrides(view.shape),
                           offset: 0, dtype: view.dtype)
    }

    /// A contiguous int64 view of index values (converting float indices).
    func int64Indices(_ view: StridedView) -> StridedView {
        if view.dtype == .int64 { return contiguous(view) }
        return StridedView(storage: convert(view, to: .int64), shape: view.shape,
                           strides: Shape.contiguousStrides(view.shape), offset: 0, dtype: .int64)
    }

    // MARK: Memory

    public func allocate(count: Int, dtype: DType) -> Storage {
        let pointer = { (address: CUdeviceptr) in UnsafeMutableRawPointer(bitPattern: UInt(address))! }
        if let pool = context.allocator.capturePool {
            let (address, size) = pool.allocate(count * dtype.itemSize)
            return Storage(pointer: pointer(address), byteCount: size, device: device) { p, size in
                pool.release(UInt64(UInt(bitPattern: p)), size: size)
            }
        }
        let (address, size) = context.allocator.allocate(count * dtype.itemSize)
        let allocator = context.allocator
        return Storage(pointer: pointer(address), byteCount: size, device: device) { p, size in
            allocator.release(UInt64(UInt(bitPattern: p)), size: size)
        }
    }

    /// Returns cached device blocks to the driver (like `torch.cuda.empty_cache()`).
    public func emptyCache() { context.allocator.emptyCache() }

    public func copy(_ view: StridedView) -> Storage {
        let out = allocate(count: view.count, dtype: view.dtype)
        copy(view, into: StridedView(storage: out, shape: view.shape, strides: Shape.contiguousStrides(view.shape),
                                     offset: 0, dtype: view.dtype))
        return out
    }

    public func convert(_ view: StridedView, to dtype: DType) -> Storage {
        if dtype == view.dtype { return copy(view) }
        let source = contiguous(view)
        let out = allocate(count: view.count, dtype: dtype)
        var args = CUDAKernelArguments()
        args.pointer(address(out))
        args.pointer(address(source))
        args.int64(view.count)
        context.launch(dtype == .float32 ? .convert_i64_f32 : .convert_f32_i64, count: view.count, args)
        withExtendedLifetime(source) {}
        return out
    }

    public func copy(_ view: StridedView, into destination: StridedView) {
        precondition(view.dtype == destination.dtype, "Ember: copy between \(view.dtype) and \(destination.dtype)")
        let n = view.count
        guard n > 0 else { return }
        if view.isContiguous && destination.isContiguous {
            context.makeCurrent()
            driver.must(driver.cuMemcpyDtoDAsync(address(destination), address(view), n * view.dtype.itemSize, context.stream),
                        "cuMemcpyDtoDAsync_v2")
        } else {
            let layout = CUDAStridedLayout(shape: view.shape, operandStrides: [destination.strides, view.strides])
            var args = CUDAKernelArguments()
            args.pointer(address(destination))
            args.pointer(address(view))
            args.int64(n)
            layout.appendShape(to: &args)
            layout.appendStrides(0, to: &args)
            layout.appendStrides(1, to: &args)
            context.launch(view.dtype.itemSize == 4 ? .copy_b4 : .copy_b8, count: n, args)
        }
        destination.storage.bumpVersion()
    }

    public func fill(_ storage: Storage, count: Int, dtype: DType, value: Double) {
        var args = CUDAKernelArguments()
        args.pointer(address(storage))
        args.int64(count)
        switch dtype {
        case .float32:
            args.float(Float(value))
            context.launch(.fill_f32, count: count, args)
        case .int64:
            args.int64(Int(value))
            context.launch(.fill_i64, count: count, args)
        }
    }

    public func upload(_ values: UnsafeRawBufferPointer, into storage: Storage) {
        guard let base = values.baseAddress, values.count > 0 else { return }
        // A graph would replay a copy from host memory that is gone by then.
        guard context.allowsHostTraffic("copying host values to the GPU") else { return }
        context.makeCurrent()
        // From pageable memory the driver stages the bytes before returning, so `values` may go at once.
        driver.must(driver.cuMemcpyHtoDAsync(address(storage), base, values.count, context.stream), "cuMemcpyHtoDAsync_v2")
    }

    public func download(_ view: StridedView, into destination: UnsafeMutableRawPointer) {
        guard context.allowsHostTraffic("reading a GPU value on the host (item(), toArray(), to(.cpu))") else {
            memset(destination, 0, view.count * view.dtype.itemSize)
            return
        }
        let source = contiguous(view)
        let bytes = view.count * view.dtype.itemSize
        if bytes > 0 {
            context.makeCurrent()
            driver.must(driver.cuMemcpyDtoHAsync(destination, address(source), bytes, context.stream), "cuMemcpyDtoHAsync_v2")
        }
        context.synchronize()
        withExtendedLifetime(source) {}
    }

    public func synchronize() { context.synchronize() }

    // MARK: Random: drawn on the host from Ember's seeded generator, so a seed gives the same numbers
    // on every device.

    public func uniform(_ storage: Storage, count: Int, low: Float, high: Float, generator: RandomGenerator) {
        upload(count, drawnBy: { generator.fillUniform($0, low: low, high: high) }, into: storage)
    }

    public func dropoutMask(_ storage: Storage, count: Int, p: Float, scale: Float, generator: RandomGenerator) {
        upload(count, drawnBy: { generator.fillDropoutMask($0, p: p, scale: scale) }, into: storage)
    }

    public func normal(_ storage: Storage, count: Int, mean: Float, std: Float, generator: RandomGenerator) {
        upload(count, drawnBy: { generator.fillNormal($0, mean: mean, std: std) }, into: storage)
    }

    /// Draws `count` values on the host (the generator's sequence, as on the CPU) and uploads them.
    private func upload(_ count: Int, drawnBy fill: (UnsafeMutableBufferPointer<Float>) -> Void, into storage: Storage) {
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer)
            initialized = count
        }
        values.withUnsafeBytes { upload($0, into: storage) }
    }
}
