import CHDF5
import Foundation
import SafeIO

/// An HDF5 library failure: the file, the object and the message (the library's own where it has one).
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let object: String
    public let message: String

    public var description: String {
        object.isEmpty ? "\(file): \(message)" : "\(file): \(object): \(message)"
    }
}

/// The serial HDF5 library is not thread-safe: every call goes through this lock.
private let hdf5Lock = NSLock()

/// A read-only HDF5 file: just what the Keras weight readers need (string attributes,
/// dataset shapes, float32 reads, group listings). Paths are absolute, `/`-separated.
public final class HDF5File {
    /// What is found at a path.
    public enum ObjectKind: Sendable { case absent, group, dataset, other }

    /// The path as given when opening.
    public let path: String
    private let id: Int64

    /// Opens `path` read-only.
    public init(path: String) throws(HDF5Error) {
        self.path = path
        do {
            let input = try InputFile(path: path, limit: InputLimits.weightsBytes, what: "weight files")
            if let at = try HDF5GlobalHeaps.firstDamagedCollection(in: input) {
                throw HDF5Error(file: path, object: "", message: "global heap at byte \(at) is damaged (an object does not fit it)")
            }
        } catch let error as FileAccessError {
            throw HDF5Error(file: path, object: "", message: error.problem)
        } catch let error as HDF5Error {
            throw error
        } catch {
            throw HDF5Error(file: path, object: "", message: "\(error)")
        }
        var file: Int64 = -1
        var msg = [CChar](repeating: 0, count: 512)
        let rc = hdf5Lock.withLock { chdf5_open(path, &file, &msg, msg.count) }
        guard rc == 0 else { throw HDF5Error(file: path, object: "", message: Self.text(msg)) }
        id = file
    }

    deinit {
        let file = id
        hdf5Lock.withLock { _ = chdf5_close(file) }
    }

    /// Whether a group, a dataset or nothing is at `object`; missing intermediate groups mean `.absent`.
    public func kind(of object: String) throws(HDF5Error) -> ObjectKind {
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
    public func stringAttribute(_ name: String, of object: String = "/") throws(HDF5Error) -> [String]? {
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
    public func children(of object: String) throws(HDF5Error) -> [String] {
        var out: UnsafeMutablePointer<CChar>? = nil
        var length = 0
        var count: Int32 = 0
        try call(object) { msg in chdf5_list_children(id, object, &out, &length, &count, msg, 512) }
        defer { chdf5_free(out) }
        return Self.strings(out, length: length, count: Int(count))
    }

    /// The dimensions of the dataset `object`.
    public func shape(of object: String) throws(HDF5Error) -> [Int] {
        var rank: Int32 = 0
        var dims = [Int64](repeating: 0, count: 32)
        try call(object) { msg in chdf5_dataset_shape(id, object, &rank, &dims, 32, msg, 512) }
        return dims.prefix(Int(rank)).map { Int($0) }
    }

    /// Where the object at `object` is stored: the same for every path (hard link) that leads to it.
    public func address(of object: String) throws(HDF5Error) -> [UInt64] {
        var fileno: UInt64 = 0, address: UInt64 = 0
        try call(object) { msg in chdf5_object_address(id, object, &fileno, &address, msg, 512) }
        return [fileno, address]
    }

    /// The largest dataset `readFloats` reads: 2^28 floats (1 GiB), above any VGG layer (VGG19's fc1 has 2^26.6).
    public static let maxElements = 1 << 28

    /// The whole dataset `object`, converted to float32, in row-major order.
    public func readFloats(_ object: String) throws(HDF5Error) -> [Float] {
        var count = 1
        for dimension in try shape(of: object) {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard dimension >= 0, !overflow, product <= Self.maxElements else {
                throw HDF5Error(file: path, object: object, message: "dataset of shape \(try shape(of: object)) is too large")
            }
            count = product
        }
        var values = [Float](repeating: 0, count: count)
        try values.withUnsafeMutableBufferPointer { (buffer) throws(HDF5Error) in
            _ = try call(object) { msg in chdf5_read_float(id, object, buffer.baseAddress, count, msg, 512) }
        }
        return values
    }

    /// Runs one shim call under the lock; a negative return becomes an `HDF5Error`.
    @discardableResult
    private func call(_ object: String, _ body: (UnsafeMutablePointer<CChar>) -> Int32) throws(HDF5Error) -> Int32 {
        var msg = [CChar](repeating: 0, count: 512)
        let rc = msg.withUnsafeMutableBufferPointer { m in hdf5Lock.withLock { body(m.baseAddress!) } }
        if rc < 0 { throw HDF5Error(file: path, object: object, message: Self.text(msg)) }
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
