// libFuzzer entry point for Ember's PyTorch checkpoint reader (coverage-guided, with AddressSanitizer).
//
// Needs a toolchain with libFuzzer (the swift.org Linux toolchains have it) and only this product
// built with the fuzzer flags, since libFuzzer supplies `main`:
//
//   swift build --product torch-checkpoint-libfuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
//   mkdir -p /tmp/corpus && cp Tests/EmberTests/Fixtures/torch/*.pth ../shared/fixtures/torch/*.pth /tmp/corpus/
//   SWIFT_BACKTRACE=enable=no .build/debug/torch-checkpoint-libfuzzer /tmp/corpus -max_len=1000000 -max_total_time=600
//
// (The deterministic harness in Fuzz/TorchCheckpointFuzz runs without any of this.)

import Ember
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func torchCheckpointFuzzInput(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    guard let state = try? TorchCheckpoint.read(data, name: "libfuzzer-input") else { return 0 }
    // Touch every element, as a user would: views must stay inside their storages.
    var sum: Float = 0
    for (_, tensor) in state where tensor.count <= 1 << 22 { sum += tensor.toArray().reduce(0, +) }
    return sum.isNaN ? 0 : 0
}
