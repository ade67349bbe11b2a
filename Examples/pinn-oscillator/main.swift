// A physics-informed network: an MLP u(t) learns the solution of the oscillator u'' + u = 0 with
// u(0) = 0, u'(0) = 1 (which is sin t) on [0, 2π] from the equation alone, with no samples of the
// solution. The loss needs u'' at every point: the second derivative of the network with respect to
// its input, taken with Autograd.grad(createGraph: true), then trained through. Adam first, then
// L-BFGS with a line search, as physics-informed training often finishes.
//
//     swift run -c release pinn-oscillator
import Ember
import Foundation

final class Solution: Module {
    let fc1 = Linear(1, 32)
    let fc2 = Linear(32, 32)
    let fc3 = Linear(32, 1)

    override func forward(_ t: Tensor) -> Tensor { fc3(fc2(fc1(t).tanh()).tanh()) }
}

/// du/dt at each row of t, recorded so that it can be differentiated again.
func derivative(_ u: Tensor, _ t: Tensor) -> Tensor {
    Autograd.grad(of: u.sum(), wrt: [t], createGraph: true)[0]
}

manualSeed(0)
let points = 128, adamSteps = 2000, lbfgsSteps = 5
let span = 2 * Float.pi
let t = Tensor((0..<points).map { Float($0) / Float(points - 1) * span }, shape: [points, 1], requiresGrad: true)
let origin = Tensor.zeros([1, 1], requiresGrad: true)
let model = Solution()

/// The mean squared residual of u'' + u = 0 over the points, and the initial conditions' error.
func losses() -> (equation: Tensor, initial: Tensor) {
    let u = model(t)
    let u0 = model(origin)
    let residual = derivative(derivative(u, t), t) + u
    return (residual.square().mean(), u0.square().sum() + (derivative(u0, origin) - 1).square().sum())
}

let start = Date()
let adam = Adam(model.parameters(), lr: 3e-3)
let scheduler = CosineAnnealingLR(adam, tMax: adamSteps)
for step in 1...adamSteps {
    adam.zeroGrad()
    let (equation, initial) = losses()
    (equation + initial).backward()
    adam.step()
    scheduler.step()
    if step % 500 == 0 {
        print(String(format: "Adam step %4d    loss %.2e  (equation %.2e, initial conditions %.2e)", step,
                     (equation + initial).item(), equation.item(), initial.item()))
    }
}
// Each L-BFGS step runs up to 20 iterations, evaluating the loss through the closure as it needs.
let lbfgs = LBFGS(model.parameters(), lineSearch: .strongWolfe)
for step in 1...lbfgsSteps {
    let loss = lbfgs.step {
        lbfgs.zeroGrad()
        let (equation, initial) = losses()
        let loss = equation + initial
        loss.backward()
        return loss
    }
    print(String(format: "L-BFGS step %d     loss %.2e  (%d evaluations so far)", step, loss.item(),
                 Int(lbfgs.state[0]["func_evals"]!.item())))
}
let seconds = Date().timeIntervalSince(start)

// Compared with sin t on points between the training points.
let grid = Tensor((0..<200).map { (Float($0) + 0.5) / 200 * span }, shape: [200, 1])
let predicted = noGrad { model(grid) }.toArray()
let exact = grid.toArray().map { Foundation.sin($0) }
let worst = zip(predicted, exact).map { Swift.abs($0 - $1) }.max()!
print(String(format: "trained in %.1f s; max |u(t) − sin t| on [0, 2π]: %.4f", seconds, worst))
for i in stride(from: 0, to: 200, by: 25) {
    print(String(format: "  t = %.2f   u = % .4f   sin t = % .4f", grid.toArray()[i], predicted[i], exact[i]))
}
