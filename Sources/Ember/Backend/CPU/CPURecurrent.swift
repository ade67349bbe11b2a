import CEmberKernels

/// A whole LSTM layer direction on the CPU, as one op instead of a dozen per time step: each step's
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
                     biasHH: StridedView?, batchSizes: [Int], reverse: Bool, keep: Bool) -> (output: Storage, saved: LSTMSaved?)? {
        guard ProductKernel.available else { return nil }
        let hidden = weightHH.shape[1], width = 4 * hidden
        let batch = batchSizes.first ?? 0, count = projected.shape[0]
        precondition(weightHH.shape == [width, hidden] && projected.shape == [batchSizes.reduce(0, +), width]
                        && h0.shape == [batch, hidden] && c0.shape == [batch, hidden],
                     "Ember: lstm: projected \(projected.shape), h0 \(h0.shape), c0 \(c0.shape) and weightHH "
                        + "\(weightHH.shape) do not fit \(batchSizes.count) steps of batch sizes \(batchSizes)")
        let offsets = PackedSequence.stepOffsets(batchSizes)
        let (pStorage, xp) = contiguousFloats(projected)
        // W_hhᵀ [hidden, 4·hidden]: the outer-product kernel runs h·W_hhᵀ faster than the dot kernel (40
        // against 29 GFLOP/s a core at 50 rows of 128).
        let weightT = allocate(count: width * hidden, dtype: .float32)
        let wt = weightT.floats()
        let (wStorage, w) = contiguousFloats(weightHH)
        withExtendedLifetime(wStorage) { ember_transpose_f32(w, Int64(hidden), wt, Int64(width), Int64(hidden), Int64(width)) }
        let biasData = biasHH.map { contiguousFloats($0) }
        let output = allocate(count: (count + 2 * batch) * hidden, dtype: .float32)
        let out = output.floats(), h = out + count * hidden, c = h + batch * hidden
        copyRows(h0, into: h, count: batch * hidden)
        copyRows(c0, into: c, count: batch * hidden)
        // Without a backward pass, one step's gates and tanh(c) are scratch reused at every step.
        let gates = allocate(count: (keep ? count : batch) * width, dtype: .float32)
        let states = allocate(count: (keep ? 3 * count : batch) * hidden, dtype: .float32)
        withExtendedLifetime((pStorage, weightT, biasData?.storage)) {
            for s in 0..<batchSizes.count {
                let t = reverse ? batchSizes.count - 1 - s : s
                let start = offsets[t], at = keep ? start : 0
                let g = gates.floats() + at * width
                let hPrev = keep ? states.floats() + start * hidden : nil
                let cPrev = keep ? states.floats() + (count + start) * hidden : nil
                let tanhC = states.floats() + (keep ? 2 * count + start : 0) * hidden
                Self.splitRows(batchSizes[t], hidden: hidden) { r0, r1 in
                    let rows = r1 - r0
                    Self.addRows(xp + (start + r0) * width, biasData?.floats, into: g + r0 * width, rows: rows, width: width)
                    if let hPrev { (hPrev + r0 * hidden).update(from: h + r0 * hidden, count: rows * hidden) }
                    BlockedProduct.nn(m: rows, n: width, k: hidden, a: h + r0 * hidden, lda: hidden, b: wt, ldb: width,
                                      c: g + r0 * width, ldc: width, accumulate: true)
                    ember_lstm_cell_f32(g + r0 * width, c + r0 * hidden, cPrev.map { $0 + r0 * hidden },
                                        tanhC + r0 * hidden, h + r0 * hidden, out + (start + r0) * hidden,
                                        Int64(rows), Int64(hidden))
                }
            }
        }
        return (output, keep ? LSTMSaved(gates: gates, states: states) : nil)
    }

    public func lstmBackward(_ grad: StridedView, saved: LSTMSaved, weightHH: StridedView, batchSizes: [Int],
                             reverse: Bool) -> (gates: Storage, h0: Storage, c0: Storage)? {
        guard ProductKernel.available else { return nil }
        let hidden = weightHH.shape[1], width = 4 * hidden
        let batch = batchSizes.first ?? 0, count = grad.shape[0] - 2 * batch
        let offsets = PackedSequence.stepOffsets(batchSizes)
        let (gradStorage, gp) = contiguousFloats(grad)
        let (wStorage, w) = contiguousFloats(weightHH)
        let dGates = allocate(count: count * width, dtype: .float32)
        // The gradients of the states, walked back step by step: at the end, those of h0 and c0.
        let dh = allocate(count: batch * hidden, dtype: .float32), dc = allocate(count: batch * hidden, dtype: .float32)
        dh.floats().update(from: gp + count * hidden, count: batch * hidden)
        dc.floats().update(from: gp + (count + batch) * hidden, count: batch * hidden)
        let gates = saved.gates.floats(), states = saved.states.floats()
        withExtendedLifetime((gradStorage, wStorage, saved)) {
            for s in 0..<batchSizes.count {
                let t = reverse ? s : batchSizes.count - 1 - s
                let start = offsets[t]
                let dg = dGates.floats() + start * width, g = gates + start * width
                let cPrev = states + (count + start) * hidden, tanhC = states + (2 * count + start) * hidden
                Self.splitRows(batchSizes[t], hidden: hidden) { r0, r1 in
                    let rows = r1 - r0
                    ember_lstm_cell_backward_f32(dg + r0 * width, g + r0 * width, cPrev + r0 * hidden, tanhC + r0 * hidden,
                                                 dh.floats() + r0 * hidden, gp + (start + r0) * hidden,
                                                 dc.floats() + r0 * hidden, Int64(rows), Int64(hidden))
                    // dh = dGates · W_hh: the gradient of the h this step started from.
                    BlockedProduct.nn(m: rows, n: hidden, k: width, a: dg + r0 * width, lda: width, b: w, ldb: hidden,
                                      c: dh.floats() + r0 * hidden, ldc: hidden, accumulate: false)
                }
            }
        }
        return (dGates, dh, dc)
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
