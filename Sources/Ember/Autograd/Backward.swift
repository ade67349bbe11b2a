import Foundation

/// Reverse-mode differentiation over the recorded graph.
extension Tensor {
    /// Computes the gradient of this tensor with respect to every leaf that requires one, adding it to
    /// the leaves' `grad`. Without `gradient` the tensor must hold a single element (a loss).
    ///
    /// With `createGraph` the backward pass is itself recorded, so the gradients it leaves can be
    /// differentiated again (a gradient penalty, a Hessian-vector product); `retainGraph` then
    /// defaults to true, as in PyTorch. The leaves' `grad` then hold the graph, which holds the leaves:
    /// set them to nil (`zeroGrad()`) when done, or prefer `Autograd.grad`, which leaves `grad` alone.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool? = nil, createGraph: Bool = false) {
        guard requiresGrad else {
            fatalError("Ember: backward() on a tensor that does not require grad and has no grad_fn "
                + "(shape \(shape)); set requiresGrad on the parameters or inputs first")
        }
        var pass = BackwardPass(retainGraph: retainGraph ?? createGraph, createGraph: createGraph, targets: nil)
        pass.run([(self, seed(gradient, op: "backward", shared: !createGraph))])
    }

    /// The gradient a backward pass starts from: `gradient`, checked against this tensor, or 1 for a
    /// single-element tensor (the cached one when `shared`: only where no gradient can alias it).
    func seed(_ gradient: Tensor?, op: String, shared: Bool) -> Tensor {
        if let gradient {
            guard gradient.shape == shape else {
                shapeFailure(ShapeError("\(op): gradient of shape \(gradient.shape) does not match the tensor's shape \(shape)"))
            }
            guard gradient.device == device else {
                fatalError("Ember: \(op): the gradient is on \(gradient.device) but the tensor is on \(device); "
                    + "move it with .to(\(device))")
            }
            return gradient
        }
        guard count == 1 else {
            shapeFailure(ShapeError("\(op): grad can be implicitly created only for scalar outputs, "
                + "but the tensor has shape \(shape); pass a gradient of that shape"))
        }
        return shared ? Tensor.unitSeed(device).reshape(shape) : Tensor.ones(shape, device: device)
    }

    nonisolated(unsafe) private static var unitSeeds: [Device: Tensor] = [:]
    private static let unitSeedsLock = NSLock()

    /// The implicit gradient of a scalar output: one cached 1 per device, so that no backward pass
    /// (nor a CUDA graph of one) spends a kernel on it. No leaf's grad aliases it (`claimed` below).
    /// It is never made while a graph is captured: its value would only be written on replay.
    private static func unitSeed(_ device: Device) -> Tensor {
        unitSeedsLock.lock()
        defer { unitSeedsLock.unlock() }
        if let seed = unitSeeds[device] { return seed }
        let seed = Tensor.ones([], device: device)
        if let cuda = device.backend as? CUDABackend, cuda.context.isCapturing { return seed }
        unitSeeds[device] = seed
        return seed
    }

}

/// One reverse-mode pass: from output gradients back through the graph, either into the leaves'
/// `grad` (`backward()`) or into the gradients of chosen tensors (`Autograd.grad`).
struct BackwardPass {
    let retainGraph: Bool
    /// Record the pass itself (closures run in grad mode, nothing is updated in place).
    let createGraph: Bool
    /// For `Autograd.grad`: the tensors whose gradients are returned; leaves' `grad` stay untouched.
    let targets: [Tensor]?
    /// Treat the targets as independent: their gradients do not flow on past them (partial
    /// derivatives, for `Tensor.recomputedGradients`).
    var stopsAtTargets = false

    /// Gradients found for `targets`, in their order.
    private(set) var captured: [Tensor?] = []
    /// Gradient so far of each node's output, by node.
    private var grads: [ObjectIdentifier: Tensor] = [:]
    /// Gradients this pass allocated itself and nothing else refers to: later contributions are
    /// added to them in place. (A gradient a backward closure returned may alias another tensor.)
    private var owned = Set<ObjectIdentifier>()
    /// Storages already handed out as a leaf's grad in this pass: a second leaf gets a copy, so
    /// no two grads alias (in-place clipping or accumulation must touch one grad only).
    private var claimed = Set<ObjectIdentifier>()
    /// Target positions by leaf tensor and by the node that produced a non-leaf target.
    private var leafTargets: [ObjectIdentifier: [Int]] = [:]
    private var nodeTargets: [ObjectIdentifier: [Int]] = [:]
    /// Gradients of leaves with hooks, summed over the pass: a hook sees a leaf's whole gradient once.
    private var hookedLeafGrads: [ObjectIdentifier: (leaf: Tensor, grad: Tensor)] = [:]

