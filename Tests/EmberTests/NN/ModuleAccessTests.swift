import Foundation
import Testing
@testable import Ember

/// `apply` (PyTorch's order: children first, each module once), and parts found by dotted path.
@Suite("Module access")
struct ModuleAccessTests {
    final class Block: Module {
        let conv = Conv2d(1, 2, kernelSize: 3)
        let bn = BatchNorm2d(2)
        override func forward(_ x: Tensor) -> Tensor { bn(conv(x)) }
    }

    final class Net: Module {
        let layers = Sequential { Block(); ReLU() }
        let fc = Linear(4, 2)
        override func forward(_ x: Tensor) -> Tensor { fc(layers(x)) }
    }

    @Test func applyVisitsChildrenFirst() {
        let net = Net()
        var order: [String] = []
        net.apply { order.append($0.typeName) }
        #expect(order == ["Conv2d", "BatchNorm2d", "Block", "ReLU", "Sequential", "Linear", "Net"])
        // The usual initialization: every Linear's weight Xavier-uniform, its bias 0.
        net.apply { m in
            if let linear = m as? Linear { _ = Init.xavierUniform(linear.weight); _ = linear.bias.map { Init.zeros($0) } }
        }
        #expect(net.fc.bias!.toArray() == [0, 0] && net.fc.weight.toArray().allSatisfy { Swift.abs($0) <= (6 / Float(6)).squareRoot() })
        // A shared layer is visited once.
        let shared = Linear(2, 2)
        var visits = 0
        Sequential { shared; shared }.apply { if $0 === shared { visits += 1 } }
        #expect(visits == 1)
    }

    @Test func dottedPathsFindParts() {
        let net = Net()
        #expect(net.getSubmodule("layers.0.conv") === (net.layers[0] as! Block).conv && net.getSubmodule("") === net)
        #expect(net.getParameter("layers.0.conv.weight") === (net.layers[0] as! Block).conv.weight)
        #expect(net.getParameter("fc.bias") === net.fc.bias!)
        #expect(net.getBuffer("layers.0.bn.running_mean") === (net.layers[0] as! Block).bn.runningMean)
        #expect(net.submodule("layers.2") == nil && net.submodule("fc.weight") == nil)
        // Every state-dict key names a parameter or a buffer.
        for key in net.stateDictKeys {
            let found = net.namedParameters().map(\.0).contains(key) ? net.getParameter(key) : net.getBuffer(key)
            #expect(found === net.namedStateEntries().first { $0.0 == key }!.1, "\(key)")
        }
        // Children from arrays are named with a dot, as in the state dict.
        let encoder = TransformerEncoder(TransformerEncoderLayer(dModel: 4, nhead: 2, dimFeedforward: 8), numLayers: 2)
        for key in encoder.stateDictKeys where key.hasSuffix("weight") { #expect(encoder.getParameter(key).shape.count >= 1, "\(key)") }
        #expect(encoder.getSubmodule("layers.1") === encoder.layers[1] && encoder.submodule("layers.2") == nil)
        // Pruned tensors' originals and masks too.
        Prune.l1Unstructured(net.fc, \.weight, amount: 2)
        #expect(net.getParameter("fc.weight_orig").shape == [2, 4] && net.getBuffer("fc.weight_mask").shape == [2, 4])
    }

    @Test func wrongPathsStopWithWhatIsThere() async {
        let typo = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Net().getParameter("fc.weigth")
        }
        #expect(stderr(typo).contains("Net has no parameter \"fc.weigth\": fc (Linear) has no \"weigth\" (it has \"weight\", \"bias\")"))
        let deep = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Net().getSubmodule("layers.3.conv")
        }
        #expect(stderr(deep).contains("Net has no submodule \"layers.3.conv\": layers (Sequential) has no \"3.conv\" (it has \"0\", \"1\")"))
        let module = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Net().getBuffer("layers.0")
        }
        #expect(stderr(module).contains("Net has no buffer \"layers.0\": it names a submodule, Block"))
    }
}
