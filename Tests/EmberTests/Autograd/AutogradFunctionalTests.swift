import Foundation
import Testing
@testable import Ember

/// `Autograd.grad`, `backward(createGraph:)`, jacobian/hessian, gradient hooks, `retainGrad`,
/// custom `AutogradFunction`s, `gradcheck` and module forward hooks.
@Suite struct AutogradFunctionalTests {
    @Test func gradReturnsGradientsWithoutTouchingLeaves() {
        let x = Tensor([1, -2, 3] as [Float], requiresGrad: true)
        let w = Tensor([0.5, 2, -1] as [Float], requiresGrad: true)
        let y = (x * x * w).sum()
        let grads = Autograd.grad(of: y, wrt: [x, w])
        #expect(grads[0].toArray() == [1, -8, -6])
        #expect(grads[1].toArray() == [1, 4, 9])
        #expect(x.grad == nil && w.grad == nil)
        #expect(!grads[0].requiresGrad)
    }

    @Test func gradWithRespectToAnIntermediateTensorStopsThere() {
        let x = Tensor([1, 2] as [Float], requiresGrad: true)
        let h = x * 3
        let y = (h * h).sum()
        #expect(Autograd.grad(of: y, wrt: [h])[0].toArray() == [6, 12])
        // Both at once: x's gradient still flows through h.
        let both = Autograd.grad(of: (x * 3).square().sum() + x.sum(), wrt: [x])
        #expect(both[0].toArray() == [19, 37])
    }

    @Test func gradSumsOverOutputsWeightedByTheirGradOutputs() {
        let x = Tensor([1, 2] as [Float], requiresGrad: true)
        let grads = Autograd.grad(of: [x * 2, x.square()], wrt: [x],
                                  gradOutputs: [Tensor([1, 1] as [Float]), Tensor([0.5, -1] as [Float])])
        #expect(grads[0].toArray() == [3, -2])
    }

    @Test func unusedInputsGiveZerosWhenAllowed() {
        let x = Tensor([1, 2] as [Float], requiresGrad: true)
        let unused = Tensor([5] as [Float], requiresGrad: true)
        let grads = Autograd.grad(of: x.sum(), wrt: [x, unused], allowUnused: true)
        #expect(grads[1].toArray() == [0])
    }

