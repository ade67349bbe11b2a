import Ember
import Foundation

/// The physics-informed network of examples/pinn-oscillator: an MLP 1→32→32→1 with tanh.
final class BenchSolution: Module {
    let fc1 = Linear(1, 32)
    let fc2 = Linear(32, 32)
    let fc3 = Linear(32, 1)
    override func forward(_ t: Tensor) -> Tensor { fc3(fc2(fc1(t).tanh()).tanh()) }
}

/// Milliseconds per training step of examples/pinn-oscillator (u'' + u over 128 points through two
/// nested `Autograd.grad(createGraph:)`, the initial conditions, backward through all of it, Adam), as
/// scripts/bench_pytorch_pinn.py does for PyTorch: a measure of per-op and autograd overhead.
func pinnBenchmark(steps: Int) {
    manualSeed(0)
    let model = BenchSolution()
    let optimizer = Adam(model.parameters(), lr: 3e-3)
    let t = Tensor((0..<128).map { Float($0) / 127 * 2 * .pi }, shape: [128, 1], requiresGrad: true)
    let origin = Tensor.zeros([1, 1], requiresGrad: true)
    func derivative(_ u: Tensor, _ t: Tensor) -> Tensor { Autograd.grad(of: u.sum(), wrt: [t], createGraph: true)[0] }
    func step() {
        optimizer.zeroGrad()
        let u = model(t)
        let u0 = model(origin)
        let loss = (derivative(derivative(u, t), t) + u).square().mean() + u0.square().sum()
            + (derivative(u0, origin) - 1).square().sum()
        loss.backward()
        optimizer.step()
    }
    print("pinn: MLP 1→32→32→1 (tanh), u'' + u over 128 points by double backward, Adam, \(numThreads()) threads")
    for _ in 0..<20 { step() }
    var best = Double.infinity
    for _ in 0..<3 {
        let start = Date()
        for _ in 0..<steps { step() }
        best = min(best, Date().timeIntervalSince(start) / Double(steps))
    }
    print(String(format: "step: %.3f ms over %d steps (best of 3 runs)", best * 1e3, steps))
}
