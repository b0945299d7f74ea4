#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file that fuzz inputs are written to for parsers that only take a path; in `/dev/shm` when it exists
/// (no disk writes at thousands of inputs a second), else in the temporary folder. Removed on `remove()`.
final class ScratchFile: @unchecked Sendable {
    let path: String

    /// A scratch file named `stylize-fuzz-PID-TAG.EXT`.
    init(tag: String, fileExtension: String) {
        var isDirectory: ObjCBool = false
        let shm = FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory) && isDirectory.boolValue
            && access("/dev/shm", W_OK) == 0
        let folder = shm ? "/dev/shm" : NSTemporaryDirectory()
        path = (folder as NSString).appendingPathComponent("stylize-fuzz-\(getpid())-\(tag).\(fileExtension)")
    }

    /// Replaces the file's contents with `bytes`.
    func write(_ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ScratchError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ScratchError(path: path, reason: String(cString: strerror(errno)))
            }
            written += count
        }
    }

    func remove() {
        unlink(path)
    }
}

/// The scratch file could not be written (a problem of the machine, not of the input).
struct ScratchError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): cannot write the fuzz input (\(reason))" }
}
