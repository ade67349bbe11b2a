import Foundation

/// Appends TensorBoard `Event` records to an event file in the TFRecord framing: each record is its
/// length (UInt64, little-endian), the masked CRC-32C of those 8 bytes, the serialized event, and the
/// masked CRC-32C of the event. An event log is a stream TensorBoard reads while it grows, so records
/// are appended (not written through a temporary file); queued ones go out every `maxQueue` events,
/// when an event is added `flushSeconds` after the last write, and on `flush()`. Safe to share
/// between threads.
final class EventFileWriter {
    let url: URL
    private let handle: FileHandle
    private let lock = NSLock()
    private var pending: [UInt8] = []
    private var queued = 0
    /// The file's length up to the last complete write: a failed write is cut back to it, so a retry
    /// never leaves half a record behind.
    private var written: UInt64 = 0
    private let maxQueue: Int
    private let flushSeconds: Double
    private var lastFlush = Date()
    /// A failed automatic flush, reported by the next `flush()`.
    private var deferredError: EmberIOError?
    private var closed = false
    /// Set when a failed write could not be cut back: nothing more is written.
    private var broken: EmberIOError?

    /// Creates `folder` if needed and a new event file in it named as TensorBoard's writers name them
    /// (`events.out.tfevents.<seconds>.<host>.<pid>.<n><suffix>`), starting with the file-version event.
    /// With a `purgeStep`, TensorBoard hides the events this folder's earlier files logged at that step
    /// and later, as after a restart from a checkpoint.
    init(folder: URL, maxQueue: Int, flushSeconds: Double, filenameSuffix: String, purgeStep: Int? = nil) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw EmberIOError(.writeFailed, file: folder.path, "cannot create the log folder: \(error.localizedDescription)")
        }
        let now = Date().timeIntervalSince1970
        let name = "events.out.tfevents." + String(format: "%010ld", Int(now)) + ".\(ProcessInfo.processInfo.hostName)."
            + "\(ProcessInfo.processInfo.processIdentifier).\(Self.nextFileNumber())" + filenameSuffix
        url = folder.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: url.path, contents: nil), let handle = try? FileHandle(forWritingTo: url) else {
            throw EmberIOError(.writeFailed, file: url.path, "cannot create the event file; check that the log folder is writable")
        }
        self.handle = handle
        self.maxQueue = max(maxQueue, 1)
        self.flushSeconds = flushSeconds
        append(Self.fileVersion(wallTime: now, step: nil))
        if let purgeStep {
            // As PyTorch's writer: a file-version event at the step, then a SessionLog START there.
            append(Self.fileVersion(wallTime: now, step: purgeStep))
            var start = ProtobufEncoder()
            start.double(1, now)
            start.int(2, purgeStep)
            start.message(7) { $0.int(1, 1) }   // SessionLog.status = START
            // Twice: TensorBoard's plugin reader (--load_fast=false) takes the first START in a run for
            // the run's own start and purges only at a later one; one START purges in the other readers.
            append(start.bytes)
            append(start.bytes)
        }
        try flush()
    }

    private static func fileVersion(wallTime: Double, step: Int?) -> [UInt8] {
        var event = ProtobufEncoder()
        event.double(1, wallTime)
        if let step { event.int(2, step) }
        event.string(3, "brain.Event:2")
        if step == nil { event.message(10) { $0.string(1, "ember.SummaryWriter") } }
        return event.bytes
    }

    deinit { try? close() }

    /// Queues one serialized `Event`.
    func append(_ event: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        precondition(!closed, "Ember: SummaryWriter used after close(); create a new one to go on logging")
        let length = Swift.withUnsafeBytes(of: UInt64(event.count).littleEndian) { Array($0) }
        pending += length
        Swift.withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { pending += $0 }
        pending += event
        Swift.withUnsafeBytes(of: CRC32C.masked(event).littleEndian) { pending += $0 }
        queued += 1
        // After a failed write the queue stays: retry at each further maxQueue events, not every one.
        if queued % maxQueue == 0 || Date().timeIntervalSince(lastFlush) >= flushSeconds {
            if let error = writePending(), deferredError == nil { deferredError = error }
        }
    }

    /// Writes the queued events to the file. Throws the first failure since the last call, an automatic
    /// flush's included (the events it could not write stay queued, and a later flush retries them).
    func flush() throws {
        lock.lock()
        defer { lock.unlock() }
        try flushLocked()
    }

    private func flushLocked() throws {
        let failure = writePending()
        let error = deferredError ?? failure
        deferredError = nil
        if let error { throw error }
    }

    private func writePending() -> EmberIOError? {
        lastFlush = Date()
        if let broken { return broken }
        guard !pending.isEmpty else { return nil }
        do {
            try handle.write(contentsOf: pending)
            written += UInt64(pending.count)
            pending.removeAll(keepingCapacity: true)
            queued = 0
            return nil
        } catch {
            let failure = EmberIOError(.writeFailed, file: url.path, "cannot append to the event file: \(error.localizedDescription)")
            do {
                try handle.truncate(atOffset: written)
            } catch {
                // The file may now end in half a record: write nothing more to it.
                broken = EmberIOError(.writeFailed, file: url.path, "the event file ends in a partly written record that "
                    + "could not be cut off (\(error.localizedDescription)); later events are not written: start a new SummaryWriter")
            }
            return failure
        }
    }

    /// Flushes and closes the file; later calls do nothing.
    func close() throws {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        defer { try? handle.close() }
        try flushLocked()
    }

    /// Numbers the files this process opens, as TensorBoard's writers do, so two opened within the
    /// same second get different names.
    nonisolated(unsafe) private static var filesOpened = 0
    private static let fileNumberLock = NSLock()
    private static func nextFileNumber() -> Int {
        fileNumberLock.lock()
        defer { fileNumberLock.unlock() }
        filesOpened += 1
        return filesOpened - 1
    }
}
