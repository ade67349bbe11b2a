import Foundation
import Testing
@testable import Ember

/// Gradient checkpointing gives the gradients of the plain run, dropout included.
@Suite struct CheckpointTests {
    final class Block: Module {
        let fc = Linear(6, 6)
        let dropout = Dropout(p: 0.3)
        override func forward(_ x: Tensor) -> Tensor { dropout(fc(x).tanh()) + x }
    }

    /// The loss of three blocks, each checkpointed or not, from the same weights and random draws.
    func run(checkpointed: Bool) -> (loss: Float, grads: [[Float]], inputGrad: [Float]) {
        manualSeed(42)
        let blocks = (0..<3).map { _ in Block() }
        let x = Tensor.randn([4, 6], requiresGrad: true)
        var h = x
        for block in blocks { h = checkpointed ? checkpoint(block, h) : block(h) }
        let loss = h.square().mean()
        loss.backward()
        return (loss.item(), blocks.flatMap { $0.parameters().map { $0.grad!.toArray() } }, x.grad!.toArray())
    }

    /// In a child process: both runs must draw the same numbers from the global generator, and tests
    /// running alongside in this process draw from it too.
    @Test func gradientsMatchThePlainRunWithTheSameDropoutMasks() async {
        await #expect(processExitsWith: .success) {
            let plain = CheckpointTests().run(checkpointed: false), saved = CheckpointTests().run(checkpointed: true)
            let close = { (a: [Float], b: [Float]) in a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 + 1e-5 * abs($1) } }
            precondition(saved.loss == plain.loss, "loss \(saved.loss) checkpointed, \(plain.loss) plain")
            precondition(zip(saved.grads, plain.grads).allSatisfy(close), "parameter gradients differ")
            precondition(close(saved.inputGrad, plain.inputGrad), "input gradients differ")
        }
    }

    @Test func oneNodeStandsForTheBlock() {
        let block = Block()
        let x = Tensor.randn([2, 6], requiresGrad: true)
        let y = checkpoint(block, x)
        #expect(y.gradFn?.name == "checkpoint")
        #expect(y.gradFn?.inputs.count == 1 + block.parameters().count)
        // Without grad mode it is just the block.
        let evaluated = noGrad { checkpoint(block.eval(), x) }
        #expect(evaluated.gradFn == nil && evaluated.toArray() == noGrad { block(x) }.toArray())
    }

    @Test func secondDerivativesThroughACheckpoint() {
        let fc = Linear(3, 3)
        let x = Tensor.randn([2, 3], requiresGrad: true)
        func f(_ t: Tensor) -> Tensor { fc(t).tanh() }
        let direct = Autograd.grad(of: f(x).square().sum(), wrt: [x], createGraph: true)[0]
        let through = Autograd.grad(of: checkpoint([x], parameters: fc.parameters()) { f($0[0]) }.square().sum(),
                                    wrt: [x], createGraph: true)[0]
        expectClose(through.toArray(), direct.toArray(), atol: 1e-6)
        let second = Autograd.grad(of: direct.sum(), wrt: [x] + fc.parameters())
        let secondThrough = Autograd.grad(of: through.sum(), wrt: [x] + fc.parameters())
        for (a, b) in zip(secondThrough, second) { expectClose(a.toArray(), b.toArray(), atol: 1e-5, rtol: 1e-4) }
    }

    @Test func tensorsMadeOutsideAsInputsAndInputsReturnedAsTheyAre() {
        // `scaled`, computed outside from a parameter, passed as an input; the graph retained for a second pass.
        let x = Tensor.randn([2, 3], requiresGrad: true), weight = Tensor.randn([3, 3], requiresGrad: true)
        let scaled = weight * 2
        let y = checkpoint([x, scaled]) { $0[0].matmul($0[1]) }
        let loss = y.sum() + scaled.sum()
        loss.backward(retainGraph: true)
        let once = weight.grad!.toArray()
        let expected = Autograd.grad(of: x.matmul(weight * 2).sum() + (weight * 2).sum(), wrt: [weight])[0]
        expectClose(once, expected.toArray(), atol: 1e-5)
        loss.backward()
        expectClose(weight.grad!.toArray(), once.map { $0 * 2 }, atol: 1e-5)
        // An input returned unchanged.
        let base = Tensor([1, 2, 3, 4] as [Float], requiresGrad: true)
        checkpoint([base * 2]) { $0[0] }.sum().backward()
        #expect(base.grad?.toArray() == [2, 2, 2, 2])
    }

    @Test func aParameterLeftOutStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let fc = Linear(3, 2)
            let x = Tensor.randn([2, 3], requiresGrad: true)
            checkpoint([x]) { fc($0[0]) }.sum().backward()
        }
        #expect(stderr(r).contains("checkpoint: the function reads a tensor of shape [2, 3] that requires grad but is "
            + "neither an input nor in parameters:"))
        let outside = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.randn([2, 3], requiresGrad: true), weight = Tensor.randn([3, 3], requiresGrad: true)
            let scaled = weight * 2
            (checkpoint([x], parameters: [weight]) { $0[0].matmul(scaled) }.sum() + scaled.sum()).backward()
        }
        #expect(stderr(outside).contains("checkpoint: the function reads a tensor of shape [3, 3] computed outside it "
            + "(by mul); pass it as one of the inputs"))
    }
}
