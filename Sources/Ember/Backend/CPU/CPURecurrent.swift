import CEmberKernels

/// A whole LSTM (or GRU) layer direction on the CPU, as one op instead of a dozen per time step: each step's
/// rows are split over the cores, and each thread runs its rows' product h·W_hhᵀ (Ember's blocked
/// kernel, W_hh staying in cache) and then their gates and states (Recurrent.c) while they are still
/// in cache. Backward walks the steps the other way the same way; the weight gradient is left to
/// one product over all steps (`dGatesᵀ · hPrev`), which the caller runs.
///
/// The states are held in the output's last rows: a sequence that ends (packed input, going
/// forward) simply stops being updated, and one that has not started yet (going backward) still
/// holds its h0, so the final states need no bookkeeping.
/// Without AVX2 and FMA it declines, as `conv2d` does, and the composed ops do the work.
extension CPUBackend {
    public func lstm(_ projected: StridedView, h0: StridedView, c0: StridedView, weightHH: StridedView,
                     biasHH: StridedView?, batchSizes: [Int], reverse: Bool, keep: Bool) -> (output: Storage, saved: RecurrentSaved?)? {
        guard ProductKernel.available else { return nil }
        let hidden = weightHH.shape[1], width = 4 * hidden
        let batch = batchSizes.first ?? 0, count = projected.shape[0]
        precondition(weightHH.shape == [width, hidden] && projected.shape == [batchSizes.reduce(0, +), width]
                        && h0.shape == [batch, hidden] && c0.shape == [batch, hidden],
                     "Ember: lstm: projected \(projected.shape), h0 \(h0.shape), c0 \(c0.shape) and weightHH "
                        + "\(weightHH.shape) do not fit \(batchSizes.count) steps of batch sizes \(batchSizes)")
        let (pStorage, xp) = contiguousFloats(projected)
        let weightT = transposedWeight(weightHH)
        let wt = weightT.floats()
        let biasData = biasHH.map { contiguousFloats($0) }
        let output = allocate(count: (count + 2 * batch) * hidden, dtype: .float32)
        let out = output.floats(), h = out + count * hidden, c = h + batch * hidden
        copyRows(h0, into: h, count: batch * hidden)
        copyRows(c0, into: c, count: batch * hidden)
        // Without a backward pass, one step's gates and tanh(c) are scratch reused at every step.
        let gates = allocate(count: (keep ? count : batch) * width, dtype: .float32)
        let states = allocate(count: (keep ? 3 * count : batch) * hidden, dtype: .float32)
        withExtendedLifetime((pStorage, weightT, biasData?.storage)) {
            Self.walk(batchSizes, backwardInTime: reverse, hidden: hidden) { start, r0, r1 in
                let rows = r1 - r0, at = (keep ? start : 0) + r0
                let g = gates.floats() + at * width, tanhC = states.floats() + (keep ? 2 * count : 0) * hidden + at * hidden
                let cPrev = keep ? states.floats() + (count + at) * hidden : nil
                Self.addRows(xp + (start + r0) * width, biasData?.floats, into: g, rows: rows, width: width)
                if keep { (states.floats() + at * hidden).update(from: h + r0 * hidden, count: rows * hidden) }
                BlockedProduct.nn(m: rows, n: width, k: hidden, a: h + r0 * hidden, lda: hidden, b: wt, ldb: width,
                                  c: g, ldc: width, accumulate: true)
                ember_lstm_cell_f32(g, c + r0 * hidden, cPrev, tanhC, h + r0 * hidden, out + (start + r0) * hidden,
                                    Int64(rows), Int64(hidden))
            }
        }
        return (output, keep ? RecurrentSaved(gates: gates, states: states) : nil)
    }

