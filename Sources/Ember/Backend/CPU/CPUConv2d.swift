/// Convolution on the CPU, image by image: each image's windows are unfolded into columns
/// [C·kh·kw, outH·outW] of its own (contiguous, unlike `im2col`'s batch-wide layout) and multiplied
/// by the weight with Ember's blocked kernels (`BlockedProduct`), the images split over the cores.
/// The products of one image fit in cache, and no product over the whole batch's columns is needed:
/// the weight gradient sums each image's product into a partial per thread.
/// Without AVX2 and FMA (Arm, older x86) it declines, and im2col with whole-batch BLAS products
/// does the work: BLAS called from several of Ember's threads at once could each start threads of its own.
extension CPUBackend {
    public func conv2d(_ x: StridedView, weight: StridedView, bias: StridedView?, _ g: ConvGeometry, groups: Int,
                       keepColumns: Bool) -> (output: Storage, columns: Storage?)? {
        guard ProductKernel.available else { return nil }
        let (xStorage, xp) = contiguousFloats(x)
        let (wStorage, wp) = contiguousFloats(weight)
        let biasData = bias.map { contiguousFloats($0) }
        let outChannels = weight.shape[0], perGroup = outChannels / groups
        let rows = g.channels * g.kernelH * g.kernelW, k = rows / groups
        let plane = g.outHeight * g.outWidth, imageSize = g.channels * g.height * g.width
        let out = allocate(count: g.batch * outChannels * plane, dtype: .float32)
        let o = out.floats()
        let threads = Parallel.threadCount

        /// Output columns j0..<j1 of image n from its columns `cols`, the bias written first.
        func product(image n: Int, columns cols: UnsafePointer<Float>, from j0: Int, to j1: Int) {
            for group in 0..<groups {
                let c = o + (n * outChannels + group * perGroup) * plane + j0
                if let bp = biasData?.floats {
                    for r in 0..<perGroup { (c + r * plane).update(repeating: bp[group * perGroup + r], count: j1 - j0) }
                }
                BlockedProduct.nn(m: perGroup, n: j1 - j0, k: k, a: wp + group * perGroup * k, lda: k,
                                  b: cols + group * k * plane + j0, ldb: plane, c: c, ldc: plane,
                                  accumulate: biasData != nil)
            }
        }
        func unfold(image n: Int, into cols: UnsafeMutablePointer<Float>) {
            for row in 0..<rows { Self.im2colRow(xp + n * imageSize, row: row, into: cols + row * plane, g) }
        }

        // Fewer images than threads: each image's output columns are split too, so its columns are
        // unfolded first and shared, as they are when kept for the backward pass.
        let columnBlocks = g.batch >= threads ? 1 : max(1, min(plane / 64, (threads + g.batch - 1) / max(g.batch, 1)))
        var kept: Storage? = nil
        withExtendedLifetime((xStorage, wStorage, biasData?.storage)) {
            if keepColumns || columnBlocks > 1 {
                let columns = allocate(count: g.batch * rows * plane, dtype: .float32)
                let cols = columns.floats()
                Parallel.chunks(g.batch * rows, grain: max(1, Parallel.grain / max(plane, 1))) { range in
                    for item in range {
                        Self.im2colRow(xp + item / rows * imageSize, row: item % rows, into: cols + item * plane, g)
                    }
                }
                Parallel.forEach(g.batch * columnBlocks) { item in
                    let n = item / columnBlocks, block = item % columnBlocks
                    product(image: n, columns: cols + n * rows * plane,
                            from: block * plane / columnBlocks, to: (block + 1) * plane / columnBlocks)
                }
                withExtendedLifetime(columns) {}
                if keepColumns { kept = columns }
            } else {
                // One image's columns at a time per thread, still in cache for its product.
                let scratch = allocate(count: threads * rows * plane, dtype: .float32)
                Parallel.forEach(threads) { t in
                    let cols = scratch.floats() + t * rows * plane
                    for n in stride(from: t, to: g.batch, by: threads) {
                        unfold(image: n, into: cols)
                        product(image: n, columns: cols, from: 0, to: plane)
                    }
                }
                withExtendedLifetime(scratch) {}
            }
        }
        return (out, kept)
    }

    public func conv2dBackward(_ grad: StridedView, weight: StridedView, columns: Storage?, _ g: ConvGeometry, groups: Int,
                               inputGrad: Bool) -> (input: Storage?, weight: Storage?)? {
        let (gradStorage, gp) = contiguousFloats(grad)
        let (wStorage, wp) = contiguousFloats(weight)
        let outChannels = weight.shape[0], perGroup = outChannels / groups
        let rows = g.channels * g.kernelH * g.kernelW, k = rows / groups
        let plane = g.outHeight * g.outWidth, imageSize = g.channels * g.height * g.width
        let channelSize = g.height * g.width
        let threads = max(1, min(Parallel.threadCount, g.batch))
        let weightSize = outChannels * k
        // Each thread sums its images' weight gradients into a partial of its own; they are added at the end.
        let partials = columns.map { _ in allocate(count: threads * weightSize, dtype: .float32) }
        let gradInput = inputGrad ? allocate(count: g.batch * imageSize, dtype: .float32) : nil
        let scratch = inputGrad ? allocate(count: threads * rows * plane, dtype: .float32) : nil
        withExtendedLifetime((gradStorage, wStorage, columns)) {
            Parallel.forEach(threads) { t in
                let partial = partials.map { $0.floats() + t * weightSize }
                if let partial, t >= g.batch { partial.update(repeating: 0, count: weightSize) }
                for n in stride(from: t, to: g.batch, by: threads) {
                    let imageGrad = gp + n * outChannels * plane
                    if let partial, let cols = columns?.floats() {
                        // dW_g += grad_g [out/g, L] · columns_gᵀ [L, k]
                        for group in 0..<groups {
                            BlockedProduct.nt(m: perGroup, n: k, k: plane, a: imageGrad + group * perGroup * plane, lda: plane,
                                              b: cols + (n * rows + group * k) * plane, ldb: plane,
                                              c: partial + group * perGroup * k, ldc: k, accumulate: n >= threads)
                        }
                    }
                    if let gradInput, let scratch {
                        // dColumns_g = W_gᵀ [k, out/g] · grad_g [out/g, L], folded back into the image.
                        let dcols = scratch.floats() + t * rows * plane
                        for group in 0..<groups {
                            BlockedProduct.tn(m: k, n: plane, k: perGroup, a: wp + group * perGroup * k, lda: k,
                                              b: imageGrad + group * perGroup * plane, ldb: plane,
                                              c: dcols + group * k * plane, ldc: plane, accumulate: false)
                        }
                        let image = gradInput.floats() + n * imageSize
                        for c in 0..<g.channels {
                            Self.col2imPlane(dcols, rowStride: plane, channel: c, into: image + c * channelSize, g)
                        }
                    }
                }
            }
        }
        guard let partials else { return (gradInput, nil) }
        if threads == 1 { return (gradInput, partials) }
        let gradWeight = allocate(count: weightSize, dtype: .float32)
        let dw = gradWeight.floats(), p = partials.floats()
        Parallel.chunks(weightSize) { range in
            (dw + range.lowerBound).update(from: p + range.lowerBound, count: range.count)
            for t in 1..<threads {
                let part = p + t * weightSize
                for i in range { dw[i] += part[i] }
            }
        }
        withExtendedLifetime(partials) {}
        return (gradInput, gradWeight)
    }
}
