import Ember

/// Microseconds per `step()` of each optimizer over the seed MLP's parameters (784×256 + 256 + 256×10
/// + 10 floats, gradients set), as scripts/bench_pytorch_optim.py times PyTorch's.
func optimizerBenchmark() {
    manualSeed(1)
    let makers: [(String, ([Tensor]) -> Optimizer)] = [
        ("adam", { Adam($0) }), ("adamw", { AdamW($0) }), ("sgd_momentum", { SGD($0, lr: 0.01, momentum: 0.9) }),
        ("rmsprop", { RMSprop($0) }), ("adagrad", { Adagrad($0) }), ("adadelta", { Adadelta($0) }),
        ("adamax", { Adamax($0) }), ("nadam", { NAdam($0) }), ("radam", { RAdam($0) }),
    ]
    print("optimizer step over the MLP's 203,530 parameters, \(numThreads()) threads (µs per step)")
    for (name, make) in makers {
        let parameters = [[256, 784], [256], [10, 256], [10]].map { Tensor.randn($0, requiresGrad: true) }
        for p in parameters { p.grad = Tensor.randn(p.shape) }
        let optimizer = make(parameters)
        let seconds = secondsPerCall { optimizer.step() }
        print("\(pad(name, 14))\(format(seconds * 1e6, 0))")
    }
}
