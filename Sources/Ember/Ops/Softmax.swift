/// Softmax and log-softmax along a dim, numerically stable, each with a one-pass backward.
extension Tensor {
    public func softmax(dim: Int = -1) -> Tensor { softmaxFamily(dim: dim, log: false) }
    public func logSoftmax(dim: Int = -1) -> Tensor { softmaxFamily(dim: dim, log: true) }
    /// softmax(−x): the smallest values get the largest weights.
    public func softmin(dim: Int = -1) -> Tensor { (-self).softmax(dim: dim) }

    private func softmaxFamily(dim: Int, log: Bool) -> Tensor {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: log ? "logSoftmax" : "softmax") }
        if rank == 0 { return log ? self * 0 : self * 0 + 1 }
        // The kernels work on the last dim; other dims are moved there and back (views).
        let last = rank - 1
        let moved = d == last ? self : transpose(d, last)
        let source = moved.contiguous()
        let cols = source.shape[last], rows = source.count / Swift.max(cols, 1)
        let y = Tensor.result(backend.softmax(source.view, rows: rows, cols: cols, log: log), shape: source.shape)
        let saved = y.detach()
        y.recording(log ? "logSoftmax" : "softmax", inputs: [source], saving: [saved]) { g in
            if Tensor.isRecordingBackward {
                let y = saved.reattached()
                return [log ? g - y.exp() * g.sum(dim: last, keepdim: true) : y * (g - (g * y).sum(dim: last, keepdim: true))]
            }
            let gc = g.isContiguous ? g : g.contiguous()
            return [Tensor.result(g.backend.softmaxBackward(saved.view, gc.view, rows: rows, cols: cols, log: log),
                                  shape: saved.shape)]
        }
        return d == last ? y : y.transpose(d, last)
    }
}
