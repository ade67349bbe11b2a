import Ember

/// A training step that runs eagerly for a few warm-up steps and is then captured once in a CUDA
/// graph and replayed: a small model's step is dozens of tiny kernels, and queuing them one by one
/// costs the host far more than the GPU spends running them.
///
/// Each step's inputs (a batch, or the indices of one that the step gathers itself) are copied into
/// fixed tensors that the graph reads. Inputs of another shape (the epoch's last, partial batch)
/// run eagerly, on the same parameters and optimizer state. A new learning rate means a new
/// capture, since a captured kernel keeps the arguments it was queued with. When capture is not
/// possible (a CPU device, a model that needs the host mid-step, such as dropout's random masks)
/// every step runs eagerly and `eagerReason` says why.
final class GraphedTrainingStep {
    /// Eager steps before the capture: the optimizer's state and cuBLAS's workspaces must exist first.
    static let warmupSteps = 3

    private let optimizer: Optimizer
    private let body: ([Tensor]) -> Tensor
    private var graph: CUDAGraph?
    private var capturedLR: Float = .nan
    private var staticInputs: [Tensor] = []
    private var staticLoss: Tensor?
    private var eagerSteps = 0
    /// Why steps run eagerly (nil while the graph is used or still warming up).
    private(set) var eagerReason: String?

    /// `body(inputs)` runs one whole step (zeroGrad, forward, backward, optimizer step) and returns
    /// the loss; it must queue the same work for all inputs of one shape.
    init(device: Device, optimizer: Optimizer, enabled: Bool, body: @escaping ([Tensor]) -> Tensor) {
        self.optimizer = optimizer
        self.body = body
        if device == .cpu {
            eagerReason = "CUDA graphs need a GPU"
        } else if !enabled {
            eagerReason = "disabled by --no-cuda-graph"
        } else if !optimizer.isGraphCapturable {
            eagerReason = "\(type(of: optimizer)) computes per-step factors on the host, which a replayed graph would repeat"
        } else {
            do { graph = try CUDAGraph(device: device) } catch { eagerReason = "\(error)" }
        }
    }

    /// Runs one step and returns its loss (for a replay, the graph's loss tensor, rewritten by the next step).
    func callAsFunction(_ inputs: [Tensor]) -> Tensor {
        guard let graph, eagerReason == nil, eagerSteps >= Self.warmupSteps else {
            eagerSteps += 1
            return body(inputs)
        }
        if let staticLoss, optimizer.lr == capturedLR {
            guard inputs.map(\.shape) == staticInputs.map(\.shape) else { return body(inputs) }
            noGrad { for (fixed, input) in zip(staticInputs, inputs) { fixed.copy_(input) } }
            graph.replay()
            return staticLoss
        }
        // (Re)capture with these inputs as the fixed ones. Capturing only records the work, so one
        // replay then runs this step.
        let fixed = noGrad { inputs.map { $0.clone() } }
        do {
            staticLoss = try graph.capture { body(fixed) }
        } catch {
            eagerReason = "\(error)"
            self.graph = nil
            return body(inputs)
        }
        (staticInputs, capturedLR) = (fixed, optimizer.lr)
        graph.replay()
        return staticLoss!
    }
}