    public func lstmBackward(_ grad: StridedView, saved: RecurrentSaved, weightHH: StridedView, batchSizes: [Int],
                             reverse: Bool) -> (gates: Storage, h0: Storage, c0: Storage)? {
        guard ProductKernel.available else { return nil }
        let hidden = weightHH.shape[1], width = 4 * hidden
        let batch = batchSizes.first ?? 0, count = grad.shape[0] - 2 * batch
        let (gradStorage, gp) = contiguousFloats(grad)
        let (wStorage, w) = contiguousFloats(weightHH)
        let dGates = allocate(count: count * width, dtype: .float32)
        // The gradients of the states, walked back step by step: at the end, those of h0 and c0.
        let dh = allocate(count: batch * hidden, dtype: .float32), dc = allocate(count: batch * hidden, dtype: .float32)
        dh.floats().update(from: gp + count * hidden, count: batch * hidden)
        dc.floats().update(from: gp + (count + batch) * hidden, count: batch * hidden)
        let gates = saved.gates.floats(), states = saved.states.floats()
        withExtendedLifetime((gradStorage, wStorage, saved)) {
            Self.walk(batchSizes, backwardInTime: !reverse, hidden: hidden) { start, r0, r1 in
                let at = start + r0, dg = dGates.floats() + at * width
                ember_lstm_cell_backward_f32(dg, gates + at * width, states + (count + at) * hidden,
                                             states + (2 * count + at) * hidden, dh.floats() + r0 * hidden,
                                             gp + at * hidden, dc.floats() + r0 * hidden, Int64(r1 - r0), Int64(hidden))
                // dh = dGates · W_hh: the gradient of the h this step started from.
                BlockedProduct.nn(m: r1 - r0, n: hidden, k: width, a: dg, lda: width, b: w, ldb: hidden,
                                  c: dh.floats() + r0 * hidden, ldc: hidden, accumulate: false)
            }
        }
        return (dGates, dh, dc)
    }

    public func gru(_ projected: StridedView, h0: StridedView, weightHH: StridedView, biasHH: StridedView?,
                    batchSizes: [Int], reverse: Bool, keep: Bool) -> (output: Storage, saved: RecurrentSaved?)? {
        guard ProductKernel.available else { return nil }
        let hidden = weightHH.shape[1], width = 3 * hidden
        let batch = batchSizes.first ?? 0, count = projected.shape[0]
        precondition(weightHH.shape == [width, hidden] && projected.shape == [batchSizes.reduce(0, +), width]
                        && h0.shape == [batch, hidden],
                     "Ember: gru: projected \(projected.shape), h0 \(h0.shape) and weightHH \(weightHH.shape) do not fit "
                        + "\(batchSizes.count) steps of batch sizes \(batchSizes)")
        let (pStorage, xp) = contiguousFloats(projected)
        let weightT = transposedWeight(weightHH)
        let biasData = biasHH.map { contiguousFloats($0) }
        let output = allocate(count: (count + batch) * hidden, dtype: .float32)
        let out = output.floats(), h = out + count * hidden
        copyRows(h0, into: h, count: batch * hidden)
        // Activations, then hidden gates: kept for every step, or one step's scratch without a backward pass.
        let rows = keep ? count : batch
        let gates = allocate(count: 2 * rows * width, dtype: .float32)
        let states = keep ? allocate(count: count * hidden, dtype: .float32) : nil
        withExtendedLifetime((pStorage, weightT, biasData?.storage)) {
            Self.walk(batchSizes, backwardInTime: reverse, hidden: hidden) { start, r0, r1 in
                let n = r1 - r0, at = (keep ? start : 0) + r0
                let g = gates.floats() + at * width, hg = gates.floats() + (rows + at) * width
                if let states { (states.floats() + at * hidden).update(from: h + r0 * hidden, count: n * hidden) }
                if let bias = biasData?.floats {
                    for row in 0..<n { (hg + row * width).update(from: bias, count: width) }
                }
                BlockedProduct.nn(m: n, n: width, k: hidden, a: h + r0 * hidden, lda: hidden, b: weightT.floats(),
                                  ldb: width, c: hg, ldc: width, accumulate: biasData != nil)
                ember_gru_cell_f32(xp + (start + r0) * width, hg, g, h + r0 * hidden, out + (start + r0) * hidden,
                                   Int64(n), Int64(hidden))
            }
        }
        return (output, states.map { RecurrentSaved(gates: gates, states: $0) })
    }

