import CHDF5
import Foundation

/// A libhdf5 failure: the file, the object and the message (the library's own where it has one).
struct LibHDF5Error: Error, CustomStringConvertible, Sendable {
    let file: String
    let object: String
    let message: String

    var description: String {
        object.isEmpty ? "\(file): \(message)" : "\(file): \(object): \(message)"
    }
}

/// The serial HDF5 library is not thread-safe: every call goes through this lock.
private let hdf5Lock = NSLock()

/// The independent reference for the Swift `HDF5File`: the same questions answered by libhdf5 1.10 (through the
/// CHDF5 shim), used by the tests on well-formed files only (libhdf5 is not safe on hostile ones).
final class LibHDF5File {
    /// What is found at a path.
    enum ObjectKind: Sendable { case absent, group, dataset, other }

    /// The path as given when opening.
    let path: String
    private let id: Int64

    /// Opens `path` read-only.
    init(path: String) throws(LibHDF5Error) {
        self.path = path
        var file: Int64 = -1
        var msg = [CChar](repeating: 0, count: 512)
        let rc = hdf5Lock.withLock { chdf5_open(path, &file, &msg, msg.count) }
        guard rc == 0 else { throw LibHDF5Error(file: path, object: "", message: Self.text(msg)) }
        id = file
    }

    deinit {
        let file = id
        hdf5Lock.withLock { _ = chdf5_close(file) }
    }

    /// Whether a group, a dataset or nothing is at `object`; missing intermediate groups mean `.absent`.
    func kind(of object: String) throws(LibHDF5Error) -> ObjectKind {
        var kind: Int32 = 0
        try call(object) { msg in chdf5_object_kind(id, object, &kind, msg, 512) }
        switch Int(kind) {
        case Int(CHDF5_ABSENT): return .absent
        case Int(CHDF5_GROUP): return .group
        case Int(CHDF5_DATASET): return .dataset
        default: return .other
        }
    }

    /// The string (or string-array) attribute `name` of `object`, or nil when it has none.
    func stringAttribute(_ name: String, of object: String = "/") throws(LibHDF5Error) -> [String]? {
        var out: UnsafeMutablePointer<CChar>? = nil
        var length = 0
        var count: Int32 = 0
        let rc = try call(object) { msg in
            chdf5_read_string_attribute(id, object, name, &out, &length, &count, msg, 512)
        }
        if rc == 1 { return nil }
        defer { chdf5_free(out) }
        return Self.strings(out, length: length, count: Int(count))
    }

    /// The names of the links in the group `object`, in name order.
    func children(of object: String) throws(LibHDF5Error) -> [String] {
        var out: UnsafeMutablePointer<CChar>? = nil
        var length = 0
        var count: Int32 = 0
        try call(object) { msg in chdf5_list_children(id, object, &out, &length, &count, msg, 512) }
        defer { chdf5_free(out) }
        return Self.strings(out, length: length, count: Int(count))
    }

    /// The dimensions of the dataset `object`.
    func shape(of object: String) throws(LibHDF5Error) -> [Int] {
        var rank: Int32 = 0
        var dims = [Int64](repeating: 0, count: 32)
        try call(object) { msg in chdf5_dataset_shape(id, object, &rank, &dims, 32, msg, 512) }
        return dims.prefix(Int(rank)).map { Int($0) }
    }

    /// Where the object at `object` is stored: the same for every path (hard link) that leads to it.
    func address(of object: String) throws(LibHDF5Error) -> [UInt64] {
        var fileno: UInt64 = 0, address: UInt64 = 0
        try call(object) { msg in chdf5_object_address(id, object, &fileno, &address, msg, 512) }
        return [fileno, address]
    }

    /// The largest dataset `readFloats` reads: 2^28 floats (1 GiB), above any VGG layer (VGG19's fc1 has 2^26.6).
    static let maxElements = 1 << 28

    /// The whole dataset `object`, converted to float32, in row-major order.
    func readFloats(_ object: String) throws(LibHDF5Error) -> [Float] {
        var count = 1
        for dimension in try shape(of: object) {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard dimension >= 0, !overflow, product <= Self.maxElements else {
                throw LibHDF5Error(file: path, object: object, message: "dataset of shape \(try shape(of: object)) is too large")
            }
            count = product
        }
        var values = [Float](repeating: 0, count: count)
        try values.withUnsafeMutableBufferPointer { (buffer) throws(LibHDF5Error) in
            _ = try call(object) { msg in chdf5_read_float(id, object, buffer.baseAddress, count, msg, 512) }
        }
        return values
    }

    /// Runs one shim call under the lock; a negative return becomes an `LibHDF5Error`.
    @discardableResult
    private func call(_ object: String, _ body: (UnsafeMutablePointer<CChar>) -> Int32) throws(LibHDF5Error) -> Int32 {
        var msg = [CChar](repeating: 0, count: 512)
        let rc = msg.withUnsafeMutableBufferPointer { m in hdf5Lock.withLock { body(m.baseAddress!) } }
        if rc < 0 { throw LibHDF5Error(file: path, object: object, message: Self.text(msg)) }
        return rc
    }

    private static func text(_ msg: [CChar]) -> String {
        let bytes = msg.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func strings(_ buffer: UnsafeMutablePointer<CChar>?, length: Int, count: Int) -> [String] {
        guard let buffer, count > 0 else { return [] }
        var result: [String] = []
        result.reserveCapacity(count)
        var start = 0
        for i in 0..<length where buffer[i] == 0 {
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(buffer + start).assumingMemoryBound(to: UInt8.self),
                                            count: i - start)
            result.append(String(decoding: bytes, as: UTF8.self))
            start = i + 1
        }
        return result
    }
}
