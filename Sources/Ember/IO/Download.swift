import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads a file to disk with a progress bar, checks its MD5 and only then moves it into place.
///
/// The bytes stream into a temporary file next to the destination (`AtomicFileWriter`); a failed
/// transfer or a checksum mismatch removes the temporary file and leaves whatever was at the
/// destination untouched.
public enum Downloader {
    /// Downloads `url` to `destination`. When `md5` is given, the file must match it.
    /// `progress` draws a bar on standard error.
    public static func download(_ url: URL, to destination: URL, md5: String? = nil, progress: Bool = true,
                                timeout: TimeInterval = 60) throws {
        let writer = try AtomicFileWriter(destination: destination)
        let delegate = StreamingDelegate(writer: writer, label: destination.lastPathComponent, showProgress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        let task = session.dataTask(with: url)
        task.resume()
        delegate.done.wait()
        session.finishTasksAndInvalidate()

        if let failure = delegate.failure {
            writer.abort()
            throw EmberIOError(.downloadFailed, file: url.absoluteString,
                               "download failed: \(failure); nothing at \(destination.path) was changed. Check your connection, or put the file there yourself")
        }
        let digest = delegate.md5.hexDigest()
        if let md5, digest.lowercased() != md5.lowercased() {
            writer.abort()
            throw EmberIOError(.checksumMismatch, file: url.absoluteString,
                               "the downloaded file has MD5 \(digest) but \(md5) was expected; it was discarded and nothing at \(destination.path) was changed")
        }
        try writer.commit()
    }

    /// Tries each URL in turn until one succeeds; throws the last error.
    public static func download(from mirrors: [URL], to destination: URL, md5: String? = nil, progress: Bool = true) throws {
        var lastError: Error = EmberIOError(.downloadFailed, file: destination.path, "no download URL given")
        for url in mirrors {
            do {
                try download(url, to: destination, md5: md5, progress: progress)
                return
            } catch {
                lastError = error
                if progress { FileHandle.standardError.write(Data("\(error)\n".utf8)) }
            }
        }
        throw lastError
    }
}

/// Receives the response in chunks, writing each to the temporary file and hashing it.
private final class StreamingDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let writer: AtomicFileWriter
    let label: String
    let showProgress: Bool
    let done = DispatchSemaphore(value: 0)
    var md5 = MD5()
    var failure: String?
    var expected: Int64 = -1
    var received: Int64 = 0
    var lastDrawn = Date.distantPast

    init(writer: AtomicFileWriter, label: String, showProgress: Bool) {
        self.writer = writer
        self.label = label
        self.showProgress = showProgress
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            failure = "the server answered HTTP \(http.statusCode)"
            completionHandler(.cancel)
            return
        }
        expected = response.expectedContentLength
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        do {
            try writer.write(data)
        } catch {
            failure = "\(error)"
            dataTask.cancel()
            return
        }
        md5.update(data)
        received += Int64(data.count)
        if showProgress, Date().timeIntervalSince(lastDrawn) > 0.1 {
            lastDrawn = Date()
            draw(final: false)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error, failure == nil { failure = error.localizedDescription }
        if failure == nil, expected >= 0, received != expected {
            failure = "the connection closed after \(received) of \(expected) bytes"
        }
        if showProgress { draw(final: true) }
        done.signal()
    }

    private func draw(final: Bool) {
        let mb = Double(received) / 1_048_576
        var line: String
        if expected > 0 {
            let fraction = min(1, Double(received) / Double(expected))
            let width = 30
            let filled = Int(fraction * Double(width))
            line = String(format: "\r%@ [%@%@] %3.0f%% %.1f MB", label,
                          String(repeating: "#", count: filled), String(repeating: " ", count: width - filled),
                          fraction * 100, mb)
        } else {
            line = String(format: "\r%@ %.1f MB", label, mb)
        }
        if final { line += "\n" }
        FileHandle.standardError.write(Data(line.utf8))
    }
}
