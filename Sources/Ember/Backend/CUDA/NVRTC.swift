#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// NVRTC, CUDA's run-time compiler, bound by dlsym. It needs no GPU, so kernel sources can be
/// compiled (and checked) on any machine that has the library.
public struct NVRTC {
    typealias Result = Int32
    typealias Program = OpaquePointer

    let library: CUDALibraries.Handle
    let nvrtcVersion: @convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Result
    let nvrtcCreateProgram: @convention(c) (UnsafeMutablePointer<Program?>, UnsafePointer<CChar>, UnsafePointer<CChar>?,
                                            Int32, UnsafePointer<UnsafePointer<CChar>?>?,
                                            UnsafePointer<UnsafePointer<CChar>?>?) -> Result
    let nvrtcCompileProgram: @convention(c) (Program?, Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Result
    let nvrtcGetProgramLogSize: @convention(c) (Program?, UnsafeMutablePointer<Int>) -> Result
    let nvrtcGetProgramLog: @convention(c) (Program?, UnsafeMutablePointer<CChar>) -> Result
    let nvrtcGetCUBINSize: @convention(c) (Program?, UnsafeMutablePointer<Int>) -> Result
    let nvrtcGetCUBIN: @convention(c) (Program?, UnsafeMutablePointer<CChar>) -> Result
    let nvrtcDestroyProgram: @convention(c) (UnsafeMutablePointer<Program?>) -> Result
    let nvrtcGetErrorString: @convention(c) (Result) -> UnsafePointer<CChar>?

    /// Opens NVRTC (see `CUDALibraries` for where it looks) and preloads its builtins library.
    public init() throws(CUDAError) {
        let lib = try CUDALibraries.open(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"])
        Self.preloadBuiltins(besides: lib.path)
        library = lib
        nvrtcVersion = try lib.symbol("nvrtcVersion", as: type(of: nvrtcVersion))
        nvrtcCreateProgram = try lib.symbol("nvrtcCreateProgram", as: type(of: nvrtcCreateProgram))
        nvrtcCompileProgram = try lib.symbol("nvrtcCompileProgram", as: type(of: nvrtcCompileProgram))
        nvrtcGetProgramLogSize = try lib.symbol("nvrtcGetProgramLogSize", as: type(of: nvrtcGetProgramLogSize))
        nvrtcGetProgramLog = try lib.symbol("nvrtcGetProgramLog", as: type(of: nvrtcGetProgramLog))
        nvrtcGetCUBINSize = try lib.symbol("nvrtcGetCUBINSize", as: type(of: nvrtcGetCUBINSize))
        nvrtcGetCUBIN = try lib.symbol("nvrtcGetCUBIN", as: type(of: nvrtcGetCUBIN))
        nvrtcDestroyProgram = try lib.symbol("nvrtcDestroyProgram", as: type(of: nvrtcDestroyProgram))
        nvrtcGetErrorString = try lib.symbol("nvrtcGetErrorString", as: type(of: nvrtcGetErrorString))
    }

    /// NVRTC opens `libnvrtc-builtins.so.<major>.<minor>` by bare name while compiling; when it sits
    /// beside NVRTC in a folder the loader does not search (a Python wheel's), compiling fails with
    /// NVRTC_ERROR_BUILTIN_OPERATION_FAILURE. Loading it first by full path makes the bare name resolve.
    static func preloadBuiltins(besides nvrtcPath: String) {
        let folder = (nvrtcPath as NSString).deletingLastPathComponent
        guard !folder.isEmpty, let files = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for file in files.sorted(by: { $0.count > $1.count }) where file.hasPrefix("libnvrtc-builtins.so") {
            if dlopen("\(folder)/\(file)", RTLD_NOW | RTLD_GLOBAL) != nil { return }
        }
    }

    /// NVRTC's version as (major, minor).
    public var version: (major: Int, minor: Int) {
        var major: Int32 = 0, minor: Int32 = 0
        _ = nvrtcVersion(&major, &minor)
        return (Int(major), Int(minor))
    }

    private func check(_ result: Result, _ function: String) throws(CUDAError) {
        guard result != 0 else { return }
        let message = nvrtcGetErrorString(result).map { String(cString: $0) } ?? "unknown error"
        throw CUDAError.call(function, code: result, message: message)
    }

    /// Compiles CUDA C `source` to a cubin for compute capability `major.minor` (e.g. 9.0 → sm_90).
    /// Throws `.compilation` with NVRTC's log when the source does not compile.
    public func compile(_ source: String, name: String = "ember.cu", computeCapability: (Int, Int)) throws(CUDAError) -> [UInt8] {
        var program: Program? = nil
        try check(nvrtcCreateProgram(&program, source, name, 0, nil, nil), "nvrtcCreateProgram")
        defer { _ = nvrtcDestroyProgram(&program) }
        let options = ["--gpu-architecture=sm_\(computeCapability.0)\(computeCapability.1)", "--std=c++17"]
        let cOptions = options.map { strdup($0) }
        defer { cOptions.forEach { free($0) } }
        let result = cOptions.map { UnsafePointer($0) }.withUnsafeBufferPointer { buffer in
            nvrtcCompileProgram(program, Int32(buffer.count), buffer.baseAddress)
        }
        if result != 0 {
            throw CUDAError.compilation(log: log(program))
        }
        var size = 0
        try check(nvrtcGetCUBINSize(program, &size), "nvrtcGetCUBINSize")
        var cubin = [UInt8](repeating: 0, count: size)
        let copied = cubin.withUnsafeMutableBytes { nvrtcGetCUBIN(program, $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
        try check(copied, "nvrtcGetCUBIN")
        return cubin
    }

    private func log(_ program: Program?) -> String {
        var size = 0
        guard nvrtcGetProgramLogSize(program, &size) == 0, size > 1 else { return "(no log)" }
        var text = [CChar](repeating: 0, count: size)
        _ = nvrtcGetProgramLog(program, &text)
        return String(cString: text)
    }
}
