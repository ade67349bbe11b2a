import Foundation

/// Logs training to TensorBoard, like `torch.utils.tensorboard.SummaryWriter`: scalars (losses,
/// accuracies, learning rates), histograms of weights and gradients, images and text go into an event
/// file that `tensorboard --logdir runs` shows as it grows.
///
///     let writer = try SummaryWriter(logDir: "runs/mnist")
///     writer.addScalar("loss/train", loss.item(), step: step)
///     writer.addHistogram("fc1.weight", model.fc1.weight, step: epoch)
///     try writer.close()
///
/// Events are queued and written every `maxQueue` events, when an event is added `flushSeconds` after
/// the last write (there is no background thread, as PyTorch has), and on `flush()` and `close()`; the
/// `add` methods never throw, and a failed automatic write is thrown by the next `flush()` or
/// `close()`. A writer may be shared between threads.
public final class SummaryWriter {
    /// The folder of the event file.
    public let logDir: URL
    /// The event file this writer appends to.
    public var eventFile: URL { file.url }
    private let file: EventFileWriter
    private let maxQueue: Int, flushSeconds: Double, filenameSuffix: String, purgeStep: Int?
    /// The writers of `addScalars`, one per series, in subfolders of `logDir`.
    private var seriesWriters: [String: EventFileWriter] = [:]
    private let seriesLock = NSLock()
    private var closed = false

    /// Creates `logDir` if needed and a new event file in it. Without a `logDir`, PyTorch's default
    /// `runs/<Mon><DD>_<HH>-<MM>-<SS>_<host><comment>`. A run resumed from a checkpoint passes the first
    /// step it will log as `purgeStep`: TensorBoard then hides what earlier files in the folder logged
    /// from that step on, so the curves do not double back.
    public init(logDir: String? = nil, comment: String = "", purgeStep: Int? = nil, maxQueue: Int = 10,
                flushSeconds: Double = 120, filenameSuffix: String = "") throws {
        let folder = logDir ?? {
            let format = DateFormatter()
            format.locale = Locale(identifier: "en_US_POSIX")
            format.dateFormat = "MMMdd_HH-mm-ss"
            return "runs/" + format.string(from: Date()) + "_" + ProcessInfo.processInfo.hostName + comment
        }()
        self.logDir = URL(fileURLWithPath: folder)
        (self.maxQueue, self.flushSeconds, self.filenameSuffix, self.purgeStep) = (maxQueue, flushSeconds, filenameSuffix, purgeStep)
        file = try EventFileWriter(folder: self.logDir, maxQueue: maxQueue, flushSeconds: flushSeconds,
                                   filenameSuffix: filenameSuffix, purgeStep: purgeStep)
    }

    /// One point of the series `tag` (stored as float32, as TensorBoard stores scalars). `wallTime`
    /// defaults to now, in seconds since 1970.
    public func addScalar<Value: BinaryFloatingPoint>(_ tag: String, _ value: Value, step: Int? = nil, wallTime: Double? = nil) {
        add(TensorBoardSummary.scalar(tag, Double(value)), step: step, wallTime: wallTime)
    }

    /// A count (samples seen, tokens, ...) as a point of the series `tag`.
    public func addScalar<Value: BinaryInteger>(_ tag: String, _ value: Value, step: Int? = nil, wallTime: Double? = nil) {
        addScalar(tag, Double(value), step: step, wallTime: wallTime)
    }

    /// A one-element tensor's value as a point of the series `tag`.
    public func addScalar(_ tag: String, _ value: Tensor, step: Int? = nil, wallTime: Double? = nil) {
        addScalar(tag, noGrad { value.item() }, step: step, wallTime: wallTime)
    }