    init(retainGraph: Bool, createGraph: Bool, targets: [Tensor]?) {
        self.retainGraph = retainGraph
        self.createGraph = createGraph
        self.targets = targets
        for (i, target) in (targets ?? []).enumerated() {
            if let node = target.gradFn {
                nodeTargets[ObjectIdentifier(node), default: []].append(i)
            } else {
                leafTargets[ObjectIdentifier(target), default: []].append(i)
            }
        }
        captured = Array(repeating: nil, count: targets?.count ?? 0)
    }

    /// Runs the pass from each (output, gradient of the output) pair.
    mutating func run(_ roots: [(Tensor, Tensor)]) {
        GradMode.with(enabled: createGraph) { runRecordingIfAsked(roots) }
    }

    private mutating func runRecordingIfAsked(_ roots: [(Tensor, Tensor)]) {
        for (output, seed) in roots {
            claimed.insert(ObjectIdentifier(seed.storage))
            if let node = output.gradFn {
                add(seed, to: ObjectIdentifier(node))
            } else {
                reachLeaf(output, seed)
            }
        }
        let order = topologicalOrder(roots.compactMap { $0.0.gradFn })
        let needed = targets == nil ? nil : nodesLeadingToTargets(order)
        for node in order.reversed() {
            let nodeKey = ObjectIdentifier(node)
            guard var grad = grads.removeValue(forKey: nodeKey) else { continue }
            owned.remove(nodeKey)
            let positions = targets == nil ? nil : nodeTargets[nodeKey]
            let isNeeded = needed?.contains(nodeKey) ?? true
            if !isNeeded && positions == nil { continue }
            // A recomputation's inner pass is not the user's: their hooks see the outer pass only.
            if !stopsAtTargets {
                if !node.gradHooks.isEmpty { grad = node.gradHooks.applied(to: grad) }
                for retainer in node.retainers { retainer.tensor?.keepGrad(exclusive(grad), createGraph: createGraph) }
            }
            if let positions {
                for i in positions { captured[i] = exclusive(grad) }
                if stopsAtTargets { continue }
            }
            if !isNeeded { continue }
            // A view (slice) of a computed tensor adds its gradient into that tensor's in place.
            if !createGraph, let addIntoInputGrad = node.addIntoInputGrad, node.inputs.count == 1,
               let producer = node.inputs[0].gradFn, node.inputs[0].requiresGrad {
                let input = node.inputs[0]
                addIntoInputGrad(ownedGrad(ObjectIdentifier(producer), shape: input.shape, device: input.device), grad)
                if !retainGraph { node.free() }
                continue
            }
            var inputGrads = createGraph ? node.applyRecording(grad) : node.apply(grad)
            if !retainGraph { node.free() }
            if createGraph { inputGrads = inputGrads.map { guardingDoubleBackward($0, of: node, from: grad) } }
            for (input, inputGrad) in zip(node.inputs, inputGrads) {
                guard let inputGrad, input.requiresGrad else { continue }
                if let producer = input.gradFn {
                    if let needed, !needed.contains(ObjectIdentifier(producer)), nodeTargets[ObjectIdentifier(producer)] == nil {
                        continue
                    }
                    add(inputGrad, to: ObjectIdentifier(producer))
                } else {
                    reachLeaf(input, inputGrad)
                }
            }
        }
        for (leaf, grad) in hookedLeafGrads.values {
            let hooked = leaf.leafHooks.applied(to: grad)
            // A tensor a hook made may be the hook's own: the leaf gets a copy.
            deliver(hooked === grad ? hooked : hooked.clone(), to: leaf)
        }
    }

    /// Nodes in an order where every node comes after the nodes of its inputs, by iterative
    /// depth-first search from the roots (graphs can be deep).
    private func topologicalOrder(_ roots: [GradNode]) -> [GradNode] {
        var order: [GradNode] = []
        var visited = Set<ObjectIdentifier>()
        for root in roots where visited.insert(ObjectIdentifier(root)).inserted {
            var stack: [(GradNode, Int)] = [(root, 0)]
            while let (node, next) = stack.popLast() {
                if next < node.inputs.count {
                    stack.append((node, next + 1))
                    if let child = node.inputs[next].gradFn, visited.insert(ObjectIdentifier(child)).inserted {
                        // Stopping at a target: its own inputs are not part of this pass.
                        stack.append((child, stopsAtTargets && nodeTargets[ObjectIdentifier(child)] != nil
                                      ? child.inputs.count : 0))
                    }
                } else {
                    order.append(node)
                }
            }
        }
        return order
    }

