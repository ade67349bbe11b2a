import Foundation
import Testing
@testable import Ember

/// SummaryWriter's event files against PyTorch's `torch.utils.tensorboard.SummaryWriter`
/// (tensorboard.json, from scripts/make_tensorboard_fixtures.py): byte-identical events for scalars
/// and text, the same histograms and the same pixels.
@Suite("TensorBoard SummaryWriter")
struct SummaryWriterTests {
    let fixture: [String: Any]
    let wallTime: Double
    init() throws {
        fixture = try loadFixture("tensorboard.json")
        wallTime = fixture["wall_time"] as! Double
    }

    /// Runs `body` with a writer logging to a fresh temporary folder, removed afterwards.
    private func withWriter(maxQueue: Int = 10, purgeStep: Int? = nil,
                            _ body: (SummaryWriter, String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ember-tb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(try SummaryWriter(logDir: folder, purgeStep: purgeStep, maxQueue: maxQueue), folder)
    }

    /// The serialized events of an event file, checking each record's length and both masked CRCs.
    private func events(_ url: URL) throws -> [[UInt8]] {
        let data = try [UInt8](Data(contentsOf: url))
        var out: [[UInt8]] = [], at = 0
        while at < data.count {
            let header = Array(data[at..<(at + 8)])
            let length = header.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            #expect(word(data, at + 8) == CRC32C.masked(header), "length CRC of record at \(at)")
            let event = Array(data[(at + 12)..<(at + 12 + length)])
            #expect(word(data, at + 12 + length) == CRC32C.masked(event), "data CRC of record at \(at)")
            out.append(event)
            at += 16 + length
        }
        #expect(at == data.count)
        return out
    }

    private func eventCount(_ url: URL) throws -> Int { try events(url).count }

    private func word(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) }
    }

    /// The fixture keeps exact doubles as strings: Foundation's JSON parser on Linux may round their last bit.
    private func double(_ value: Any?) -> Double { Double(value as! String)! }
    private func doubles(_ value: Any?) -> [Double] { (value as! [String]).map { Double($0)! } }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test func scalarsAndTextAreTheBytesPyTorchWrites() throws {
        try withWriter { writer, folder in
            let scalars = fixture["scalars"] as! [[String: Any]]
            for scalar in scalars {
                writer.addScalar(scalar["tag"] as! String, scalar["value"] as! Double, step: scalar["step"] as? Int, wallTime: wallTime)
            }
            let text = fixture["text"] as! [String: Any]
            writer.addText(text["tag"] as! String, text["text"] as! String, step: text["step"] as? Int, wallTime: wallTime)
            try writer.close()
            #expect(writer.eventFile.lastPathComponent.hasPrefix("events.out.tfevents."))
            let logged = try events(writer.eventFile)
            #expect(logged.count == scalars.count + 2)
            // The file-version event, then one event per call.
            let first = ProtobufFields(logged[0])
            #expect(first.string(3) == "brain.Event:2" && first.double(1)! > 1.7e9)
            for (scalar, event) in zip(scalars, logged.dropFirst()) {
                #expect(hex(event) == scalar["event"] as! String, "scalar \(scalar["tag"]!)")
            }
            #expect(hex(logged.last!) == text["event"] as! String, "text")
        }
    }

    @Test func addScalarsWritesOneFileSeriesPerKey() throws {
        try withWriter { writer, folder in
            try writer.addScalars("run/curves", ["sin": 0.5, "cos": -0.25], step: 4, wallTime: wallTime)
            try writer.close()
            for (name, expected) in fixture["series"] as! [String: String] {
                let subfolder = URL(fileURLWithPath: folder).appendingPathComponent(name)
                let files = try FileManager.default.contentsOfDirectory(atPath: subfolder.path)
                #expect(files.count == 1)
                let logged = try events(subfolder.appendingPathComponent(files[0]))
                #expect(logged.count == 2 && hex(logged[1]) == expected, "series \(name)")
            }
        }
    }

    @Test func histogramsMatchPyTorch() throws {
        try withWriter { writer, folder in
            let cases = fixture["histograms"] as! [[String: Any]]
            for entry in cases {
                let values = floats(entry["values"])
                let bins: HistogramBins = switch entry["bins"] {
                case let count as Int: .count(count)
                case let name as String where name == "edges": .edges(doubles(entry["edges"]))
                default: .tensorFlow
                }
                writer.addHistogram(entry["name"] as! String, Tensor(values, shape: [values.count]), step: 9, bins: bins,
                                    wallTime: wallTime)
            }
            try writer.close()
            for (entry, event) in zip(cases, try events(writer.eventFile).dropFirst()) {
                let name = entry["name"] as! String
                let event = ProtobufFields(event)
                #expect(event.double(1) == wallTime && event.int(2) == 9)
                let value = ProtobufFields(ProtobufFields(event.bytes(5)!).bytes(1)!)
                #expect(value.string(1) == name)
                let histogram = ProtobufFields(value.bytes(5)!)
                #expect(histogram.double(1) == double(entry["min"]) && histogram.double(2) == double(entry["max"]), "\(name)")
                #expect(histogram.double(3) == double(entry["num"]), "\(name)")
                for (field, key) in [(4, "sum"), (5, "sum_squares")] {
                    let expected = double(entry[key])
                    #expect(abs(histogram.double(field)! - expected) <= 1e-12 * Swift.max(abs(expected), 1), "\(name) \(key)")
                }
                #expect(histogram.packedDoubles(6) == doubles(entry["bucket_limit"]), "\(name) limits")
                #expect(histogram.packedDoubles(7) == doubles(entry["bucket"]), "\(name) counts")
            }
        }
    }

    @Test func imagesHoldPyTorchsPixels() throws {
        try withWriter { writer, folder in
            let cases = fixture["images"] as! [[String: Any]]
            for entry in cases {
                let image = Tensor(floats(entry["values"]), shape: entry["shape"] as! [Int])
                switch entry["layout"] as! String {
                case "NCHW": writer.addImages(entry["name"] as! String, image, step: 2, wallTime: wallTime)
                case "HWC": writer.addImage(entry["name"] as! String, image, step: 2, layout: .hwc, wallTime: wallTime)
                case "HW": writer.addImage(entry["name"] as! String, image, step: 2, layout: .hw, wallTime: wallTime)
                default: writer.addImage(entry["name"] as! String, image, step: 2, wallTime: wallTime)
                }
            }
            writer.addImage("decoded", Image(width: 2, height: 1, mode: .grayAlpha, pixels: [10, 20, 30, 40]), step: 5)
            try writer.close()
            let logged = try events(writer.eventFile).dropFirst()
            for (entry, event) in zip(cases, logged) {
                let name = entry["name"] as! String
                let value = ProtobufFields(ProtobufFields(ProtobufFields(event).bytes(5)!).bytes(1)!)
                let image = ProtobufFields(value.bytes(4)!)
                #expect(image.int(1) == entry["height"] as? Int && image.int(2) == entry["width"] as? Int, "\(name)")
                #expect(image.int(3) == entry["colorspace"] as? Int, "\(name)")
                let decoded = try Image(decoding: image.bytes(4)!)
                #expect(decoded.pixels.map(Int.init) == entry["pixels"] as! [Int], "\(name) pixels")
            }
            let last = ProtobufFields(ProtobufFields(ProtobufFields(logged.last!).bytes(5)!).bytes(1)!)
            let image = ProtobufFields(last.bytes(4)!)
            let pixels = try Image(decoding: image.bytes(4)!).pixels
            #expect(image.int(3) == 2 && pixels == [10, 20, 30, 40])
        }
    }

    @Test func queuedEventsReachTheFileOnFlush() throws {
        try withWriter(maxQueue: 3) { writer, folder in
            try #expect(eventCount(writer.eventFile) == 1)   // the file-version event is written at once
            writer.addScalar("a", Float(1), step: 1)
            writer.addScalar("a", 2, step: 2)
            try #expect(eventCount(writer.eventFile) == 1)
            writer.addScalar("a", Tensor([3] as [Float]), step: 3)   // the third queued event writes the queue
            try #expect(eventCount(writer.eventFile) == 4)
            writer.addScalar("a", 4.5, step: 4)
            writer.addScalar("images seen", 64 * 938, step: 5)
            try writer.flush()
            try #expect(eventCount(writer.eventFile) == 6)
            try writer.close()
            try writer.close()
            // A second writer in the same folder opens its own file.
            let second = try SummaryWriter(logDir: folder)
            #expect(second.eventFile != writer.eventFile)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).count == 2)
        }
    }

    @Test func histogramEdgeRules() {
        // NumPy's equal bins: the last bin is closed, and a value on an inner edge goes right.
        let equal = TensorBoardHistogram([0, 1, 2, 3, 4], bins: .count(4))!
        #expect(equal.bucketLimits == [0, 1, 2, 3, 4] && equal.bucketCounts == [0, 1, 1, 1, 2])
        #expect(TensorBoardHistogram([.nan, 1e30], bins: .tensorFlow) == nil)
        // NaN anywhere makes min and max NaN, as NumPy's; one bin with nothing inside still gives a histogram.
        let withNaN = TensorBoardHistogram([1, .nan, 2], bins: .count(2))!
        #expect(withNaN.min.isNaN && withNaN.max.isNaN && withNaN.bucketCounts == [0, 1, 1])
        let outside = TensorBoardHistogram([0], bins: .edges([5, 6]))!
        #expect(outside.bucketLimits == [6] && outside.bucketCounts == [0])
        #expect(TensorBoardHistogram([0], bins: .edges([5, 6, 7])) == nil)
        let edges = TensorBoardHistogram([-3, 0.5, 0.5, 9], bins: .edges([0, 1, 2]))!
        #expect(edges.bucketLimits == [0, 1] && edges.bucketCounts == [0, 2] && edges.count == 4)
    }

    @Test func badInputStopsWithAMessage() async {
        let badImage = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ember-tb-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let writer = try SummaryWriter(logDir: folder.path)
            writer.addImage("x", Tensor.zeros([2, 4, 4]))
        }
        #expect(stderr(badImage).contains("SummaryWriter.addImage('x'): expected [C, H, W] with 1, 3 or 4 channels (pass layout: for another order), got shape [2, 4, 4]"))
        let closed = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ember-tb-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let writer = try SummaryWriter(logDir: folder.path)
            try writer.close()
            writer.addScalar("loss", 1.0)
        }
        #expect(stderr(closed).contains("SummaryWriter used after close(); create a new one to go on logging"))
    }

    @Test func divergedValuesLogNothingAndTheRunGoesOn() throws {
        try withWriter { writer, folder in
            writer.addHistogram("w", Tensor([Float.nan, .nan]))   // PyTorch raises here; Ember warns and goes on
            writer.addHistogram("empty", Tensor.zeros([0]))
            writer.addHistogram("far", Tensor([1e30] as [Float]))
            writer.addScalar("loss", Float.nan, step: 1)
            try writer.close()
            let logged = try events(writer.eventFile)
            #expect(logged.count == 2)
            let value = ProtobufFields(ProtobufFields(ProtobufFields(logged[1]).bytes(5)!).bytes(1)!)
            #expect(value.string(1) == "loss")
        }
    }

    @Test func aResumedRunPurgesTheStepsItWillLogAgain() throws {
        try withWriter(purgeStep: 33) { writer, folder in
            writer.addScalar("loss", 0.5, step: 33)
            try writer.close()
            // As PyTorch's purge_step: a file-version event at the step, then SessionLog(status: START) there.
            let logged = try events(writer.eventFile).map(ProtobufFields.init)
            #expect(logged.count == 5)
            #expect(logged[1].int(2) == 33 && logged[1].string(3) == "brain.Event:2")
            #expect(logged[2].int(2) == 33 && logged[2].bytes(7) == [0x08, 0x01] && logged[3].bytes(7) == [0x08, 0x01])
            #expect(logged[4].int(2) == 33)
        }
    }

    @Test func aFailedWriteIsCutBackSoARetryLeavesWholeRecords() async {
        // In a child process: a file-size limit makes a write stop part-way; after the limit is lifted
        // the retried queue must follow the last whole record, not half of one.
        await #expect(processExitsWith: .success) {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ember-tb-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            signal(SIGXFSZ, SIG_IGN)
            let writer = try SummaryWriter(logDir: folder.path, maxQueue: 100)
            var limit = rlimit(rlim_cur: 300, rlim_max: rlim_t.max)
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
            for step in 0..<12 { writer.addScalar("loss", Double(step), step: step) }
            var failed = false
            do { try writer.flush() } catch { failed = true }
            precondition(failed, "the first flush should hit the file-size limit")
            limit.rlim_cur = rlim_t.max
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
            try writer.close()
            let data = try [UInt8](Data(contentsOf: writer.eventFile))
            var at = 0, steps: [Int] = []
            while at < data.count {
                let length = (0..<8).reduce(0) { $0 | Int(data[at + $1]) << (8 * $1) }
                let event = Array(data[(at + 12)..<(at + 12 + length)])
                let crc = (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[at + 12 + length + $1]) << (8 * $1) }
                precondition(crc == CRC32C.masked(event), "a corrupt record at \(at)")
                if at > 0 { steps.append(ProtobufFields(event).int(2) ?? 0) }
                at += 16 + length
            }
            precondition(steps == Array(0..<12), "steps \(steps)")
        }
    }

    @Test func anUnwritableFolderIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ember-tb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data().write(to: URL(fileURLWithPath: folder))   // a file where the folder should be
        #expect {
            _ = try SummaryWriter(logDir: folder + "/runs")
        } throws: { error in
            "\(error)".contains(folder + "/runs") && "\(error)".contains("cannot create the log folder")
        }
    }
}

