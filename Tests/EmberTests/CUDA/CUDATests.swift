import Foundation
import Testing
@testable import Ember

/// The CUDA backend. What needs no GPU runs everywhere: library search, error messages, the CPU
/// fallback, the kernel-argument layout, and compiling every kernel with NVRTC (when NVRTC is
/// installed, e.g. the `nvidia-cuda-nvrtc` wheel; `scripts/setup.sh` fetches it). The op-by-op
/// comparison with the CPU runs only where a GPU is present and is skipped elsewhere.
@Suite("CUDA backend") struct CUDATests {
    static let nvrtc: NVRTC? = try? NVRTC()
    static var hasNVRTC: Bool { nvrtc != nil }
    static var hasGPU: Bool { CUDA.isAvailable }

    @Test func pythonWheelFoldersAreSearched() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ember-venv-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cu13 = root.appendingPathComponent("lib/python3.12/site-packages/nvidia/cu13/lib")
        let cublas12 = root.appendingPathComponent("lib/python3.12/site-packages/nvidia/cublas/lib")
        for folder in [cu13, cublas12] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let folders = CUDALibraries.searchFolders(environment: ["VIRTUAL_ENV": root.path, "EMBER_CUDA_PATH": "/custom/a:/custom/b"])
        #expect(Array(folders.prefix(2)) == ["/custom/a", "/custom/b"])
        let cu13Index = try #require(folders.firstIndex(of: cu13.standardizedFileURL.path))
        let cublasIndex = try #require(folders.firstIndex(of: cublas12.standardizedFileURL.path))
        #expect(cu13Index < cublasIndex, "the CUDA 13 folder comes before the per-package CUDA 12 ones")
        #expect(folders.firstIndex(of: "/usr/local/cuda/lib64")! < cu13Index)
    }

    @Test func pythonOnPathLeadsToItsEnvironment() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ember-env-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let bin = root.appendingPathComponent("bin"), lib = root.appendingPathComponent("lib/python3.11/site-packages/nvidia/cu13/lib")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: lib, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: bin.appendingPathComponent("python3").path, contents: Data()))
        let folders = CUDALibraries.searchFolders(environment: ["PATH": bin.path])
        #expect(folders.contains(lib.standardizedFileURL.path))
    }

    @Test func missingLibraryNamesWhereItLookedAndTheFix() {
        do {
            _ = try CUDALibraries.open(["libember-no-such-library.so.1"], environment: ["EMBER_CUDA_PATH": "/nowhere"])
            Issue.record("opening a missing library should throw")
        } catch {
            let text = error.description
            #expect(text.contains("libember-no-such-library.so.1"))
            #expect(text.contains("/nowhere"))
            #expect(text.contains("EMBER_CUDA_PATH"))
        }
    }

    @Test func devicesParseLikePyTorch() {
        #expect(Device("cpu") == .cpu)
        #expect(Device("cuda") == .cuda(0))
        #expect(Device("cuda:3") == .cuda(3))
        #expect(Device("cuda:-1") == nil)
        #expect(Device("gpu") == nil)
        #expect(Device.cuda(2).description == "cuda:2")
    }

    @Test(.enabled(if: !CUDA.isAvailable, "this machine has a GPU; the fallback is tested where there is none"))
    func withoutAGPUEverythingFallsBackToTheCPU() throws {
        #expect(Device.cudaIfAvailable == .cpu)
        #expect(!Device.isCUDAAvailable)
        #expect(CUDA.deviceCount == 0)
        let reason = try #require(CUDA.unavailableReason)
        #expect(reason.contains("CUDA"))
        #expect(throws: CUDAError.self) { try CUDA.backend(0) }
    }

    /// CUDA graphs are refused on the CPU, and without a GPU, with the reason; a failed capture
    /// names what it met and what to do.
    @Test func cudaGraphsNeedACUDADevice() {
        #expect(throws: CUDAError.notCUDA(.cpu)) { try CUDAGraph(device: .cpu) }
        if !CUDA.isAvailable {
            #expect(throws: CUDAError.self) { try CUDAGraph(device: .cuda) }
        }
        let failure = CUDAError.captureFailed("reading a GPU value on the host (item(), toArray(), to(.cpu))").description
        #expect(failure.contains("item()") && failure.contains("run a few steps before capturing"))
    }

    @Test(.enabled(if: !CUDA.isAvailable, "this machine has a GPU"))
    func commandLineRefusesCUDAWithTheReason() throws {
        let result = try CommandLineTests.run(["train", "--device", "cuda", "--train-size", "64", "--epochs", "1"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--device cuda"))
        #expect(result.stderr.contains("use --device cpu"))
        let bad = try CommandLineTests.run(["train", "--device", "tpu"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("cpu, cuda, cuda:N or auto"))
    }

    @Test func kernelArgumentsFollowTheCLayout() {
        var args = CUDAKernelArguments()
        args.int32(7)            // offset 0
        args.pointer(0xABCD)     // aligned to 8
        args.float(1.5)          // offset 16
        args.int64(-2)           // aligned to 24
        #expect(args.bytes.count == 32)
        let words = args.bytes.withUnsafeBytes { raw in (0..<4).map { raw.load(fromByteOffset: $0 * 8, as: UInt64.self) } }
        #expect(words[0] & 0xFFFF_FFFF == 7)
        #expect(words[1] == 0xABCD)
        #expect(Float(bitPattern: UInt32(truncatingIfNeeded: words[2])) == 1.5)
        #expect(Int64(bitPattern: words[3]) == -2)
    }

    @Test func stridedLayoutMergesContiguousDimensions() {
        let plain = CUDAStridedLayout(shape: [4, 5, 6], operandStrides: [[30, 6, 1], [30, 6, 1]])
        #expect(plain.rank == 0)
        let broadcast = CUDAStridedLayout(shape: [4, 5, 6], operandStrides: [[30, 6, 1], [0, 6, 1]])
        #expect(broadcast.rank == 2)
        #expect(broadcast.sizes == [4, 30])
        #expect(broadcast.strides[1] == [0, 1])
    }

    @Test(.enabled(if: CUDATests.hasNVRTC, "NVRTC is not installed (pip install nvidia-cuda-nvrtc, or set EMBER_CUDA_PATH)"))
    func nvrtcCompilesEveryKernel() throws {
        let nvrtc = try #require(Self.nvrtc)
        for capability in [(8, 0), (9, 0)] {
            let cubin = try nvrtc.compile(cudaKernelSource, computeCapability: capability)
            #expect(Array(cubin.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46], "a cubin is an ELF file")
            let text = String(decoding: cubin, as: UTF8.self)
            for kernel in CUDAKernel.allCases {
                #expect(text.contains(kernel.rawValue), "kernel \(kernel.rawValue) is missing from the sm_\(capability.0)\(capability.1) cubin")
            }
        }
    }

    @Test(.enabled(if: CUDATests.hasNVRTC, "NVRTC is not installed"))
    func nvrtcErrorsCarryTheCompileLog() throws {
        let nvrtc = try #require(Self.nvrtc)
        do {
            _ = try nvrtc.compile("extern \"C\" __global__ void broken(float* y) { y[0] = undefined_name; }",
                                  computeCapability: (9, 0))
            Issue.record("a kernel with an error should not compile")
        } catch {
            #expect(error.description.contains("undefined_name"))
        }
    }

    @Test(.enabled(if: CUDA.isAvailable, "no CUDA GPU on this machine"))
    func everyOpMatchesTheCPUOnTheGPU() {
        for result in DeviceCheck.run(on: .cuda(0)) {
            #expect(result.passed, "\(result.name): max error \(result.maxError)")
        }
    }

    /// The GPU check's cases run anywhere: on the CPU against itself they must agree exactly, so a
    /// broken case shows up before a GPU session does. (The training cases are left out: they seed the
    /// global generator, which tests running alongside draw from.)
    @Test func deviceCheckCasesRunOnTheCPU() {
        let names = Set(DeviceCheck.training.map(\.name))
        for c in DeviceCheck.cases where !names.contains(c.name) {
            let result = DeviceCheck.check(c, on: .cpu, tolerance: 0)
            #expect(result.passed, "\(result.name): max error \(result.maxError)")
        }
    }

    @Test(.enabled(if: CUDA.isAvailable, "no CUDA GPU on this machine"))
    func tensorsAndModulesMoveBetweenDevices() throws {
        let x = Tensor([1, 2, 3, 4], shape: [2, 2])
        let g = x.to(.cuda(0))
        #expect(g.device == .cuda(0))
        #expect(g.to(.cpu).toArray() == [1, 2, 3, 4])
        let model = Linear(2, 3)
        let weight = model.weight
        model.to(.cuda(0))
        #expect(model.weight === weight, "the parameter object is kept, so optimizers made earlier still see it")
        #expect(model.weight.device == .cuda(0))
        #expect(model(g).device == .cuda(0))
    }

    @Test(.enabled(if: CUDA.isAvailable, "no CUDA GPU on this machine"))
    func mixingDevicesStopsWithBothNames() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor([1, 2]) + Tensor([1, 2]).to(.cuda(0))
        }
        await #expect(processExitsWith: .failure) {
            _ = Tensor([0.5, 0.5], shape: [1, 2]).to(.cuda(0)).indexSelect(dim: 1, indices: Tensor([5]).to(.cuda(0))).item()
        }
    }
}
