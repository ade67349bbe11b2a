#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Finds and opens the CUDA libraries at run time (dlopen), so that Ember builds and runs without
/// CUDA installed and needs no CUDA headers or link flags.
///
/// Search order for each library:
/// 1. the folders in `EMBER_CUDA_PATH` (colon-separated);
/// 2. the system loader (`LD_LIBRARY_PATH`, ldconfig's cache);
/// 3. the standard CUDA folders (`/usr/local/cuda/lib64`, `/usr/local/nvidia/lib64`, ...);
/// 4. the `nvidia` folders of Python environments' site-packages (the CUDA wheels keep their
///    libraries in `site-packages/nvidia/cu13/lib`, or `nvidia/<package>/lib` for CUDA 12), found
///    from `VIRTUAL_ENV`, `CONDA_PREFIX` and every `python3` on `PATH`.
public enum CUDALibraries {
    /// The folders searched after the system loader, in order.
    public static func searchFolders(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var folders: [String] = []
        if let custom = environment["EMBER_CUDA_PATH"] {
            folders += custom.split(separator: ":").map(String.init)
        }
        folders += ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/local/nvidia/lib64",
                    "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/wsl/lib"]
        folders += pythonNvidiaFolders(environment: environment)
        return folders
    }

    /// `site-packages/nvidia/*/lib` folders of the Python environments this process can see.
    static func pythonNvidiaFolders(environment: [String: String]) -> [String] {
        var prefixes: [String] = []
        for key in ["VIRTUAL_ENV", "CONDA_PREFIX"] { if let p = environment[key] { prefixes.append(p) } }
        for dir in (environment["PATH"] ?? "").split(separator: ":") {
            let python = "\(dir)/python3"
            guard FileManager.default.fileExists(atPath: python) else { continue }
            let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: python)).map {
                $0.hasPrefix("/") ? $0 : "\(dir)/\($0)"
            }
            // The environment is the folder above bin/ (for a venv, the link's own folder counts).
            prefixes.append(String(dir) + "/..")
            if let resolved { prefixes.append((resolved as NSString).deletingLastPathComponent + "/..") }
        }
        prefixes += ["/usr/local", "/usr", NSHomeDirectory() + "/.local"]
        var folders: [String] = []
        var seen = Set<String>()
        for prefix in prefixes {
            for libDir in ["lib", "lib64"] {
                let base = "\(prefix)/\(libDir)"
                guard let pythons = try? FileManager.default.contentsOfDirectory(atPath: base) else { continue }
                for python in pythons.sorted() where python.hasPrefix("python3") {
                    for packages in ["site-packages", "dist-packages"] {
                        let nvidia = "\(base)/\(python)/\(packages)/nvidia"
                        guard let subfolders = try? FileManager.default.contentsOfDirectory(atPath: nvidia) else { continue }
                        // cu13 first (one folder holding everything), then the per-package CUDA 12 layout.
                        for sub in subfolders.sorted(by: { ($0 == "cu13" ? 0 : 1, $0) < ($1 == "cu13" ? 0 : 1, $1) }) {
                            let lib = (("\(nvidia)/\(sub)/lib") as NSString).standardizingPath
                            if FileManager.default.fileExists(atPath: lib), seen.insert(lib).inserted { folders.append(lib) }
                        }
                    }
                }
            }
        }
        return folders
    }

    /// An opened library: its handle and the path it came from.
    public struct Handle: @unchecked Sendable {
        let raw: UnsafeMutableRawPointer
        public let path: String

        /// The function `name`, as the C function type `T`.
        func symbol<T>(_ name: String, as type: T.Type) throws(CUDAError) -> T {
            guard let address = dlsym(raw, name) else {
                throw CUDAError.missingSymbol(name, library: path)
            }
            return unsafeBitCast(address, to: type)
        }
    }

    /// Opens the first of `names` found: first in the EMBER_CUDA_PATH folders, then through the
    /// system loader, then in the other folders. Throws, listing where it looked, when none opens.
    public static func open(_ names: [String], environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(CUDAError) -> Handle {
        let custom = (environment["EMBER_CUDA_PATH"] ?? "").split(separator: ":").map(String.init)
        var candidates: [String] = []
        for folder in custom { for name in names { candidates.append("\(folder)/\(name)") } }
        candidates += names
        for folder in searchFolders(environment: environment) where !custom.contains(folder) {
            for name in names { candidates.append("\(folder)/\(name)") }
        }
        var lastError = ""
        for candidate in candidates {
            if candidate.hasPrefix("/") && !FileManager.default.fileExists(atPath: candidate) { continue }
            if let raw = dlopen(candidate, RTLD_NOW | RTLD_GLOBAL) {
                return Handle(raw: raw, path: candidate.hasPrefix("/") ? candidate : loadedPath(of: candidate) ?? candidate)
            }
            if let message = dlerror() { lastError = String(cString: message) }
        }
        throw CUDAError.libraryNotFound(names.first ?? "?", searched: searchFolders(environment: environment),
                                        lastError: lastError)
    }

    /// Where the loader found a library opened by bare name: its line in /proc/self/maps.
    static func loadedPath(of name: String) -> String? {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return nil }
        for line in maps.split(separator: "\n") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            let path = String(line[slash...])
            if (path as NSString).lastPathComponent.hasPrefix(name) { return path }
        }
        return nil
    }
}
