import Testing
@testable import Ember

/// The recurrent layer a case of rnn.json describes, with the case's PyTorch parameters loaded.
func recurrentLayer(_ c: [String: Any]) throws -> RNNBase {
    let (layers, hidden, inputSize) = (c["num_layers"] as! Int, c["hidden_size"] as! Int, c["input_size"] as! Int)
    let (bias, batchFirst, bidirectional) = (c["bias"] as! Bool, c["batch_first"] as! Bool, c["bidirectional"] as! Bool)
    let module: RNNBase
    switch c["kind"] as! String {
    case "RNN":
        module = RNN(inputSize, hidden, numLayers: layers, nonlinearity: RNNNonlinearity(rawValue: c["nonlinearity"] as! String)!,
                     bias: bias, batchFirst: batchFirst, bidirectional: bidirectional)
    case "LSTM":
        module = LSTM(inputSize, hidden, numLayers: layers, bias: bias, batchFirst: batchFirst, bidirectional: bidirectional,
                      projSize: c["proj_size"] as? Int ?? 0)
    default: module = GRU(inputSize, hidden, numLayers: layers, bias: bias, batchFirst: batchFirst, bidirectional: bidirectional)
    }
    try loadParameters(module, c["params"])
    return module
}

/// Checks a layer's output and final states against the case, then the gradients of
/// sum(output·up) + sum(h_n·up_h) (+ sum(c_n·up_c)) with respect to the input, the initial states and
/// every parameter.
func expectRecurrentResults(_ c: [String: Any], _ module: RNNBase, input x: Tensor, output: Tensor, h: Tensor, c cN: Tensor?,
                            h0: Tensor?, c0: Tensor?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    // A projected LSTM's cell states keep the hidden size.
    let stateShape = ints(c["state_shape"]), cellShape = c["c_state_shape"].map(ints) ?? stateShape
    #expect(output.shape == ints(c["output_shape"]), "\(what) output shape", sourceLocation: sourceLocation)
    #expect(h.shape == stateShape, "\(what) h_n shape", sourceLocation: sourceLocation)
    expectClose(output.toArray(), floats(c["output"]), "\(what) output", sourceLocation: sourceLocation)
    expectClose(h.toArray(), floats(c["h_n"]), "\(what) h_n", sourceLocation: sourceLocation)
    var loss = (output * tensor(c["upstream"], output.shape)).sum() + (h * tensor(c["upstream_h"], stateShape)).sum()
    if let cN {
        expectClose(cN.toArray(), floats(c["c_n"]), "\(what) c_n", sourceLocation: sourceLocation)
        #expect(cN.shape == cellShape, "\(what) c_n shape", sourceLocation: sourceLocation)
        loss = loss + (cN * tensor(c["upstream_c"], cellShape)).sum()
    }
    loss.backward()
    expectClose(x.grad!.toArray(), floats(c["grad_input"]), "\(what) grad input", sourceLocation: sourceLocation)
    if let h0 { expectClose(h0.grad!.toArray(), floats(c["grad_h0"]), "\(what) grad h0", sourceLocation: sourceLocation) }
    if let c0 { expectClose(c0.grad!.toArray(), floats(c["grad_c0"]), "\(what) grad c0", sourceLocation: sourceLocation) }
    expectParameterGrads(module, c["grads"], what, sourceLocation: sourceLocation)
}
