import Foundation
import NeuralCore
@testable import WeightFiles

/// Builds `torch.save`-like files byte by byte, for the hostile cases (the well-formed fixtures come from torch
/// itself, Fixtures/make_torch_fixtures.py): a stored zip archive and the pickle torch writes for a state dict.
enum TorchTestSupport {
    /// One tensor of a state dict: its storage (`torch.<type>`, key, element count) and its view of it.
    struct Tensor {
        var name: String
        var storageType = "FloatStorage"
        var key: String
        var count: Int
        var offset = 0
        var shape: [Int]
        var strides: [Int]
    }

    /// A zip archive of stored members in the order given: local headers, central directory, end record
    /// (APPNOTE 4.3.7, 4.3.12, 4.3.16), CRCs included.
    static func zip(_ members: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [], directory: [UInt8] = []
        for (name, data) in members {
            let offset = out.count, crc = ZipArchive.crc32(data), nameBytes = Array(name.utf8)
            out += le(0x0403_4B50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(UInt64(crc), 4)
            out += le(UInt64(data.count), 4) + le(UInt64(data.count), 4) + le(UInt64(nameBytes.count), 2) + le(0, 2) + nameBytes + data
            directory += le(0x0201_4B50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(UInt64(crc), 4)
            directory += le(UInt64(data.count), 4) + le(UInt64(data.count), 4) + le(UInt64(nameBytes.count), 2) + le(0, 2) + le(0, 2)
            directory += le(0, 2) + le(0, 2) + le(0, 4) + le(UInt64(offset), 4) + nameBytes
        }
        let directoryOffset = out.count
        out += directory
        out += le(0x0605_4B50, 4) + le(0, 2) + le(0, 2) + le(UInt64(members.count), 2) + le(UInt64(members.count), 2)
        out += le(UInt64(directory.count), 4) + le(UInt64(directoryOffset), 4) + le(0, 2)
        return out
    }

    /// A torch.save zip: `archive/data.pkl`, `archive/byteorder`, the storages as `archive/data/KEY`, `archive/version`.
    static func torchZip(pickle: [UInt8], storages: [(String, [UInt8])]) -> [UInt8] {
        zip([("archive/data.pkl", pickle), ("archive/byteorder", Array("little".utf8))]
            + storages.map { ("archive/data/\($0.0)", $0.1) } + [("archive/version", Array("3\n".utf8))])
    }

    /// The pickle `torch.save` writes for `{name: tensor, ...}` (protocol 2, `_rebuild_tensor_v2`, persistent ids).
    static func statePickle(_ tensors: [Tensor]) -> [UInt8] {
        var p: [UInt8] = [0x80, 0x02, 0x7D, 0x28]                                  // PROTO 2, EMPTY_DICT, MARK
        for t in tensors {
            p += unicode(t.name) + global("torch._utils", "_rebuild_tensor_v2") + [0x28, 0x28]
            p += unicode("storage") + global("torch", t.storageType) + unicode(t.key) + unicode("cpu") + int(t.count) + [0x74, 0x51]
            p += int(t.offset) + [0x28] + t.shape.flatMap(int) + [0x74, 0x28] + t.strides.flatMap(int) + [0x74]
            p += [0x89] + global("collections", "OrderedDict") + [0x29, 0x52, 0x74, 0x52]
        }
        return p + [0x75, 0x2E]                                                  // SETITEMS, STOP
    }

    static func unicode(_ s: String) -> [UInt8] { [0x58] + le(UInt64(s.utf8.count), 4) + Array(s.utf8) }
    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    /// BININT for 32-bit values, LONG1 of 8 bytes beyond.
    static func int(_ n: Int) -> [UInt8] {
        Int(Int32(truncatingIfNeeded: n)) == n ? [0x4A] + le(UInt64(UInt32(bitPattern: Int32(n))), 4)
                                               : [0x8A, 8] + le(UInt64(bitPattern: Int64(n)), 8)
    }

    static func le(_ value: UInt64, _ bytes: Int) -> [UInt8] { (0..<bytes).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }

    static func floats(_ values: [Float]) -> [UInt8] { values.flatMap { le(UInt64($0.bitPattern), 4) } }

    /// Writes `bytes` to `dir/name` and returns the path.
    static func write(_ bytes: [UInt8], _ dir: String, _ name: String) throws -> String {
        let path = "\(dir)/\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
