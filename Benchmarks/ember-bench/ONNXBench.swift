import Ember
import EmberONNX
import Foundation

/// `ember-bench onnx FILE [batch ...]`: milliseconds per run of an ONNX model through Ember's importer
/// at each batch size, on random inputs of the shape the model declares. scripts/bench_onnx.sh runs it
/// beside onnxruntime and PyTorch on the same files.
func onnxBenchmark(path: String, batches: [Int]) throws {
    let model = try ONNXModel(contentsOf: URL(fileURLWithPath: path))
    guard model.inputs.count == 1, let declared = model.inputs[0].shape, declared.dropFirst().allSatisfy({ $0 != nil }) else {
        print("ember-bench onnx: \(path) needs one input with fixed dims after the batch; it takes \(model.inputs)")
        return
    }
    let sample = declared.dropFirst().map { $0! }
    print("onnx \(URL(fileURLWithPath: path).lastPathComponent) (\(model.operatorTypes.joined(separator: ", "))), \(numThreads()) threads")
    for batch in batches {
        let x = Tensor.randn([batch] + sample, generator: RandomGenerator(seed: 1))
        let seconds = secondsPerCall(minimum: 0.2) { _ = noGrad { try! model.run(x) } }
        print(String(format: "  batch %5d: %9.3f ms per run, %10.0f samples/s", batch, seconds * 1e3, Double(batch) / seconds))
    }
}
