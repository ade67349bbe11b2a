import Foundation
import Testing
@testable import Ember

/// Full backward hooks on modules: the gradients they see (for y = x·Wᵀ + b and loss Σ y·w, the
/// output's gradient is w and the input's w·W), replacements, order through a Sequential, removal.
@Suite("Module backward hooks")
struct BackwardHookTests {
    func layer() -> Linear {
        let fc = Linear(3, 2)
        noGrad {
            fc.weight.copy_(Tensor([1, 2, 3, -1, 0, 2] as [Float], shape: [2, 3]))
            fc.bias!.copy_(Tensor([0.5, -0.5] as [Float]))
        }
        return fc
    }

    @Test func hooksSeeAndReplaceTheGradients() {
        let fc = layer()
        let x = Tensor([1, 0, -1, 2, 1, 0] as [Float], shape: [2, 3], requiresGrad: true)
        let w = Tensor([1, 2, -1, 0.5] as [Float], shape: [2, 2])
        var seen: (input: [Float], output: [Float])?
        fc.registerFullBackwardHook { module, gradInput, gradOutput in
            #expect(module === fc)
            seen = (gradInput!.toArray(), gradOutput.toArray())
            return gradInput! * 2
        }
        (fc(x) * w).sum().backward()
        // w·W: [1·1 + 2·(−1), 1·2 + 0, 1·3 + 2·2] = [−1, 2, 7]; [−1 − 0.5, −2, −3 + 1] = [−1.5, −2, −2].
        #expect(seen!.output == [1, 2, -1, 0.5] && seen!.input == [-1, 2, 7, -1.5, -2, -2])
        #expect(x.grad!.toArray() == [-2, 4, 14, -3, -4, -4])   // the hook's replacement
        #expect(fc.weight.grad!.toArray() == [-1, -1, -1, 3, 0.5, -2])   // wᵀ·x, untouched
    }

    @Test func preHooksReplaceTheOutputsGradient() {
        let fc = layer()
        let x = Tensor.ones([1, 3], requiresGrad: true)
        fc.registerFullBackwardPreHook { _, gradOutput in gradOutput * Tensor([1, 0] as [Float]) }   // only the first output
        fc(x).sum().backward()
        #expect(x.grad!.toArray() == [1, 2, 3] && fc.weight.grad!.toArray() == [1, 1, 1, 0, 0, 0])
        #expect(fc.bias!.grad!.toArray() == [1, 0])
    }

    /// Hooks fire last layer first; a first layer fed data (no grad) still reports its output's
    /// gradient, with nil for the input's; removed hooks stay quiet; evaluation under noGrad runs none.
    @Test func orderInputsWithoutGradAndRemoval() {
        let first = layer(), second = Linear(2, 1)
        let model = Sequential { first; ReLU(); second }
        var calls: [String] = []
        let handles = [
            first.registerFullBackwardHook { _, gradInput, gradOutput in
                #expect(gradInput == nil && gradOutput.shape == [4, 2])
                calls.append("first"); return nil
            },
            second.registerFullBackwardHook { _, gradInput, _ in
                #expect(gradInput!.shape == [4, 2])
                calls.append("second"); return nil
            },
        ]
        let x = Tensor.randn([4, 3])
        let plain = model(x).toArray()
        model(x).sum().backward()
        #expect(calls == ["second", "first"])
        _ = noGrad { model(x) }
        #expect(calls.count == 2 && model(x).toArray() == plain)
        handles.forEach { $0.remove() }
        model(x).sum().backward()
        #expect(calls.count == 2)
    }

    /// A gradient penalty's second backward goes through the hooked layer again (tanh's saved
    /// output leads back through it), so its hook runs again, as PyTorch's does (1, then 2 calls);
    /// hooks are those of the call; a graph kept alive does not keep the module.
    @Test func doubleBackwardSnapshotsAndLifetime() {
        let inner = Linear(3, 3)
        let model = Sequential { Linear(3, 3); Tanh(); inner; Tanh() }
        var calls = 0
        inner.registerFullBackwardHook { _, _, _ in calls += 1; return nil }
        let x = Tensor.randn([2, 3], requiresGrad: true)
        let g = Autograd.grad(of: model(x).sum(), wrt: [x], createGraph: true)[0]
        #expect(calls == 1)
        g.square().sum().backward()
        #expect(calls == 2 && x.grad != nil)

        let late = Linear(2, 2)
        let y = late(Tensor.randn([1, 2], requiresGrad: true))
        late.registerFullBackwardHook { _, _, _ in calls += 1; return nil }   // after the call: not this call's
        y.sum().backward()
        #expect(calls == 2)

        weak var gone: Linear?
        var kept: Tensor?
        do {
            let temporary = Linear(2, 2)
            temporary.registerFullBackwardHook { _, _, _ in nil }
            kept = temporary(Tensor.randn([1, 2], requiresGrad: true))
            gone = temporary
        }
        #expect(gone == nil && kept != nil)
        kept!.sum().backward()   // the module is gone; the gradient still flows
    }

    @Test func replacingAnInputGradientThatDoesNotExistStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let fc = Linear(2, 2)
            fc.registerFullBackwardHook { _, _, gradOutput in gradOutput }
            fc(Tensor.ones([1, 2])).sum().backward()
        }
        #expect(stderr(result).contains("a full backward hook of Linear returned an input gradient, but the input does not require grad"))
    }

    /// Grad-CAM's recipe: the activations from a forward hook, their gradient from a backward hook.
    @Test func gradCAMFromTwoHooks() {
        manualSeed(8)
        let conv = Conv2d(1, 3, kernelSize: 3, padding: .same)
        let model = Sequential { conv; ReLU(); AdaptiveAvgPool2d(1); Flatten(); Linear(3, 2) }
        var activations: Tensor?, gradients: Tensor?
        conv.registerForwardHook { _, _, output in activations = output.detach(); return nil }
        conv.registerFullBackwardHook { _, _, gradOutput in gradients = gradOutput.detach(); return nil }
        let image = Tensor.randn([1, 1, 6, 6])
        model(image).select(1, 1).sum().backward()
        let weights = gradients!.mean(dims: [2, 3], keepdim: true)   // one weight per channel
        let cam = (weights * activations!).sum(dim: 1).relu()
        #expect(cam.shape == [1, 6, 6] && gradients!.shape == [1, 3, 6, 6])
        // The pooled gradient of channel c is the class weight times ReLU'(z) over 36 pixels.
        let classWeights = (model[4] as! Linear).weight.select(0, 1).toArray()
        let active = activations!.gt(0).mean(dims: [2, 3]).reshape([3]).toArray()
        expectClose(weights.reshape([3]).toArray(), zip(classWeights, active).map { $0 * $1 / 36 }, atol: 1e-6)
    }
}