    /// Several series in one chart, like `add_scalars`: each key's points go to its own event file in
    /// the subfolder `<logDir>/<mainTag>_<key>` (slashes in `mainTag` become underscores), tagged `mainTag`.
    public func addScalars(_ mainTag: String, _ values: [String: Double], step: Int? = nil, wallTime: Double? = nil) throws {
        let time = wallTime ?? Date().timeIntervalSince1970
        seriesLock.lock()
        defer { seriesLock.unlock() }
        precondition(!closed, "Ember: SummaryWriter used after close(); create a new one to go on logging")
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            let folder = logDir.path + "/" + mainTag.replacingOccurrences(of: "/", with: "_") + "_" + key
            let writer = try seriesWriters[folder] ?? EventFileWriter(folder: URL(fileURLWithPath: folder), maxQueue: maxQueue,
                                                                      flushSeconds: flushSeconds, filenameSuffix: filenameSuffix,
                                                                      purgeStep: purgeStep)
            seriesWriters[folder] = writer
            writer.append(TensorBoardSummary.event(TensorBoardSummary.scalar(mainTag, value), step: step, wallTime: time))
        }
    }

    /// The distribution of `values`' elements (weights, gradients, activations). Where PyTorch raises
    /// (an empty tensor, or no element inside the bins: only NaN, or values beyond them), this logs
    /// nothing and says so on standard error: a run whose weights diverged goes on logging its losses.
    public func addHistogram(_ tag: String, _ values: Tensor, step: Int? = nil, bins: HistogramBins = .tensorFlow,
                             wallTime: Double? = nil) {
        let histogram = values.count == 0 ? nil : TensorBoardHistogram(noGrad { values.to(.cpu).to(.float32) }.toArray(), bins: bins)
        guard let histogram else {
            let reason = values.count == 0 ? "the tensor is empty"
                : "no element lies inside the bins (only NaN, or values beyond them: ±1e20 for the default bins)"
            FileHandle.standardError.write(Data("Ember: SummaryWriter.addHistogram('\(tag)'): \(reason); nothing logged\n".utf8))
            return
        }
        add(TensorBoardSummary.histogram(tag, histogram), step: step, wallTime: wallTime)
    }

    /// An image tensor with values in [0, 1], [C, H, W] by default (1, 3 or 4 channels; one channel is
    /// shown as gray RGB, as PyTorch does).
    public func addImage(_ tag: String, _ image: Tensor, step: Int? = nil, layout: ImageLayout = .chw, wallTime: Double? = nil) {
        addPixels(tag, TensorBoardImages.pixels(image, layout: layout, tag: tag), step: step, wallTime: wallTime)
    }

    /// An `Image` as it is.
    public func addImage(_ tag: String, _ image: Image, step: Int? = nil, wallTime: Double? = nil) {
        addPixels(tag, (image.pixels, image.height, image.width, image.channels), step: step, wallTime: wallTime)
    }

    /// A batch [N, C, H, W] of images in [0, 1] as one picture, eight images to a row, like `add_images`.
    public func addImages(_ tag: String, _ images: Tensor, step: Int? = nil, wallTime: Double? = nil) {
        addPixels(tag, TensorBoardImages.grid(images, tag: tag), step: step, wallTime: wallTime)
    }

    /// Text (Markdown) under `<tag>/text_summary`, like `add_text`.
    public func addText(_ tag: String, _ text: String, step: Int? = nil, wallTime: Double? = nil) {
        add(TensorBoardSummary.text(tag, text), step: step, wallTime: wallTime)
    }

    /// Writes all queued events to disk; every file is flushed before the first failure is thrown.
    public func flush() throws {
        try forEachFile { try $0.flush() }
    }

    /// Flushes and closes the event files; adding afterwards stops with a message.
    public func close() throws {
        seriesLock.lock()
        closed = true
        seriesLock.unlock()
        try forEachFile { try $0.close() }
    }

    private func forEachFile(_ body: (EventFileWriter) throws -> Void) throws {
        seriesLock.lock()
        let files = [file] + seriesWriters.keys.sorted().map { seriesWriters[$0]! }
        seriesLock.unlock()
        var failure: Error?
        for file in files {
            do { try body(file) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    private func addPixels(_ tag: String, _ image: TensorBoardImages.Pixels, step: Int?, wallTime: Double?) {
        do {
            add(try TensorBoardSummary.image(tag, pixels: image.values, height: image.height, width: image.width,
                                             channels: image.channels), step: step, wallTime: wallTime)
        } catch {
            preconditionFailure("Ember: SummaryWriter.addImage('\(tag)'): \(error)")
        }
    }

    private func add(_ value: ProtobufEncoder, step: Int?, wallTime: Double?) {
        file.append(TensorBoardSummary.event(value, step: step, wallTime: wallTime ?? Date().timeIntervalSince1970))
    }
}
