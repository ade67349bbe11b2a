/// One recorded op in the autograd graph: the inputs that need gradients and a closure that maps the
/// output's gradient to theirs. The closure keeps the tensors it saved alive until backward frees it.
public final class GradNode {
    public let name: String
    /// Inputs in the order the backward closure returns their gradients.
    private(set) var inputs: [Tensor]
    /// Maps the output gradient to one gradient per input (nil where none flows).
    private(set) var backwardFunction: ((Tensor) -> [Tensor?])?
    /// Tensors the closure reads, with their storage versions at recording time.
    private var saved: [(Tensor, Int)]
    /// For a view of its single input: adds the output gradient into the region of the input's
    /// gradient it views, in place. The engine uses it instead of `backwardFunction`, so that the
    /// many slices of one tensor (an RNN's time steps) cost their own size each, not the input's.
    private(set) var addIntoInputGrad: ((_ inputGrad: Tensor, _ grad: Tensor) -> Void)?
    /// Hooks on the gradient of this node's output (`registerHook` on a non-leaf tensor), in order.
    var gradHooks: [GradHook] = []
    /// Non-leaf outputs that keep their gradient (`retainGrad()`); weak, so the graph keeps none alive.
    var retainers: [WeakTensor] = []

    /// The node whose backward closure is running under `createGraph`: a closure's saved output is
    /// reattached to it (`Tensor.reattached()`), so that second derivatives flow through that output.
    @TaskLocal static var applying: GradNode?

    /// Set while `checkpoint` recomputes its function: nodes made then are marked, so that its check
    /// can tell them from nodes of the outer graph.
    @TaskLocal static var recomputing = false
    /// Made while a checkpointed function was recomputed.
    let madeInRecomputation: Bool

    init(name: String, inputs: [Tensor], saved: [Tensor], backward: @escaping (Tensor) -> [Tensor?],
         addIntoInputGrad: ((Tensor, Tensor) -> Void)? = nil) {
        self.name = name
        self.inputs = inputs
        self.saved = saved.map { ($0, $0.storage.version) }
        self.backwardFunction = backward
        self.addIntoInputGrad = addIntoInputGrad
        madeInRecomputation = GradNode.recomputing
    }

    /// Runs the backward closure, checking that nothing it saved was modified in place since.
    func apply(_ grad: Tensor) -> [Tensor?] {
        guard let backward = backwardFunction else {
            fatalError("Ember: trying to backward through the graph a second time (through \(name)). "
                + "The graph's saved tensors were freed by the first backward(); "
                + "call backward(retainGraph: true) the first time if you need to run it again.")
        }
        for (tensor, version) in saved where tensor.storage.version != version {
            fatalError("Ember: a tensor of shape \(tensor.shape) saved by \(name) for its gradient was modified "
                + "by an in-place operation after it was used; its version is \(tensor.storage.version), "
                + "expected \(version). Use an out-of-place op (x = x + y instead of x.add_(y)).")
        }
        return backward(grad)
    }

    /// `apply` while this node is `GradNode.applying` (backward with createGraph).
    func applyRecording(_ grad: Tensor) -> [Tensor?] {
        GradNode.$applying.withValue(self) { apply(grad) }
    }

    /// Drops the closure and what it saved (after a backward without retainGraph).
    func free() {
        backwardFunction = nil
        addIntoInputGrad = nil
    }

    /// Unlinks the graph behind this node with a loop: releasing a long chain (thousands of ops) through
    /// nested deinits, tensor → node → tensor → ..., would overflow the stack.
    deinit {
        var pending = inputs + saved.map(\.0)
        inputs = []
        saved = []
        while var tensor = pending.popLast() {
            guard isKnownUniquelyReferenced(&tensor), var node = tensor.gradFn else { continue }
            tensor.gradFn = nil
            guard isKnownUniquelyReferenced(&node) else { continue }
            node.backwardFunction = nil
            pending += node.inputs + node.saved.map(\.0)
            node.inputs = []
            node.saved = []
        }
    }
}

/// A hook on a tensor's gradient, with the id its `RemovableHandle` removes it by.
struct GradHook {
    let id: Int
    let body: (Tensor) -> Tensor?
}

/// A tensor held without keeping it alive.
struct WeakTensor {
    weak var tensor: Tensor?
}

extension Tensor {
    /// This saved output of the node being applied, reconnected to that node while a backward closure
    /// runs with `createGraph` (outside it, the tensor itself). Closures save their output detached,
    /// since the output holds the node: reattaching it lets a second derivative flow through it, as
    /// PyTorch's saved variables do.
    func reattached() -> Tensor {
        guard GradMode.isEnabled, let node = GradNode.applying else { return self }
        let output = detach()
        output.requiresGrad = true
        output.gradFn = node
        return output
    }

    /// Records `name` as this result's producer when grad mode is on and any input needs a gradient.
    /// `backward` receives the output gradient and returns one gradient per input, in order.
    @discardableResult
    func recording(_ name: String, inputs: [Tensor], saving saved: [Tensor] = [],
                   addIntoInputGrad: ((Tensor, Tensor) -> Void)? = nil,
                   _ backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return self }
        requiresGrad = true
        gradFn = GradNode(name: name, inputs: inputs, saved: saved, backward: backward, addIntoInputGrad: addIntoInputGrad)
        return self
    }
}