    public func gruBackward(_ grad: StridedView, saved: RecurrentSaved, weightHH: StridedView, batchSizes: [Int],
                            reverse: Bool) -> (projected: Storage, hiddenGates: Storage, h0: Storage)? {
        guard ProductKernel.available else { return nil }
        let hidden = weightHH.shape[1], width = 3 * hidden
        let batch = batchSizes.first ?? 0, count = grad.shape[0] - batch
        let (gradStorage, gp) = contiguousFloats(grad)
        let (wStorage, w) = contiguousFloats(weightHH)
        let dProjected = allocate(count: count * width, dtype: .float32)
        let dHidden = allocate(count: count * width, dtype: .float32)
        let dh = allocate(count: batch * hidden, dtype: .float32)
        dh.floats().update(from: gp + count * hidden, count: batch * hidden)
        let gates = saved.gates.floats(), hiddenGates = gates + count * width, hPrev = saved.states.floats()
        withExtendedLifetime((gradStorage, wStorage, saved)) {
            Self.walk(batchSizes, backwardInTime: !reverse, hidden: hidden) { start, r0, r1 in
                let at = start + r0, n = r1 - r0
                ember_gru_cell_backward_f32(dProjected.floats() + at * width, dHidden.floats() + at * width,
                                            gates + at * width, hiddenGates + at * width, hPrev + at * hidden,
                                            dh.floats() + r0 * hidden, gp + at * hidden, Int64(n), Int64(hidden))
                // dh = z·dh' (written above) + dHiddenGates · W_hh: the gradient of the h this step started from.
                BlockedProduct.nn(m: n, n: hidden, k: width, a: dHidden.floats() + at * width, lda: width, b: w,
                                  ldb: hidden, c: dh.floats() + r0 * hidden, ldc: hidden, accumulate: true)
            }
        }
        return (dProjected, dHidden, dh)
    }

    /// W_hhᵀ [hidden, gates·hidden]: the outer-product kernel runs h·W_hhᵀ faster than the dot kernel
    /// (40 against 29 GFLOP/s a core at 50 rows of 128).
    private func transposedWeight(_ weight: StridedView) -> Storage {
        let (rows, cols) = (weight.shape[0], weight.shape[1])
        let transposed = allocate(count: rows * cols, dtype: .float32)
        let (storage, w) = contiguousFloats(weight)
        withExtendedLifetime(storage) {
            ember_transpose_f32(w, Int64(cols), transposed.floats(), Int64(rows), Int64(cols), Int64(rows))
        }
        return transposed
    }

    /// target = rows of `source` (+ `bias` on each).
    private static func addRows(_ source: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                                into target: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        guard let bias else { return target.update(from: source, count: rows * width) }
        for row in 0..<rows {
            let s = source + row * width, t = target + row * width
            for j in 0..<width { t[j] = s[j] + bias[j] }
        }
    }

    /// Copies a [rows, hidden] state of any strides into contiguous floats.
    private func copyRows(_ view: StridedView, into target: UnsafeMutablePointer<Float>, count: Int) {
        let (storage, source) = contiguousFloats(view)
        withExtendedLifetime(storage) { target.update(from: source, count: count) }
    }

    /// Calls `body(start, r0, r1)` for every step, in time order or (`backwardInTime`: a reverse
    /// layer's forward pass, a forward layer's backward pass) the other way: `start` is the step's
    /// first row in the packed layout, r0..<r1 a block of its rows (`splitRows`).
    private static func walk(_ batchSizes: [Int], backwardInTime: Bool, hidden: Int,
                             _ body: (_ start: Int, _ r0: Int, _ r1: Int) -> Void) {
        let offsets = PackedSequence.stepOffsets(batchSizes)
        for s in batchSizes.indices {
            let t = backwardInTime ? batchSizes.count - 1 - s : s
            splitRows(batchSizes[t], hidden: hidden) { r0, r1 in body(offsets[t], r0, r1) }
        }
    }

    /// Calls `body(r0, r1)` on blocks of a step's rows, in parallel when the step's product is
    /// large enough to pay for the hand-off; blocks start at multiples of 4 rows.
    private static func splitRows(_ rows: Int, hidden: Int, _ body: (Int, Int) -> Void) {
        let flops = rows * hidden * hidden * 8
        let parts = max(1, min(Parallel.threadCount, rows / 8, flops >> 18))
        if parts == 1 { return body(0, rows) }
        Parallel.forEach(parts) { part in
            let r0 = rows * part / parts / 4 * 4
            let r1 = part == parts - 1 ? rows : rows * (part + 1) / parts / 4 * 4
            if r0 < r1 { body(r0, r1) }
        }
    }
}
