import Ember

/// Microseconds per call of the element-wise ops and reductions at the MLP's activation size
/// (64×256) and at 1M elements.
func elementwiseBenchmark() {
    print("element-wise ops (µs per call, best of 5)")
    print(pad("op", 16) + pad("64×256", 12) + "1M")
    let small = (Tensor.randn([64, 256]), Tensor.randn([64, 256]), Tensor.randn([256]))
    let large = (Tensor.randn([1024, 1024]), Tensor.randn([1024, 1024]), Tensor.randn([1024]))
    let ops: [(String, (Tensor, Tensor, Tensor) -> Tensor)] = [
        ("add", { a, b, _ in a + b }),
        ("add bias row", { a, _, r in a + r }),
        ("mul", { a, b, _ in a * b }),
        ("relu", { a, _, _ in a.relu() }),
        ("sigmoid", { a, _, _ in a.sigmoid() }),
        ("exp", { a, _, _ in a.exp() }),
        ("sum", { a, _, _ in a.sum() }),
        ("sum dim 0", { a, _, _ in a.sum(dim: 0) }),
        ("softmax", { a, _, _ in a.softmax(dim: 1) }),
        ("transpose copy", { a, _, _ in a.t().contiguous() }),
        ("rand", { a, _, _ in Tensor.rand(a.shape) }),
        ("randn", { a, _, _ in Tensor.randn(a.shape) }),
    ]
    for (name, op) in ops {
        let s = secondsPerCall { _ = noGrad { op(small.0, small.1, small.2) } }
        let l = secondsPerCall { _ = noGrad { op(large.0, large.1, large.2) } }
        print(pad(name, 16) + pad(format(s * 1e6, 2), 12) + format(l * 1e6, 1))
    }
}
