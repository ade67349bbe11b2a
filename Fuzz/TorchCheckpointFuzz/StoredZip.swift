import Foundation
import ZIPFoundation

/// A minimal stored (uncompressed) zip with correct CRCs, so mutations reach the records' contents.

func storedZip(_ records: [(name: String, bytes: [UInt8])]) -> [UInt8] {
    func le(_ v: UInt64, _ w: Int, into out: inout [UInt8]) { for i in 0..<w { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    var out: [UInt8] = [], central: [UInt8] = []
    for (name, bytes) in records {
        let crc = UInt64(Data(bytes).crc32(checksum: 0))
        let nameBytes = Array(name.utf8)
        let offset = out.count
        le(0x0403_4B50, 4, into: &out); le(20, 2, into: &out); le(0, 2, into: &out); le(0, 2, into: &out)
        le(0, 2, into: &out); le(0x21, 2, into: &out); le(crc, 4, into: &out)
        le(UInt64(bytes.count), 4, into: &out); le(UInt64(bytes.count), 4, into: &out)
        le(UInt64(nameBytes.count), 2, into: &out); le(0, 2, into: &out)
        out += nameBytes + bytes
        le(0x0201_4B50, 4, into: &central); le(20, 2, into: &central); le(20, 2, into: &central)
        le(0, 2, into: &central); le(0, 2, into: &central); le(0, 2, into: &central); le(0x21, 2, into: &central)
        le(crc, 4, into: &central); le(UInt64(bytes.count), 4, into: &central); le(UInt64(bytes.count), 4, into: &central)
        le(UInt64(nameBytes.count), 2, into: &central); le(0, 2, into: &central); le(0, 2, into: &central)
        le(0, 2, into: &central); le(0, 2, into: &central); le(0, 4, into: &central); le(UInt64(offset), 4, into: &central)
        central += nameBytes
    }
    let cdOffset = out.count
    out += central
    le(0x0605_4B50, 4, into: &out); le(0, 2, into: &out); le(0, 2, into: &out)
    le(UInt64(records.count), 2, into: &out); le(UInt64(records.count), 2, into: &out)
    le(UInt64(central.count), 4, into: &out); le(UInt64(cdOffset), 4, into: &out); le(0, 2, into: &out)
    return out
}

/// The records of a zip seed, read with ZIPFoundation.
func records(of bytes: [UInt8]) -> [(name: String, bytes: [UInt8])]? {
    let archive: Archive
    do { archive = try Archive(data: Data(bytes), accessMode: .read, pathEncoding: nil) } catch { return nil }
    var out: [(name: String, bytes: [UInt8])] = []
    for entry in archive {
        var data = Data()
        guard (try? archive.extract(entry, consumer: { data.append($0) })) != nil else { return nil }
        out.append((entry.path, [UInt8](data)))
    }
    return out
}