    /// The nodes with a target among or behind their inputs: the only ones `Autograd.grad` runs.
    private func nodesLeadingToTargets(_ order: [GradNode]) -> Set<ObjectIdentifier> {
        var needed = Set<ObjectIdentifier>()
        for node in order {
            let leads = node.inputs.contains { input in
                guard let producer = input.gradFn else { return leafTargets[ObjectIdentifier(input)] != nil }
                let key = ObjectIdentifier(producer)
                return needed.contains(key) || nodeTargets[key] != nil
            }
            if leads { needed.insert(ObjectIdentifier(node)) }
        }
        return needed
    }

    /// Adds a contribution to the gradient of the output of the node at `key`.
    private mutating func add(_ contribution: Tensor, to key: ObjectIdentifier) {
        guard let existing = grads[key] else {
            grads[key] = contribution
            return
        }
        if owned.contains(key) && !createGraph {
            existing.add_(contribution)
        } else {
            grads[key] = existing + contribution
            owned.insert(key)
        }
    }

    /// The gradient so far of the output of the node at `key`, as a tensor this pass owns.
    private mutating func ownedGrad(_ key: ObjectIdentifier, shape: [Int], device: Device) -> Tensor {
        if let existing = grads[key], owned.contains(key) { return existing }
        let fresh = grads[key]?.clone() ?? Tensor.zeros(shape, device: device)
        grads[key] = fresh
        owned.insert(key)
        return fresh
    }

    /// A gradient arriving at a leaf: delivered now, or summed until the end of the pass when the
    /// leaf has hooks.
    private mutating func reachLeaf(_ leaf: Tensor, _ grad: Tensor) {
        guard leaf.requiresGrad, targets == nil || leafTargets[ObjectIdentifier(leaf)] != nil else { return }
        let grad = grad.shape == leaf.shape ? grad : grad.reshape(leaf.shape)
        guard leaf.leafHooks.isEmpty || stopsAtTargets else {
            let key = ObjectIdentifier(leaf)
            hookedLeafGrads[key] = (leaf, hookedLeafGrads[key].map { $0.grad + grad } ?? grad)
            return
        }
        deliver(grad, to: leaf)
    }

    /// A leaf's gradient: accumulated into its `grad`, or kept when the leaf is a target.
    private mutating func deliver(_ grad: Tensor, to leaf: Tensor) {
        guard targets != nil else {
            accumulate(grad, into: leaf)
            return
        }
        for i in leafTargets[ObjectIdentifier(leaf)] ?? [] {
            captured[i] = captured[i].map { $0 + grad } ?? exclusive(grad)
        }
    }

    /// Adds to a leaf's `grad`, as PyTorch accumulates across backward calls until zeroGrad().
    private mutating func accumulate(_ g: Tensor, into leaf: Tensor) {
        if let existing = leaf.grad {
            if createGraph {
                leaf.grad = existing + g
            } else {
                existing.add_(g)
            }
            return
        }
        let own = g.storage === leaf.storage ? g.clone() : exclusive(g)
        // A recorded grad keeps its graph (to be differentiated again); otherwise it is a plain buffer.
        leaf.grad = createGraph ? own : own.detach()
    }

    /// `g`, or a copy of it when it is not a plain buffer of its own: a gradient handed out (a leaf's
    /// grad, one `Autograd.grad` returns, a retained grad) must alias no other, nor the output
    /// gradient it came from, since it may be changed in place. Copies are recorded under createGraph.
    private mutating func exclusive(_ g: Tensor) -> Tensor {
        var g = g
        if !g.isContiguous || g.offset != 0 || claimed.contains(ObjectIdentifier(g.storage)) { g = g.clone() }
        claimed.insert(ObjectIdentifier(g.storage))
        return g
    }

    /// Under `createGraph`, a gradient that should depend on recorded tensors but came out of a
    /// closure without a graph (a fused kernel with no composed form) gets a node that stops a later
    /// backward through it with a message, instead of silently giving zero second derivatives.
    private func guardingDoubleBackward(_ inputGrad: Tensor?, of node: GradNode, from grad: Tensor) -> Tensor? {
        guard let inputGrad, !inputGrad.requiresGrad, grad.requiresGrad else { return inputGrad }
        let name = node.name
        return inputGrad.detach().recording("\(name)Backward", inputs: [grad]) { _ in
            fatalError("Ember: differentiating through the backward of \(name) is not supported "
                + "(createGraph: true recorded its gradient without a graph); compose it from differentiable ops")
        }
    }
}

extension Tensor {
    /// Keeps a non-leaf's gradient in `grad` (see `retainGrad()`), accumulating like a leaf's; `g`
    /// is a tensor of its own.
    func keepGrad(_ g: Tensor, createGraph: Bool) {
        if let existing = grad {
            grad = createGraph ? existing + g : noGrad { existing + g }
        } else {
            grad = createGraph ? g : g.detach()
        }
    }
}
