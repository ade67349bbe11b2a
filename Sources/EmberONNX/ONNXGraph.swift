import Ember
import Foundation

/// A graph compiled for running: every node's kernel, with the values it reads and writes as slots
/// of one array, and the slots each node is the last to read (freed after it, so that a long graph
/// holds only the activations still needed).
struct CompiledGraph {
    struct Step {
        let label: String
        let kernel: ONNXKernel
        let inputSlots: [Int?]       // nil for an omitted optional input
        let outputSlots: [Int?]      // nil for an output the node need not produce (empty name)
        let releasedSlots: [Int]
    }

    let steps: [Step]
    let slotCount: Int
    /// Slots of the initializers (filled before running), graph inputs and graph outputs.
    let initializerSlots: [Int]
    let inputSlots: [Int]
    let outputSlots: [Int]

    /// Compiles `graph`, whose nodes ONNX requires in topological order.
    init(graph: Onnx_GraphProto, opset: Int, baseDirectory: URL?, initializerNames: [String], inputNames: [String]) throws {
        var slotOf: [String: Int] = [:]
        func define(_ name: String) -> Int {
            if let s = slotOf[name] { return s }
            slotOf[name] = slotOf.count
            return slotOf.count - 1
        }
        initializerSlots = initializerNames.map(define)
        inputSlots = inputNames.map(define)

        var compiled: [(label: String, kernel: ONNXKernel, inputs: [Int?], outputs: [Int?])] = []
        for proto in graph.node {
            let node = ONNXNode(proto, opset: opset, baseDirectory: baseDirectory)
            guard proto.domain.isEmpty || proto.domain == "ai.onnx" else {
                throw node.unsupported("operator domain '\(proto.domain)' (Ember runs the standard ONNX operators, domain ai.onnx)")
            }
            guard let compile = Operators.compiler(for: proto.opType) else {
                throw ONNXError.unsupported("operator \(proto.opType) (node \(node.label)); Ember runs \(Operators.supported.count) operators: \(Operators.supported.joined(separator: ", "))")
            }
            let inputs: [Int?] = try proto.input.map { name in
                if name.isEmpty { return nil }
                guard let slot = slotOf[name] else {
                    throw node.invalid("reads '\(name)', which no graph input, initializer or earlier node produces")
                }
                return slot
            }
            let kernel = try compile(node)
            let outputs: [Int?] = proto.output.map { $0.isEmpty ? nil : define($0) }
            compiled.append((node.label, kernel, inputs, outputs))
        }
        outputSlots = try graph.output.map { output in
            guard let slot = slotOf[output.name] else {
                throw ONNXError.invalidModel("graph output '\(output.name)' is produced by no node")
            }
            return slot
        }

        // The last reader of each slot frees it, except for initializers and graph outputs.
        var lastReader: [Int: Int] = [:]
        for (i, step) in compiled.enumerated() {
            for case let slot? in step.inputs { lastReader[slot] = i }
        }
        let kept = Set(initializerSlots).union(outputSlots)
        var released = Array(repeating: [Int](), count: compiled.count)
        for (slot, i) in lastReader where !kept.contains(slot) { released[i].append(slot) }
        steps = compiled.enumerated().map { i, c in
            Step(label: c.label, kernel: c.kernel, inputSlots: c.inputs, outputSlots: c.outputs, releasedSlots: released[i])
        }
        slotCount = slotOf.count
    }

    /// Runs the steps in order over `values`, which holds the initializers and inputs on entry.
    func run(_ values: inout [Tensor?]) throws {
        for step in steps {
            var inputs: [Tensor?] = step.inputSlots.map { $0.flatMap { values[$0] } }
            Self.bringToOneDevice(&inputs)
            let outputs: [Tensor]
            do {
                outputs = try step.kernel(inputs)
            } catch let failure as KernelFailure {
                throw ONNXError.nodeFailed(node: step.label, reason: failure.reason)
            }
            for (i, slot) in step.outputSlots.enumerated() {
                guard let slot else { continue }
                guard i < outputs.count else {
                    throw ONNXError.nodeFailed(node: step.label, reason: "the operator makes \(outputs.count) output(s), the node names \(step.outputSlots.count)")
                }
                values[slot] = outputs[i]
            }
            for slot in step.releasedSlots { values[slot] = nil }
        }
    }

    /// Constants and shape values live on the CPU; when a node mixes them with tensors on a GPU,
    /// they follow the GPU tensors there.
    private static func bringToOneDevice(_ inputs: inout [Tensor?]) {
        guard let device = inputs.lazy.compactMap({ $0?.device }).first(where: { $0 != .cpu }) else { return }
        for i in inputs.indices where inputs[i]?.device == .cpu { inputs[i] = inputs[i]!.to(device) }
    }
}
