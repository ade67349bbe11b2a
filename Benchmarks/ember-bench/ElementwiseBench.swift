import CEmberKernels
import Ember

/// Microseconds per call of the element-wise ops and reductions at the MLP's activation size
/// (64×256) and at 1M elements (1024×1024). `scripts/bench_pytorch_elementwise.py` times the same
/// ops in PyTorch, and `scripts/compare_pytorch.sh elementwise` prints both side by side.
func elementwiseBenchmark() {
    let vector = ember_vector_math_available(EMBER_MATH_EXP) != 0
    print("element-wise ops (µs per call, best of 5; exp, log, tanh, sigmoid, GELU "
          + (vector ? "eight floats at a time through libmvec)" : "one float at a time through libm)"))
    print(pad("op", 16) + pad("64×256", 12) + "1M")
    /// Two matrices, a bias row, and a positive matrix (for log).
    typealias Operands = (Tensor, Tensor, Tensor, Tensor)
    func operands(_ rows: Int, _ cols: Int) -> Operands {
        (Tensor.randn([rows, cols]), Tensor.randn([rows, cols]), Tensor.randn([cols]), Tensor.rand([rows, cols]) + 0.01)
    }
    let small = operands(64, 256), large = operands(1024, 1024)
    let ops: [(String, (Operands) -> Tensor)] = [
        ("add", { $0.0 + $0.1 }),
        ("add bias row", { $0.0 + $0.2 }),
        ("mul", { $0.0 * $0.1 }),
        ("relu", { $0.0.relu() }),
        ("sigmoid", { $0.0.sigmoid() }),
        ("tanh", { $0.0.tanh() }),
        ("gelu", { $0.0.gelu() }),
        ("silu", { $0.0.silu() }),
        ("elu", { $0.0.elu() }),
        ("exp", { $0.0.exp() }),
        ("log", { $0.3.log() }),
        ("sum", { $0.0.sum() }),
        ("sum dim 0", { $0.0.sum(dim: 0) }),
        ("softmax", { $0.0.softmax(dim: 1) }),
        ("log_softmax", { $0.0.logSoftmax(dim: 1) }),
        ("transpose copy", { $0.0.t().contiguous() }),
        ("rand", { Tensor.rand($0.0.shape) }),
        ("randn", { Tensor.randn($0.0.shape) }),
    ]
    for (name, op) in ops {
        let s = secondsPerCall { _ = noGrad { op(small) } }
        let l = secondsPerCall { _ = noGrad { op(large) } }
        print(pad(name, 16) + pad(format(s * 1e6, 2), 12) + format(l * 1e6, 1))
    }
}