/// The fields of one serialized protobuf message, by field number (the last occurrence wins), for
/// reading back what SummaryWriter wrote.
private struct ProtobufFields {
    private var varints: [Int: UInt64] = [:], fixed64: [Int: UInt64] = [:], fixed32: [Int: UInt32] = [:]
    private var delimited: [Int: [UInt8]] = [:]

    init(_ bytes: [UInt8]) {
        var at = 0
        func varint() -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                let byte = bytes[at]
                at += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
        func little(_ count: Int) -> UInt64 {
            defer { at += count }
            return (0..<count).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
        }
        while at < bytes.count {
            let key = varint(), field = Int(key >> 3)
            switch key & 7 {
            case 0: varints[field] = varint()
            case 1: fixed64[field] = little(8)
            case 2:
                let length = Int(varint())
                delimited[field] = Array(bytes[at..<(at + length)])
                at += length
            case 5: fixed32[field] = UInt32(little(4))
            default: Issue.record("unexpected wire type \(key & 7)"); return
            }
        }
    }

    func int(_ field: Int) -> Int? { varints[field].map { Int(Int64(bitPattern: $0)) } }
    func double(_ field: Int) -> Double? { fixed64[field].map(Double.init(bitPattern:)) }
    func bytes(_ field: Int) -> [UInt8]? { delimited[field] }
    func string(_ field: Int) -> String? { delimited[field].map { String(decoding: $0, as: UTF8.self) } }
    func packedDoubles(_ field: Int) -> [Double] {
        let raw = delimited[field] ?? []
        return stride(from: 0, to: raw.count, by: 8).map { start in
            Double(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(raw[start + $1]) << (8 * UInt64($1)) })
        }
    }
}
