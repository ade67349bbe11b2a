import Ember
import Foundation
import SwiftProtobuf

/// A model from an ONNX file, run by Ember's operators: the way to use in Swift a network trained
/// elsewhere, such as one exported by `torch.onnx.export` (with either of its exporters).
///
///     let model = try ONNXModel(contentsOf: URL(fileURLWithPath: "mnist_cnn.onnx"))
///     print(model.inputs)                              // [input: FLOAT [batch, 1, 28, 28]]
///     let logits = try model.run(images)               // one input, first output
///     let outputs = try model.run(["input": images])   // by name, every output
///
/// It is a `Module`: its floating-point initializers with at least one dim are its parameters,
/// under the names the file gives them (PyTorch's exporters keep `fc1.weight`), and the other
/// initializers are buffers. So `stateDict()`, `loadStateDict(_:)`, `to(device)` and optimizers
/// work on it, and since every node runs an Ember operator under autograd, an imported model can
/// be fine-tuned; `save(to:)` writes it back with its current weights.
///
/// The graph is compiled when the model loads: an operator Ember does not run, a missing input or a
/// bad attribute is reported then, naming the node. Ember runs the standard operators (domain
/// ai.onnx) that image, sequence and Transformer models use (`ONNXModel.supportedOperators`);
/// control flow (If, Loop, Scan) and quantized operators are not among them.
public final class ONNXModel: Module {
    /// The graph's inputs, without the initializers older files also list as inputs.
    public let inputs: [ONNXValueInfo]
    public let outputs: [ONNXValueInfo]
    /// The version of the ONNX operator set the model was exported for.
    public let opsetVersion: Int
    /// The program that wrote the file and its version, such as `pytorch 2.13.0`.
    public let producer: String
    /// The operators the graph uses, sorted.
    public let operatorTypes: [String]

    /// Every operator Ember runs.
    public static var supportedOperators: [String] { Operators.supported }

    private var proto: Onnx_ModelProto
    private let graph: CompiledGraph
    private let initializerNames: [String]
    private let initializers: [Tensor]
    private let parameterIndices: Set<Int>
    /// Initializers that older exporters also list as inputs, which a feed may then replace.
    private let replaceableInitializers: Set<String>

