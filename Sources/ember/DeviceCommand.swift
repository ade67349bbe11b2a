import ArgumentParser
import Ember
import Foundation

/// `ember device`: what Ember can compute on here, and (with --check) every op on the GPU compared
/// with the CPU, like `python -c "import torch; print(torch.cuda.is_available())"` plus a self-test.
struct DeviceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device",
        abstract: "Show the CUDA devices Ember can use, and check a device's results against the CPU.")

    @Flag(help: "Run every op forward and backward on the device and compare with the CPU (exit 1 on a mismatch).")
    var check = false

    @Option(help: "The device to check: cuda or cuda:N.")
    var device: String = "cuda"

    @Option(help: "Only the checks whose name contains this text.")
    var filter: String?

    @Flag(help: "Time the device's per-op cost and the seed MLP's training step, phase by phase.")
    var bench = false

    func run() throws {
        guard CUDA.isAvailable else {
            print("CUDA: not available (\(CUDA.unavailableReason ?? "unknown reason")); Ember computes on the CPU.")
            if check { throw ExitCode.failure }
            return
        }
        for index in 0..<CUDA.deviceCount {
            let backend = try CUDA.backend(index)
            let cc = backend.computeCapability
            print("cuda:\(index): \(backend.deviceName), compute capability \(cc.major).\(cc.minor)")
        }
        if bench, let target = Device(device) { benchmark(target) }
        guard check else { return }
        guard let target = Device(device), target != .cpu else {
            throw ValidationError("--device must be cuda or cuda:N, got \"\(device)\"")
        }
        var failed = 0
        for result in DeviceCheck.run(on: target, filter: filter) {
            print(String(format: "%@  %-32@ max error %.2e", result.passed ? "ok  " : "FAIL", result.name, result.maxError))
            if !result.passed { failed += 1 }
        }
        print(failed == 0 ? "All checks passed on \(target)." : "\(failed) check(s) failed on \(target).")
        if failed > 0 { throw ExitCode.failure }
    }

    /// Microseconds per call of `body`, after a warm-up, synchronised at the end.
    func microseconds(_ device: Device, _ count: Int, _ body: () -> Void) -> Double {
        for _ in 0..<10 { body() }
        device.backend.synchronize()
        let start = Date()
        for _ in 0..<count { body() }
        device.backend.synchronize()
        return Date().timeIntervalSince(start) / Double(count) * 1e6
    }

    func benchmark(_ device: Device) {
        if let backend = device.backend as? CUDABackend {
            for (name, us) in backend.launchPathProfile() { print(String(format: "%@: %.2f us", name, us)) }
        }
        let small = Tensor.zeros([64, 256], device: device)
        print(String(format: "relu of 64x256 (one launch): %.2f us", microseconds(device, 2000) { _ = small.relu() }))
        print(String(format: "tensor allocation only: %.2f us", microseconds(device, 2000) {
            _ = Tensor(uninitializedShape: [64, 256], device: device) }))
        manualSeed(0)
        let model = Sequential { Linear(784, 256); ReLU(); Linear(256, 10) }.to(device)
        let optimizer = Adam(model.parameters(), lr: 1e-3)
        let x = Tensor.randn([64, 784]).to(device), y = Tensor.randint(0, 10, [64]).to(device)
        print(String(format: "forward + loss: %.1f us", microseconds(device, 500) { _ = crossEntropy(model(x), y) }))
        print(String(format: "forward + backward: %.1f us", microseconds(device, 500) {
            optimizer.zeroGrad(); crossEntropy(model(x), y).backward() }))
        print(String(format: "optimizer step: %.1f us", microseconds(device, 500) { optimizer.step() }))
        print(String(format: "whole step: %.1f us", microseconds(device, 500) {
            optimizer.zeroGrad(); crossEntropy(model(x), y).backward(); optimizer.step() }))
        guard device != .cpu else { return }
        do {
            let graph = try CUDAGraph(device: device)
            let (staticX, staticY) = (x.clone(), y.clone())
            let capturedStep = {
                optimizer.zeroGrad(); crossEntropy(model(staticX), staticY).backward(); optimizer.step()
            }
            try graph.capture(capturedStep)
            let nodes = graph.nodes
            print("CUDA graph of the step: \(nodes.count) nodes")
            for node in nodes { print("  \(node)") }
            CUDA.profile { for _ in 0..<3 { graph.replay() } }   // what `ncu --profile-from-start off` sees
            print(String(format: "whole step, CUDA graph replay: %.1f us", microseconds(device, 2000) { graph.replay() }))
            print(String(format: "whole step, batch copied in + replay: %.1f us", microseconds(device, 2000) {
                staticX.copy_(x); staticY.copy_(y); graph.replay() }))
            // The same step with TF32 tensor-core products (an opt-in, like PyTorch's allow_tf32).
            if let backend = device.backend as? CUDABackend {
                backend.allowTF32 = true
                defer { backend.allowTF32 = false }
                try graph.capture(capturedStep)
                print(String(format: "whole step with TF32 products, CUDA graph replay: %.1f us",
                             microseconds(device, 2000) { graph.replay() }))
            }
        } catch {
            print("CUDA graph: \(error)")
        }
    }
}
