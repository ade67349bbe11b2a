/// Creating tensors from Swift values, constants and random numbers.
extension Tensor {
    /// A float32 tensor from values in row-major order; `shape` defaults to [values.count].
    public convenience init(_ values: [Float], shape: [Int]? = nil, requiresGrad: Bool = false, device: Device = .cpu) {
        let shape = shape ?? [values.count]
        precondition(Shape.count(shape) == values.count,
                     "Ember: Tensor: \(values.count) values cannot fill shape \(shape) (\(Shape.count(shape)) elements)")
        let storage = device.backend.allocate(count: values.count, dtype: .float32)
        values.withUnsafeBytes { device.backend.upload($0, into: storage) }
        self.init(storage: storage, shape: shape, strides: Shape.contiguousStrides(shape), dtype: .float32,
                  requiresGrad: requiresGrad)
    }

    /// An int64 tensor (class labels, indices), like `torch.tensor([1, 2, 3])`.
    public convenience init(_ values: [Int], shape: [Int]? = nil, device: Device = .cpu) {
        let shape = shape ?? [values.count]
        precondition(Shape.count(shape) == values.count,
                     "Ember: Tensor: \(values.count) values cannot fill shape \(shape) (\(Shape.count(shape)) elements)")
        let storage = device.backend.allocate(count: values.count, dtype: .int64)
        values.map { Int64($0) }.withUnsafeBytes { device.backend.upload($0, into: storage) }
        self.init(storage: storage, shape: shape, strides: Shape.contiguousStrides(shape), dtype: .int64)
    }

    /// A rank-0 tensor holding one value.
    public convenience init(_ scalar: Float, requiresGrad: Bool = false) {
        self.init([scalar], shape: [], requiresGrad: requiresGrad)
    }

    /// A matrix from nested rows: `Tensor([[1, 2], [3, 4]])`.
    public convenience init(_ rows: [[Float]], requiresGrad: Bool = false) {
        let width = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == width },
                     "Ember: Tensor: rows have different lengths \(rows.map(\.count)); a matrix needs equal rows")
        self.init(rows.flatMap { $0 }, shape: [rows.count, width], requiresGrad: requiresGrad)
    }

    /// A rank-3 tensor from nested arrays.
    public convenience init(_ planes: [[[Float]]], requiresGrad: Bool = false) {
        let rows = planes.first?.count ?? 0, width = planes.first?.first?.count ?? 0
        precondition(planes.allSatisfy { $0.count == rows && $0.allSatisfy { $0.count == width } },
                     "Ember: Tensor: nested arrays are ragged; every plane needs \(rows) rows of \(width)")
        self.init(planes.flatMap { $0.flatMap { $0 } }, shape: [planes.count, rows, width], requiresGrad: requiresGrad)
    }

    /// A matrix of int64 values from nested rows.
    public convenience init(_ rows: [[Int]]) {
        let width = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == width },
                     "Ember: Tensor: rows have different lengths \(rows.map(\.count)); a matrix needs equal rows")
        self.init(rows.flatMap { $0 }, shape: [rows.count, width])
    }

    /// A tensor filled with `value`.
    public static func full(_ shape: [Int], _ value: Float, dtype: DType = .float32, device: Device = .cpu,
                            requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitializedShape: shape, dtype: dtype, device: device)
        device.backend.fill(t.storage, count: t.count, dtype: dtype, value: Double(value))
        t.requiresGrad = requiresGrad
        return t
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu, requiresGrad: Bool = false) -> Tensor {
        full(shape, 0, dtype: dtype, device: device, requiresGrad: requiresGrad)
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu, requiresGrad: Bool = false) -> Tensor {
        full(shape, 1, dtype: dtype, device: device, requiresGrad: requiresGrad)
    }

    public static func zeros(like t: Tensor) -> Tensor { zeros(t.shape, dtype: t.dtype, device: t.device) }
    public static func ones(like t: Tensor) -> Tensor { ones(t.shape, dtype: t.dtype, device: t.device) }

    /// Values start, start+step, ... below end (float32), like `torch.arange`.
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1, device: Device = .cpu) -> Tensor {
        precondition(step != 0, "Ember: arange: step must be nonzero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<n).map { start + Float($0) * step }, device: device)
    }

    /// Integers 0..<end as int64, like `torch.arange(end)` with integer arguments.
    public static func arange(_ end: Int, device: Device = .cpu) -> Tensor {
        Tensor(Array(0..<Swift.max(end, 0)), device: device)
    }

    /// `steps` evenly spaced values from start to end inclusive.
    public static func linspace(_ start: Float, _ end: Float, steps: Int, device: Device = .cpu) -> Tensor {
        precondition(steps >= 0, "Ember: linspace: steps must be non-negative, got \(steps)")
        if steps == 1 { return Tensor([start], device: device) }
        let step = (end - start) / Float(Swift.max(steps - 1, 1))
        return Tensor((0..<steps).map { $0 == steps - 1 ? end : start + Float($0) * step }, device: device)
    }

    /// The n×m identity matrix (m defaults to n).
    public static func eye(_ n: Int, _ m: Int? = nil, device: Device = .cpu) -> Tensor {
        let m = m ?? n
        var values = [Float](repeating: 0, count: n * m)
        for i in 0..<Swift.min(n, m) { values[i * m + i] = 1 }
        return Tensor(values, shape: [n, m], device: device)
    }

    /// Uniform in [low, high) from the global (or given) generator.
    public static func rand(_ shape: [Int], low: Float = 0, high: Float = 1, generator: RandomGenerator = .global,
                            device: Device = .cpu, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitializedShape: shape, device: device)
        device.backend.uniform(t.storage, count: t.count, low: low, high: high, generator: generator)
        t.requiresGrad = requiresGrad
        return t
    }

    /// Dropout's mask: 1/(1 − p) with probability 1 − p, else 0 (the same draws as
    /// `(rand(shape) ≥ p) · 1/(1 − p)`, in one pass).
    static func dropoutMask(_ shape: [Int], p: Float, generator: RandomGenerator, device: Device) -> Tensor {
        let t = Tensor(uninitializedShape: shape, device: device)
        // 1/(1 − p) from p as the decimal it was written as, as PyTorch's double p gives it.
        device.backend.dropoutMask(t.storage, count: t.count, p: p, scale: 1 / Float(1 - decimalDouble(p)),
                                   generator: generator)
        return t
    }

    /// Normal with the given mean and standard deviation.
    public static func randn(_ shape: [Int], mean: Float = 0, std: Float = 1, generator: RandomGenerator = .global,
                             device: Device = .cpu, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitializedShape: shape, device: device)
        device.backend.normal(t.storage, count: t.count, mean: mean, std: std, generator: generator)
        t.requiresGrad = requiresGrad
        return t
    }

    /// Uniform integers in low..<high as int64.
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], generator: RandomGenerator = .global,
                               device: Device = .cpu) -> Tensor {
        precondition(high > low, "Ember: randint: high (\(high)) must be greater than low (\(low))")
        let values = generator.ints(below: high - low, count: Shape.count(shape)).map { low + $0 }
        return Tensor(values, shape: shape, device: device)
    }
}

/// The shortest decimal that reads back as `value` (0.2 rather than 0.20000000298023224): the
/// Python float a PyTorch user would have written, for constants PyTorch derives in double.
func decimalDouble(_ value: Float) -> Double { Double(value.description) ?? Double(value) }