    /// Reads and compiles an ONNX model file (weights stored beside it as external data included).
    public convenience init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw ONNXError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        try self.init(serializedData: data, baseDirectory: url.deletingLastPathComponent(), fileName: url.path)
    }

    /// Reads and compiles a model from the bytes of an ONNX file. `baseDirectory` is where
    /// external weights are found; `fileName` names the model in errors.
    public init(serializedData data: Data, baseDirectory: URL? = nil, fileName: String = "the model") throws {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ONNXError.unreadable(file: fileName, reason: "not an ONNX model (\(error))")
        }
        guard model.hasGraph, !model.graph.output.isEmpty else {
            throw ONNXError.unreadable(file: fileName, reason: "not an ONNX model (it holds no graph with outputs)")
        }
        let opsets = model.opsetImport.filter { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        // IR version 3 files may omit the import; they then use operator set 1.
        opsetVersion = Int(opsets.map(\.version).max() ?? 1)
        producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        proto = model

        let decoder = TensorDecoder(baseDirectory: baseDirectory)
        var names: [String] = []
        var tensors: [Tensor] = []
        var trainable: Set<Int> = []
        for (i, initializer) in model.graph.initializer.enumerated() {
            let tensor = try decoder.tensor(initializer, what: "initializer '\(initializer.name)'")
            names.append(initializer.name)
            if tensor.dtype == .float32 && tensor.rank > 0 {
                tensors.append(tensor.requiringGrad())
                trainable.insert(i)
            } else {
                tensors.append(tensor)
            }
        }
        initializerNames = names
        initializers = tensors
        parameterIndices = trainable

        let initializerSet = Set(names)
        inputs = model.graph.input.filter { !initializerSet.contains($0.name) }.map(ONNXValueInfo.init)
        replaceableInitializers = initializerSet.intersection(model.graph.input.map(\.name))
        outputs = model.graph.output.map(ONNXValueInfo.init)
        operatorTypes = Array(Set(model.graph.node.map(\.opType))).sorted()
        graph = try CompiledGraph(graph: model.graph, opset: opsetVersion, baseDirectory: baseDirectory, initializerNames: names,
                                  inputNames: inputs.map(\.name))
        super.init()
        train(false)   // an exported graph is an inference graph
    }

    // MARK: Running

    /// Runs the graph on named inputs and returns every output by name.
    public func run(_ feeds: [String: Tensor]) throws -> [String: Tensor] {
        let unknown = feeds.keys.filter { key in !inputs.contains { $0.name == key } && !replaceableInitializers.contains(key) }.sorted()
        guard unknown.isEmpty else {
            throw ONNXError.badInput("the model has no input named \(unknown.map { "'\($0)'" }.joined(separator: ", ")); its inputs are \(inputs.map(\.description).joined(separator: "; "))")
        }
        var values = [Tensor?](repeating: nil, count: graph.slotCount)
        for (slot, (name, tensor)) in zip(graph.initializerSlots, zip(initializerNames, initializers)) {
            values[slot] = replaceableInitializers.contains(name) ? feeds[name] ?? tensor : tensor
        }
        for (slot, info) in zip(graph.inputSlots, inputs) {
            guard let tensor = feeds[info.name] else {
                throw ONNXError.badInput("input '\(info.name)' is missing; the model's inputs are \(inputs.map(\.description).joined(separator: "; "))")
            }
            values[slot] = try checked(tensor, against: info)
        }
        try graph.run(&values)
        var result: [String: Tensor] = [:]
        for (slot, info) in zip(graph.outputSlots, outputs) {
            guard let tensor = values[slot] else {
                throw ONNXError.invalidModel("graph output '\(info.name)' was not produced")
            }
            result[info.name] = tensor
        }
        return result
    }

    /// Runs a model with one input and returns its first output.
    public func run(_ input: Tensor) throws -> Tensor {
        guard inputs.count == 1 else {
            throw ONNXError.badInput("the model takes \(inputs.count) inputs (\(inputs.map(\.description).joined(separator: "; "))); pass them by name with run([name: tensor])")
        }
        return try run([inputs[0].name: input])[outputs[0].name]!
    }

    /// `model(x)` for a model with one input: its first output. It stops the program on an error;
    /// call `run(_:)` to have the error thrown instead.
    public override func forward(_ x: Tensor) -> Tensor {
        do {
            return try run(x)
        } catch {
            fatalError("Ember: \(error)")
        }
    }

    /// Converts an input to the declared element type and checks its shape against the declared one.
    private func checked(_ tensor: Tensor, against info: ONNXValueInfo) throws -> Tensor {
        guard info.accepts(tensor.shape) else {
            throw ONNXError.badInput("input '\(info.name)' has shape \(tensor.shape), the model expects \(info)")
        }
        if let dtype = info.dtype, dtype != tensor.dtype { return tensor.to(dtype) }
        return tensor
    }

    // MARK: Module

    public override func directParameters() -> [(String, Tensor)] {
        initializerNames.indices.filter { parameterIndices.contains($0) }.map { (initializerNames[$0], initializers[$0]) }
    }

    public override func directBuffers() -> [(String, Tensor)] {
        initializerNames.indices.filter { !parameterIndices.contains($0) }.map { (initializerNames[$0], initializers[$0]) }
    }

    public override func namedChildren() -> [(String, Module)] { [] }

    // MARK: Saving

    /// The model as ONNX bytes, with the parameters' current values, every initializer stored inside
    /// the file (ONNX files hold up to 2 GB that way).
    public func serializedData() throws -> Data {
        var model = proto
        var graphProto = model.graph
        for (i, original) in graphProto.initializer.enumerated()
        where parameterIndices.contains(i) || original.dataLocation == .external {
            let type = Onnx_TensorProto.DataType(rawValue: Int(original.dataType))
            guard type == .float || type == .int64 else {
                throw ONNXError.unsupported("saving initializer '\(original.name)' of type \(type?.name ?? "\(original.dataType)"); Ember writes FLOAT and INT64 initializers")
            }
            graphProto.initializer[i] = Onnx_TensorProto(noGrad { initializers[i].detach() }, name: original.name)
        }
        model.graph = graphProto
        let data: Data = try model.serializedBytes()
        guard data.count < Int(Int32.max) else {
            throw ONNXError.unsupported("saving a model of \(data.count) bytes; ONNX files hold up to 2 GB without external data, which Ember does not write")
        }
        return data
    }

    /// Writes the model with its current weights, through a temporary file renamed when complete.
    public func save(to url: URL) throws {
        let data = try serializedData()
        try AtomicFile.write(data, to: url)
    }
}
