import Foundation
import Testing
@testable import Ember

/// InstanceNorm1d/2d against PyTorch (cases 40..<42 and 45 of conv.json, scripts/make_conv_fixtures.py).
@Suite struct InstanceNormTests {
    static var cases: [[String: Any]] { ConvolutionTests.cases }

    @Test(arguments: 40..<42)
    func matchesPyTorch(_ index: Int) {
        let c = Self.cases[index]
        let shape = c["x_shape"] as! [Int]
        let affine = !(c["w"] is NSNull || c["w"] == nil)
        let layer: InstanceNormBase = shape.count == 3 ? InstanceNorm1d(shape[1], affine: affine)
            : InstanceNorm2d(shape[1], affine: affine)
        if affine {
            noGrad {
                layer.weight!.copy_(Tensor(floats(c["w"])))
                layer.bias!.copy_(Tensor(floats(c["b"])))
            }
        }
        let x = Tensor(floats(c["x"]), shape: shape, requiresGrad: true)
        ConvolutionTests.expectMatches(c, layer(x), gradients: ["grad_x": x, "grad_w": layer.weight, "grad_b": layer.bias],
                                       atol: 1e-4)
        // Unbatched input: the first sample alone, the same in evaluation mode.
        layer.eval()
        let single = noGrad { layer(x.detach().select(0, 0)) }
        expectClose(single.toArray(), noGrad { layer(x.detach()) }.select(0, 0).toArray(), "unbatched")
    }

    @Test func runningStatisticsMatchPyTorch() throws {
        let c = Self.cases[45]
        #expect(c["kind"] as? String == "instance_norm_tracked")
        let shape = c["x_shape"] as! [Int]
        let layer = InstanceNorm2d(shape[1], affine: true, trackRunningStats: true)
        noGrad {
            layer.weight!.copy_(Tensor(floats(c["w"])))
            layer.bias!.copy_(Tensor(floats(c["b"])))
        }
        for step in c["steps"] as! [Any] { _ = layer(Tensor(floats(step), shape: shape)) }
        expectClose(layer.runningMean.toArray(), floats(c["running_mean"]), atol: 1e-5, "running mean")
        expectClose(layer.runningVar.toArray(), floats(c["running_var"]), atol: 1e-5, "running var")
        #expect(layer.numBatchesTracked.toIntArray() == [0])
        #expect(layer.stateDict().keys.sorted() == ["bias", "num_batches_tracked", "running_mean", "running_var", "weight"])
        layer.eval()
        let x = Tensor(floats(c["x"]), shape: shape, requiresGrad: true)
        ConvolutionTests.expectMatches(c, layer(x), gradients: ["grad_x": x, "grad_w": layer.weight, "grad_b": layer.bias],
                                       atol: 1e-4)
        #expect(InstanceNorm2d(3, momentum: 0.2, trackRunningStats: true).description
                == ConvolutionTests.reprs["instance_norm2d_tracked"])
    }

    @Test func reprsAndStateDictMatchPyTorch() {
        let reprs = ConvolutionTests.reprs
        #expect(InstanceNorm2d(3).description == reprs["instance_norm2d"])
        #expect(InstanceNorm1d(8, eps: 1e-3, affine: true).description == reprs["instance_norm1d_affine"])
        #expect(InstanceNorm2d(3).stateDict().isEmpty)
        #expect(InstanceNorm1d(8, affine: true).stateDict().keys.sorted() == ["bias", "weight"])
    }

    @Test func wrongChannelsNameTheExpectedShape() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = InstanceNorm2d(3)(Tensor.zeros([2, 4, 5, 5]))
        } .map { result in
            let text = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(text.contains("InstanceNorm2d: expected an input [N, 3, H, W] or [3, H, W], got shape [2, 4, 5, 5]"), "\(text)")
        }
    }
}
