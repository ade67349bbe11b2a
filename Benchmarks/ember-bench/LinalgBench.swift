import Ember

/// Milliseconds per call of the linear algebra on large matrices and on batches of small ones, as
/// scripts/bench_pytorch_linalg.py times PyTorch's: forward, and forward + backward.
func linalgBenchmark() {
    let generator = RandomGenerator(seed: 1)
    func matrix(_ shape: [Int], spd: Bool = false) -> Tensor {
        let m = Tensor.randn(shape, generator: generator)
        let n = shape[shape.count - 1]
        return spd ? m.matmul(m.mT) + Tensor.eye(n) * Float(n) : m + Tensor.eye(n) * Float(n).squareRoot()
    }
    let spd512 = matrix([512, 512], spd: true), general512 = matrix([512, 512]), rhs = Tensor.randn([512, 64], generator: generator)
    let smallRight = Tensor.randn([10000, 4, 3], generator: generator)
    let small = matrix([10000, 4, 4]), spd256 = matrix([256, 256], spd: true), tall = Tensor.randn([512, 256], generator: generator)
    let cases: [(String, Tensor, (Tensor) -> Tensor)] = [
        ("inv 512", general512, { Linalg.inv($0) }),
        ("solve 512, 64 rhs", general512, { Linalg.solve($0, rhs) }),
        ("det 512", general512, { Linalg.slogdet($0).logAbsDet }),
        ("cholesky 512", spd512, { Linalg.cholesky($0) }),
        ("eigh 256", spd256, { Linalg.eigh($0).eigenvalues }),
        ("svd 512x256", tall, { Linalg.svd($0).s }),
        ("qr 512x256", tall, { Linalg.qr($0).r }),
        ("inv 10000x4x4", small, { Linalg.inv($0) }),
        ("det 10000x4x4", small, { Linalg.det($0) }),
        ("inv 1000x16x16", matrix([1000, 16, 16]), { Linalg.inv($0) }),
        ("inv 200x64x64", matrix([200, 64, 64]), { Linalg.inv($0) }),
        ("det 200x64x64", matrix([200, 64, 64]), { Linalg.det($0) }),
        ("trsolve 10000x4x4", small, { Linalg.solveTriangular($0, smallRight, upper: false) }),
    ]
    print("linear algebra, \(numThreads()) threads (ms per call: forward, forward + backward)")
    for (name, input, op) in cases {
        let forward = secondsPerCall { _ = noGrad { op(input) } }
        let leaf = input.detach().requiringGrad(true)
        let both = secondsPerCall {
            leaf.grad = nil
            op(leaf).sum().backward()
        }
        print("\(pad(name, 20))\(format(forward * 1e3, 2))  \(format(both * 1e3, 2))")
    }
}
