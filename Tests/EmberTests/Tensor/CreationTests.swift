import Testing
@testable import Ember

@Suite("Creation")
struct CreationTests {
    @Test func constants() {
        let z = Tensor.zeros([2, 3])
        #expect(z.shape == [2, 3] && z.dtype == .float32 && z.toArray() == [Float](repeating: 0, count: 6))
        #expect(Tensor.ones([4]).toArray() == [1, 1, 1, 1])
        #expect(Tensor.full([2, 2], 2.5).toArray() == [2.5, 2.5, 2.5, 2.5])
        let ints = Tensor.full([3], 7, dtype: .int64)
        #expect(ints.dtype == .int64 && ints.toIntArray() == [7, 7, 7])
        #expect(Tensor.zeros([2], requiresGrad: true).requiresGrad)
        #expect(Tensor.zeros([]).shape == [] && Tensor.zeros([]).count == 1)
        #expect(Tensor.zeros([0, 3]).count == 0)
        #expect(Tensor.ones(like: Tensor.zeros([2, 5])).shape == [2, 5])
    }

    @Test func fromSwiftValues() {
        let m = Tensor([[1, 2, 3], [4, 5, 6]] as [[Float]])
        #expect(m.shape == [2, 3] && m.strides == [3, 1] && m[element: 1, 2] == 6)
        let cube = Tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]] as [[[Float]]])
        #expect(cube.shape == [2, 2, 2] && cube[element: 1, 0, 1] == 6)
        let labels = Tensor([3, 1, 2])
        #expect(labels.dtype == .int64 && labels.toIntArray() == [3, 1, 2])
        #expect(Tensor(Float(4)).shape == [] && Tensor(Float(4)).item() == 4)
    }

    /// Values and lengths from torch.arange / torch.linspace.
    @Test func arangeAndLinspace() {
        #expect(Tensor.arange(5).toIntArray() == [0, 1, 2, 3, 4] && Tensor.arange(5).dtype == .int64)
        #expect(Tensor.arange(0).count == 0)
        expectClose(Tensor.arange(0, 1, step: 0.1).toArray(), (0..<10).map { Float($0) * 0.1 })
        expectClose(Tensor.arange(-1, 1, step: 0.3).toArray(), [-1, -0.7, -0.4, -0.1, 0.2, 0.5, 0.8])
        expectClose(Tensor.arange(5, 0, step: -1.5).toArray(), [5, 3.5, 2, 0.5])
        #expect(Tensor.arange(0, 0.3, step: 0.1).count == 3)
        #expect(Tensor.arange(3, 1).count == 0)
        expectClose(Tensor.linspace(-1, 1, steps: 7).toArray(),
                    [-1, -0.6666666, -0.3333333, 0, 0.3333333, 0.6666666, 1], atol: 1e-6)
        expectClose(Tensor.linspace(0.1, 0.7, steps: 3).toArray(), [0.1, 0.4, 0.7])
        #expect(Tensor.linspace(2, 3, steps: 1).toArray() == [2])
        #expect(Tensor.linspace(2, 3, steps: 0).count == 0)
    }

    @Test func eye() {
        #expect(Tensor.eye(3).toArray() == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        let rect = Tensor.eye(2, 3)
        #expect(rect.shape == [2, 3] && rect.toArray() == [1, 0, 0, 0, 1, 0])
    }

    @Test func generatorIsDeterministicBySeed() {
        let a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let ra = Tensor.randn([100], generator: a).toArray()
        #expect(ra == Tensor.randn([100], generator: b).toArray())
        #expect(ra != Tensor.randn([100], generator: c).toArray())
        #expect(Tensor.rand([5, 4], generator: a).toArray() == Tensor.rand([5, 4], generator: b).toArray())
        #expect(Tensor.randint(0, 10, [50], generator: a).toIntArray() == Tensor.randint(0, 10, [50], generator: b).toIntArray())
        a.reseed(42)
        #expect(Tensor.randn([100], generator: a).toArray() == ra)
        #expect(a.permutation(10).sorted() == Array(0..<10))
    }

    /// The global generator, seeded by manualSeed. Run in a child process: other tests draw from it
    /// concurrently, which would interleave with this sequence.
    @Test func manualSeedRepeatsGlobalSequence() async {
        await #expect(processExitsWith: .success) {
            manualSeed(7)
            let a = Tensor.rand([20]).toArray() + Tensor.randn([20]).toArray() + Tensor.randint(0, 5, [20]).toArray()
            manualSeed(7)
            let b = Tensor.rand([20]).toArray() + Tensor.randn([20]).toArray() + Tensor.randint(0, 5, [20]).toArray()
            precondition(a == b, "same seed, same numbers")
            manualSeed(8)
            precondition(Tensor.rand([20]).toArray() != Array(a.prefix(20)), "another seed, other numbers")
        }
    }

    @Test func distributions() {
        let g = RandomGenerator(seed: 1)
        let u = Tensor.rand([20_000], low: -2, high: 3, generator: g)
        let uv = u.toArray()
        #expect(uv.allSatisfy { $0 >= -2 && $0 < 3 })
        #expect(abs(u.mean().item() - 0.5) < 0.05)
        let n = Tensor.randn([20_000], mean: 1, std: 2, generator: g)
        #expect(abs(n.mean().item() - 1) < 0.06)
        #expect(abs(n.std().item() - 2) < 0.06)
        let r = Tensor.randint(-3, 4, [5_000], generator: g).toIntArray()
        #expect(Set(r) == Set(-3..<4))
    }
}
