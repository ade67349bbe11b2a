import Foundation

/// Reverse-mode differentiation over the recorded graph.
extension Tensor {
    /// Computes the gradient of this tensor with respect to every leaf that requires one, adding it to
    /// the leaves' `grad`. Without `gradient` the tensor must hold a single element (a loss).
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false) {
        guard requiresGrad else {
            fatalError("Ember: backward() on a tensor that does not require grad and has no grad_fn "
                + "(shape \(shape)); set requiresGrad on the parameters or inputs first")
        }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == shape else {
                shapeFailure(ShapeError("backward: gradient of shape \(gradient.shape) does not match the tensor's shape \(shape)"))
            }
            guard gradient.device == device else {
                fatalError("Ember: backward: the gradient is on \(gradient.device) but the tensor is on \(device); "
                    + "move it with .to(\(device))")
            }
            seed = gradient
        } else {
            guard count == 1 else {
                shapeFailure(ShapeError("backward: grad can be implicitly created only for scalar outputs, "
                    + "but the tensor has shape \(shape); pass a gradient of that shape"))
            }
            seed = Tensor.unitSeed(device).reshape(shape)
        }
        noGrad { runBackward(seed: seed, retainGraph: retainGraph) }
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

    private func runBackward(seed: Tensor, retainGraph: Bool) {
        // Storages already handed out as a leaf's grad in this pass: a second leaf gets a copy, so
        // no two grads alias (in-place clipping or accumulation must touch one grad only).
        var claimed: Set<ObjectIdentifier> = [ObjectIdentifier(seed.storage)]
        guard let root = gradFn else {
            accumulate(seed, claimed: &claimed)
            return
        }
        // Topological order by iterative depth-first search (graphs can be deep).
        var order: [GradNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GradNode, Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                if let child = node.inputs[next].gradFn, visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else {
                order.append(node)
            }
        }
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
        // Gradients this pass allocated itself and nothing else refers to: later contributions are
        // added to them in place. (A gradient a backward closure returned may alias another tensor.)
        var owned = Set<ObjectIdentifier>()
        /// Adds a contribution to the gradient of the output of the node at `key`.
        func add(_ contribution: Tensor, to key: ObjectIdentifier) {
            guard let existing = grads[key] else {
                grads[key] = contribution
                return
            }
            if owned.contains(key) {
                existing.add_(contribution)
            } else {
                grads[key] = existing + contribution
                owned.insert(key)
            }
        }
        /// The gradient so far of the output of the node at `key`, as a tensor this pass owns.
        func ownedGrad(_ key: ObjectIdentifier, shape: [Int], device: Device) -> Tensor {
            if let existing = grads[key], owned.contains(key) { return existing }
            let fresh = grads[key]?.clone() ?? Tensor.zeros(shape, device: device)
            grads[key] = fresh
            owned.insert(key)
            return fresh
        }
        for node in order.reversed() {
            let nodeKey = ObjectIdentifier(node)
            guard let grad = grads.removeValue(forKey: nodeKey) else { continue }
            owned.remove(nodeKey)
            // A view (slice) of a computed tensor adds its gradient into that tensor's in place.
            if let addIntoInputGrad = node.addIntoInputGrad, node.inputs.count == 1, let producer = node.inputs[0].gradFn,
               node.inputs[0].requiresGrad {
                let input = node.inputs[0]
                addIntoInputGrad(ownedGrad(ObjectIdentifier(producer), shape: input.shape, device: input.device), grad)
                if !retainGraph { node.free() }
                continue
            }
            let inputGrads = node.apply(grad)
            if !retainGraph { node.free() }
            for (input, inputGrad) in zip(node.inputs, inputGrads) {
                guard let inputGrad, input.requiresGrad else { continue }
                if let producer = input.gradFn {
                    add(inputGrad, to: ObjectIdentifier(producer))
                } else {
                    input.accumulate(inputGrad, claimed: &claimed)
                }
            }
        }
    }

    /// Adds to a leaf's `grad`, as PyTorch accumulates across backward calls until zeroGrad().
    private func accumulate(_ g: Tensor, claimed: inout Set<ObjectIdentifier>) {
        guard requiresGrad else { return }
        var g = g.shape == shape ? g : g.reshape(shape)
        if let existing = grad {
            existing.add_(g)
            return
        }
        if !g.isContiguous || g.offset != 0 || claimed.contains(ObjectIdentifier(g.storage)) || g.storage === storage {
            g = g.clone()
        }
        claimed.insert(ObjectIdentifier(g.storage))
        grad = g.detach()
    }
}
