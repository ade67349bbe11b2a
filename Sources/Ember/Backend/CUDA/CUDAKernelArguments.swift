/// A kernel's parameters packed the way the CUDA ABI lays them out (each at its natural alignment),
/// passed to cuLaunchKernel as one buffer (CU_LAUNCH_PARAM_BUFFER_POINTER).
struct CUDAKernelArguments {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(512) }

    private mutating func append<T>(_ value: T) {
        let alignment = MemoryLayout<T>.alignment
        while bytes.count % alignment != 0 { bytes.append(0) }
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }

    mutating func pointer(_ address: CUdeviceptr) { append(address) }
    mutating func int64(_ value: Int) { append(Int64(value)) }
    mutating func int32(_ value: Int32) { append(value) }
    mutating func float(_ value: Float) { append(value) }
    /// A `struct { i64 ...; }` of the kernel source, member by member.
    mutating func int64s(_ values: [Int]) { for v in values { append(Int64(v)) } }
}

/// The `Shape` and `Strides` structs of the kernel source: dims merged where every operand is
/// contiguous across them (rank 0 when all operands are plainly contiguous).
struct CUDAStridedLayout {
    static let maxRank = 8
    let rank: Int
    let sizes: [Int]
    let strides: [[Int]]

    init(shape: [Int], operandStrides: [[Int]]) {
        let loop = StridedLoop(shape: shape, strides: operandStrides)
        if loop.sizes.count == 1 && loop.strides.allSatisfy({ $0[0] == 1 }) {
            rank = 0
        } else {
            rank = loop.sizes.count
            precondition(rank <= Self.maxRank, "Ember: CUDA element-wise ops support up to \(Self.maxRank) "
                + "non-mergeable dimensions; shape \(shape) needs \(rank). Make the tensor contiguous first")
        }
        sizes = loop.sizes
        strides = loop.strides
    }

    func appendShape(to args: inout CUDAKernelArguments) {
        args.int64(rank)
        args.int64s(sizes + [Int](repeating: 1, count: Self.maxRank - sizes.count))
    }

    func appendStrides(_ operand: Int, to args: inout CUDAKernelArguments) {
        args.int64s(strides[operand] + [Int](repeating: 0, count: Self.maxRank - strides[operand].count))
    }
}
