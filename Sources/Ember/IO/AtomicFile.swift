import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that readers see either the old contents or the complete new contents, never a mix:
/// the bytes go to a temporary file in the same folder, which is flushed to disk (fsync) and then renamed
/// over the target. If anything fails before the rename, the temporary file is removed and the old file
/// stays as it was.
public final class AtomicFileWriter {
    /// The file that `commit()` replaces.
    public let destination: URL
    /// The temporary file being written.
    public let temporaryURL: URL
    private var fd: Int32
    private var finished = false
    /// Bytes written so far.
    public private(set) var bytesWritten = 0

    /// Creates the temporary file next to `destination` (creating the folder if needed).
    public init(destination: URL) throws {
        self.destination = destination
        let folder = destination.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw EmberIOError(.writeFailed, file: destination.path, "cannot create the folder \(folder.path): \(error.localizedDescription)")
        }
        var template = Array(folder.appendingPathComponent(".\(destination.lastPathComponent).tmp-XXXXXX").path.utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw EmberIOError(.writeFailed, file: destination.path, "cannot create a temporary file in \(folder.path): \(String(cString: strerror(errno)))")
        }
        // mkstemp creates the file 0600; give it the mode a plain create would (0666 less the umask).
        let mask = umask(0)
        umask(mask)
        fchmod(descriptor, 0o666 & ~mask)
        fd = descriptor
        temporaryURL = URL(fileURLWithPath: template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    }

    deinit { if !finished { abort() } }

    /// Appends raw bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "Ember: AtomicFileWriter used after commit or abort")
        var done = 0
        while done < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress!.advanced(by: done), bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                abort()
                throw EmberIOError(.writeFailed, file: destination.path, "writing failed: \(reason); the previous file, if any, is unchanged")
            }
            done += n
        }
        bytesWritten += bytes.count
    }

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Flushes the temporary file to disk and renames it over the destination.
    public func commit() throws {
        precondition(!finished, "Ember: AtomicFileWriter committed twice")
        if fsync(fd) != 0 {
            let reason = String(cString: strerror(errno))
            abort()
            throw EmberIOError(.writeFailed, file: destination.path, "fsync failed: \(reason); the previous file, if any, is unchanged")
        }
        close(fd)
        finished = true
        if rename(temporaryURL.path, destination.path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryURL.path)
            throw EmberIOError(.writeFailed, file: destination.path, "renaming the finished temporary file into place failed: \(reason)")
        }
        // Make the rename itself durable (best effort: some file systems refuse fsync on folders).
        let folderFD = open(destination.deletingLastPathComponent().path, O_RDONLY)
        if folderFD >= 0 {
            _ = fsync(folderFD)
            close(folderFD)
        }
    }

    /// Gives up: removes the temporary file and leaves the destination untouched.
    public func abort() {
        guard !finished else { return }
        finished = true
        close(fd)
        unlink(temporaryURL.path)
    }
}

/// Atomic whole-file writes; see `AtomicFileWriter`.
public enum AtomicFile {
    /// Replaces `url` with `data` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        let writer = try AtomicFileWriter(destination: url)
        try writer.write(data)
        try writer.commit()
    }

    /// Streams the new contents through `body`, then commits. If `body` throws, nothing is replaced.
    public static func write(to url: URL, _ body: (AtomicFileWriter) throws -> Void) throws {
        let writer = try AtomicFileWriter(destination: url)
        do {
            try body(writer)
        } catch {
            writer.abort()
            throw error
        }
        try writer.commit()
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#else
private let systemWrite = Darwin.write
#endif