    @Test func unusedInputStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1, 2] as [Float], requiresGrad: true)
            let unused = Tensor([5] as [Float], requiresGrad: true)
            _ = Autograd.grad(of: x.sum(), wrt: [unused])
        }
        #expect(stderr(r).contains("input 0 (shape [1]) was not used to compute the outputs; pass allowUnused: true"))
    }

    @Test func inputThatNeedsNoGradStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1, 2] as [Float], requiresGrad: true)
            _ = Autograd.grad(of: x.sum(), wrt: [Tensor([1] as [Float])])
        }
        #expect(stderr(r).contains("Autograd.grad: input 0 (shape [1]) does not require grad"))
    }

    @Test func backwardWithCreateGraphLeavesADifferentiableGrad() {
        let x = Tensor([1, 2, 3] as [Float], requiresGrad: true)
        x.pow(3).sum().backward(createGraph: true)
        let g = try! #require(x.grad)
        #expect(g.requiresGrad)
        expectClose(g.toArray(), [3, 12, 27])
        x.grad = nil
        g.sum().backward()
        expectClose(x.grad!.toArray(), [6, 12, 18])
    }

    @Test func jacobianAndHessianMatchTheirFormulas() {
        let x = Tensor([1, -2, 0.5] as [Float])
        // f(x) = [x0·x1, sin(x2)]: J = [[x1, x0, 0], [0, 0, cos(x2)]].
        let j = Autograd.jacobian(of: { Tensor.stack([$0[0] * $0[1], $0[2].sin()]) }, at: x)
        #expect(j.shape == [2, 3])
        expectClose(j.toArray(), [-2, 1, 0, 0, 0, Float(Foundation.cos(0.5))])
        // xᵀAx has Hessian A + Aᵀ; Σx³ has diag(6x).
        let a = Tensor([1, 2, 0, -1, 3, 1, 0.5, 0, 2] as [Float], shape: [3, 3])
        let h = Autograd.hessian(of: { $0.matmul(a).matmul($0) }, at: x)
        expectClose(h.toArray(), (a + a.t()).toArray())
        expectClose(Autograd.hessian(of: { $0.pow(3).sum() }, at: x).toArray(), [6, 0, 0, 0, -12, 0, 0, 0, 3])
    }

    @Test func handedOutGradientsAliasNothing() {
        // Changing a returned gradient in place must not reach the cached seed or another gradient.
        let x = Tensor([1, 2] as [Float], requiresGrad: true), y = Tensor([1, 1] as [Float], requiresGrad: true)
        let g = Autograd.grad(of: x.sum(), wrt: [x])[0]
        noGrad { _ = g.mul_(0.5) }
        (y * 3).sum().backward()
        #expect(y.grad?.toArray() == [3, 3])
        x.sum().backward(createGraph: true)
        noGrad { _ = x.grad!.mul_(0.1) }
        y.grad = nil
        (y * 3).sum().backward()
        #expect(y.grad?.toArray() == [3, 3])
        let a = Tensor([1, 2] as [Float], requiresGrad: true), b = Tensor([3, 4] as [Float], requiresGrad: true)
        let v = Tensor([1, 1] as [Float])
        (a + b).backward(v, createGraph: true)
        noGrad { _ = a.grad!.mul_(10) }
        #expect(b.grad?.toArray() == [1, 1] && v.toArray() == [1, 1])
    }

    @Test func normOfZerosHasAZeroGradientUnderCreateGraph() {
        let x = Tensor.zeros([3], requiresGrad: true)
        #expect(Autograd.grad(of: x.norm(), wrt: [x], createGraph: true)[0].toArray() == [0, 0, 0])
        #expect(Autograd.grad(of: x.norm(p: 3), wrt: [x], createGraph: true)[0].toArray() == [0, 0, 0])
    }

    @Test func changingAConvolutionInputBeforeASecondDerivativeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.randn([1, 1, 4, 4], requiresGrad: true)
            let input = x * 1
            let weight = Tensor.randn([1, 1, 3, 3], requiresGrad: true)
            let y = conv2d(input, weight: weight).square().sum()
            noGrad { _ = input.mul_(100) }
            _ = Autograd.grad(of: y, wrt: [weight], createGraph: true)
        }
        #expect(stderr(r).contains("that conv2d reads for its gradient was modified by an in-place operation"))
    }

    // MARK: Hooks

    @Test func hooksRunOncePerPassAndOnlyWhereTheGradientIsWanted() {
        // Under createGraph, layerNorm and conv2d recompute themselves in an inner pass: hooks see the outer one.
        let w = Tensor.ones([4], requiresGrad: true), unhooked = Tensor.ones([4], requiresGrad: true)
        var calls = 0
        w.registerHook { g in calls += 1; return g * 2 }
        let x = Tensor([0.5, -1, 2, 0.3] as [Float], shape: [1, 4], requiresGrad: true)
        let scale = Tensor([1, 2, 3, 4] as [Float])
        (layerNorm(x, normalizedShape: [4], weight: w) * scale).sum().backward(createGraph: true)
        #expect(calls == 1)
        (layerNorm(x, normalizedShape: [4], weight: unhooked) * scale).sum().backward()
        expectClose(w.grad!.toArray(), (unhooked.grad! * 2).toArray())
        // Autograd.grad runs no hook of a leaf it does not return.
        calls = 0
        _ = Autograd.grad(of: layerNorm(x, normalizedShape: [4], weight: w).square().sum(), wrt: [x])
        #expect(calls == 0)
    }

    @Test func hooksSeeAndReplaceGradients() {
        let x = Tensor([1, 2] as [Float], requiresGrad: true)
        var seen: [[Float]] = []
        let leafHook = x.registerHook { g in
            seen.append(g.toArray())
            return g * 10
        }
        let h = x * x
        h.registerHook { g in g + 1 }   // d(sum)/dh = 1 becomes 2, then × dh/dx = 2x
        h.sum().backward()
        #expect(seen == [[4, 8]])
        #expect(x.grad?.toArray() == [40, 80])
        leafHook.remove()
        x.grad = nil
        (x * x).sum().backward()
        #expect(x.grad?.toArray() == [2, 4])
        #expect(seen.count == 1)
    }

    @Test func retainGradKeepsAnIntermediateGradient() {
        let x = Tensor([1, 2] as [Float], requiresGrad: true)
        let h = x * 3
        h.retainGrad()
        #expect(h.retainsGrad && !(x * 2).retainsGrad)
        let y = h.square().sum()
        y.backward(retainGraph: true)
        #expect(h.grad?.toArray() == [6, 12])
        y.backward()
        #expect(h.grad?.toArray() == [12, 24])
    }

    @Test func hookReturningAnotherShapeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1, 2] as [Float], requiresGrad: true)
            x.registerHook { _ in Tensor.zeros([3]) }
            x.sum().backward()
        }
        #expect(stderr(r).contains("a gradient hook returned shape [3] for a gradient of shape [2]"))
    }

    // MARK: Custom functions

    enum Exp: AutogradFunction {
        static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
            let y = inputs[0].exp()
            ctx.saveForBackward(y)
            return y
        }
        static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] {
            [gradOutput * ctx.savedTensors[0]]
        }
    }

    /// Rounds forward, passes the gradient straight through (a quantization-aware training trick).
    enum StraightThroughRound: AutogradFunction {
        static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
            ctx.values["scale"] = Float(2)
            return (inputs[0] * 2).round() / 2
        }
        static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] {
            [ctx.needsInputGrad[0] ? gradOutput : nil]
        }
    }

    /// A deliberately wrong backward (gradient of x² given as x), for gradcheck to catch.
    enum WrongSquare: AutogradFunction {
        static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
            ctx.saveForBackward(inputs[0])
            return inputs[0].square()
        }
        static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] {
            [gradOutput * ctx.savedTensors[0]]
        }
    }

    /// A backward computed outside the graph, as a user's own kernel would be, and marked so.
    enum OpaqueSquare: AutogradFunction {
        static let isOnceDifferentiable = true
        static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
            ctx.saveForBackward(inputs[0])
            return inputs[0].square()
        }
        static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] {
            [gradOutput * ctx.savedTensors[0] * 2]
        }
    }

    @Test func customFunctionsRecordTheirBackward() throws {
        let x = Tensor([0.5, -1, 2] as [Float], requiresGrad: true)
        let y = Exp.apply(x)
        #expect(y.gradFn?.name == "Exp")
        expectClose(y.toArray(), x.toArray().map { Foundation.exp($0) })
        y.sum().backward()
        expectClose(x.grad!.toArray(), y.toArray())
        // Twice differentiable: its backward is written with Ember's ops, and the saved output is
        // reattached to the node, so d²/dx² exp = exp.
        let first = Autograd.grad(of: Exp.apply(x).sum(), wrt: [x], createGraph: true)[0]
        expectClose(Autograd.grad(of: first.sum(), wrt: [x])[0].toArray(), y.toArray())
        try Autograd.gradcheck({ Exp.apply($0[0]) }, inputs: [x])

        let q = StraightThroughRound.apply(Tensor([0.3, 0.8, -1.1] as [Float], requiresGrad: true))
        #expect(q.toArray() == [0.5, 1, -1])
        let input = try #require(q.gradFn?.inputs.first)
        (q * Tensor([1, 2, 3] as [Float])).sum().backward()
        #expect(input.grad?.toArray() == [1, 2, 3])
    }

    @Test func gradcheckCatchesAWrongBackwardAndPassesLibraryOps() throws {
        let x = Tensor([0.5, -1, 2] as [Float], requiresGrad: true)
        #expect(throws: GradCheckError.self) { try Autograd.gradcheck({ WrongSquare.apply($0[0]) }, inputs: [x]) }
        do {
            try Autograd.gradcheck({ WrongSquare.apply($0[0]) }, inputs: [x])
        } catch let error as GradCheckError {
            #expect(error.input == 0 && error.element == 0)
            #expect(Swift.abs(error.analytic * 2 - error.numeric) < 1e-3)
            #expect(error.description.contains("gradcheck: input 0, element 0: backward gives"))
        }
        let image = Tensor.randn([1, 2, 4, 4]).requiringGrad()
        let weight = (Tensor.randn([3, 2, 3, 3]) * 0.5).requiringGrad()
        try Autograd.gradcheck({ conv2d($0[0], weight: $0[1], padding: 1).tanh() }, inputs: [image, weight])
        let rows = Tensor.randn([3, 5]).requiringGrad()
        try Autograd.gradcheck({ layerNorm($0[0], normalizedShape: [5]) }, inputs: [rows])
        // Large outputs: the finite differences are summed in double, so float32 rounding does not swamp them.
        try Autograd.gradcheck({ $0[0] * 50 + 100 }, inputs: [Tensor.randn([2000]).requiringGrad()])
    }

    @Test func differentiatingAOnceDifferentiableBackwardStops() async {
        // Its first derivative is fine; the second would silently be zero, so it stops instead.
        let x = Tensor([1, 2] as [Float], requiresGrad: true)
        let first = Autograd.grad(of: OpaqueSquare.apply(x).sum(), wrt: [x], createGraph: true)[0]
        #expect(first.toArray() == [2, 4])
        // A backward that is constant in its inputs, like a straight-through estimator's, is simply constant.
        let through = Autograd.grad(of: StraightThroughRound.apply(x).sum(), wrt: [x], createGraph: true)[0]
        #expect(through.toArray() == [1, 1] && !through.requiresGrad)
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1, 2] as [Float], requiresGrad: true)
            let first = Autograd.grad(of: OpaqueSquare.apply(x).sum(), wrt: [x], createGraph: true)[0]
            _ = Autograd.grad(of: (first * x).sum(), wrt: [x])
        }
        #expect(stderr(r).contains("OpaqueSquare is once differentiable (isOnceDifferentiable)"))
    }

    @Test func customBackwardWithTheWrongGradientCountStops() async {
        enum Forgetful: AutogradFunction {
            static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor { inputs[0] + inputs[1] }
            static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] { [gradOutput] }
        }
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Tensor([1] as [Float], requiresGrad: true), b = Tensor([2] as [Float], requiresGrad: true)
            Forgetful.apply(a, b).sum().backward()
        }
        #expect(stderr(r).contains("Forgetful.backward returned 1 gradients for 2 inputs"))
    }

    // MARK: Module hooks

    @Test func forwardHooksSeeAndReplaceWhatALayerGetsAndGives() {
        let model = Sequential([Linear(3, 4), ReLU(), Linear(4, 2)])
        let x = Tensor.randn([5, 3])
        var captured: Tensor?
        let capture = model.layers[1].registerForwardHook { module, input, output in
            #expect(module is ReLU && input.shape == [5, 4])
            captured = output
            return nil
        }
        let plain = model(x)
        #expect(captured?.shape == [5, 4])
        #expect(captured!.toArray().allSatisfy { $0 >= 0 })
        // A pre-hook that zeroes the last layer's input leaves only its bias.
        let zeroing = model.layers[2].registerForwardPreHook { _, input in input * 0 }
        let biasOnly = model(x)
        let bias = (model.layers[2] as! Linear).bias!.toArray()
        expectClose(biasOnly.toArray(), (0..<5).flatMap { _ in bias })
        zeroing.remove()
        capture.remove()
        captured = nil
        expectClose(model(x).toArray(), plain.toArray())
        #expect(captured == nil)
    }
}
