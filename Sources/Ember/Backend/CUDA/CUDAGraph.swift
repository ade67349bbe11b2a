/// The GPU work of a closure, recorded once and replayed with a single launch, like
/// `torch.cuda.CUDAGraph`. A training step of a small model is dozens of tiny kernels whose cost is
/// the host queuing them one by one; a replay queues them all at once.
///
///     for _ in 0..<3 { trainStep() }                  // warm up: optimizer state, kernels, cuBLAS
///     let graph = try CUDAGraph(device: .cuda)
///     let loss = try graph.capture { trainStep(staticImages, staticLabels) }
///     for (x, y) in batches {
///         staticImages.copy_(x); staticLabels.copy_(y)  // the inputs live at fixed addresses
///         graph.replay()                                // `loss` now holds this step's loss
///     }
///
/// What the captured code may not do, and what to do instead:
/// - read values on the host (`item()`, `toArray()`, `to(.cpu)`) or copy host values to the GPU
///   (new tensors from arrays, dropout's random masks): the capture then fails, naming what it met;
///   run such code outside, or warm up first so that state tensors already exist;
/// - rely on host numbers that change between replays: every kernel keeps the arguments it was
///   captured with (a new learning rate needs a new capture; Adam's step counts live on the GPU).
/// Tensors that the captured work reads must stay alive while the graph is used; tensors it creates
/// come from the graph's own memory and are overwritten by every replay.
public final class CUDAGraph {
    private let context: CUDAContext
    private var graph: CUhandle?
    private var executable: CUhandle?
    /// The memory of the captured tensors, kept while the graph lives.
    private var pool: CUDAGraphMemoryPool?

    public init(device: Device = .cuda) throws(CUDAError) {
        guard case .cuda(let index) = device else { throw CUDAError.notCUDA(device) }
        context = try CUDA.backend(index).context
    }

    /// Records the GPU work that `body` queues, without running it, and returns what `body` returned
    /// (tensors whose contents each `replay()` rewrites). Replaces an earlier capture.
    public func capture<Result>(_ body: () throws -> Result) throws -> Result {
        let driver = context.driver
        precondition(!context.isCapturing, "Ember: a CUDA graph is already being captured on cuda:\(context.index)")
        context.makeCurrent()
        let newPool = CUDAGraphMemoryPool(allocator: context.allocator)
        try driver.check(driver.cuStreamBeginCapture(context.stream, CUDADriver.captureModeRelaxed), "cuStreamBeginCapture_v2")
        context.isCapturing = true
        context.captureFailure = nil
        context.allocator.capturePool = newPool
        let outcome = Swift.Result { try body() }
        context.isCapturing = false
        context.allocator.capturePool = nil
        var captured: CUhandle? = nil
        let ended = driver.cuStreamEndCapture(context.stream, &captured)
        var failure: Error? = context.captureFailure.map { CUDAError.captureFailed($0) }
        if failure == nil, case .failure(let error) = outcome { failure = error }
        if let failure {
            if captured != nil { _ = driver.cuGraphDestroy(captured) }
            throw failure
        }
        let result = try outcome.get()
        try driver.check(ended, "cuStreamEndCapture")
        var instance: CUhandle? = nil
        try driver.check(driver.cuGraphInstantiateWithFlags(&instance, captured, 0), "cuGraphInstantiateWithFlags")
        release()
        graph = captured
        executable = instance
        pool = newPool
        return result
    }

    /// Queues the captured work once more (asynchronously, like every GPU op).
    public func replay() {
        guard let executable else { fatalError("Ember: CUDAGraph.replay() needs a successful capture() first") }
        context.makeCurrent()
        context.driver.must(context.driver.cuGraphLaunch(executable, context.stream), "cuGraphLaunch")
    }

    /// One line per node of the captured graph, in the driver's order: kernels by name with their
    /// grid and block sizes, other nodes by kind. For profiling; empty before a capture or when the
    /// driver lacks the inspection calls.
    public var nodes: [String] {
        let driver = context.driver
        guard let graph, let getNodes = driver.cuGraphGetNodes, let getType = driver.cuGraphNodeGetType else { return [] }
        var count = 0
        guard getNodes(graph, nil, &count) == 0 else { return [] }
        var handles = [CUhandle?](repeating: nil, count: count)
        guard getNodes(graph, &handles, &count) == 0 else { return [] }
        let kinds = ["kernel", "memcpy", "memset", "host", "child graph", "empty", "wait event", "record event"]
        return handles.prefix(count).map { node in
            var type: Int32 = -1
            _ = getType(node, &type)
            guard type == 0, let getParams = driver.cuGraphKernelNodeGetParams else {
                return type >= 0 && Int(type) < kinds.count ? kinds[Int(type)] : "node of type \(type)"
            }
            // CUDA_KERNEL_NODE_PARAMS_v2 starts with the function, then grid x, y, z and block x, y, z (UInt32).
            let params = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 16)
            defer { params.deallocate() }
            guard getParams(node, params) == 0 else { return "kernel" }
            let function = params.load(as: CUhandle?.self)
            let dims = (0..<6).map { params.load(fromByteOffset: 8 + 4 * $0, as: UInt32.self) }
            var name: UnsafePointer<CChar>? = nil
            let text = driver.cuFuncGetName.map { $0(&name, function) == 0 } == true ? String(cString: name!) : "kernel"
            return "\(text) grid \(dims[0])x\(dims[1])x\(dims[2]) block \(dims[3])x\(dims[4])x\(dims[5])"
        }
    }

    private func release() {
        if let executable { _ = context.driver.cuGraphExecDestroy(executable) }
        if let graph { _ = context.driver.cuGraphDestroy(graph) }
        executable = nil
        graph = nil
        pool = nil
    }

    deinit { release() }
}
