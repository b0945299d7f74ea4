#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// write(2), under a name that `StagedFile.append` does not shadow.
private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}

/// An output file built in a hidden temporary file beside its destination and renamed into place by `commit()`.
///
/// Readers never see a half-written file: until `commit()` the destination keeps its old content (or does not
/// exist); on any failure, and when the object is dropped without `commit()`, the temporary file is removed.
/// The temporary name is short and fixed in length, `.stylize-PID-RANDOM.tmp` (at most 32 bytes), so any
/// destination name up to NAME_MAX (255 bytes) works. A process killed with SIGKILL leaves at most that hidden file.
public final class StagedFile {
    /// The destination, as the caller named it.
    public let path: String
    /// The temporary file in the destination's folder.
    public let temporaryPath: String
    private var fd: Int32
    private var finished = false

    /// Temporary files not yet renamed or removed, for `removePendingTemporaries()`.
    private static let pending = Mutex<Set<String>>([])

    /// Creates the temporary file for `path`.
    /// - Throws: `.cannotWrite` naming the reason (see `WriteTarget.check`: missing folder, not a folder, not
    ///   writable, name too long, destination not a regular file), or `.wouldOverwriteInput`.
    public init(path: String) throws(FileAccessError) {
        self.path = path
        if let input = ReadFiles.input(at: path) { throw FileAccessError(path: path, kind: .wouldOverwriteInput(input)) }
        try WriteTarget.check(path)
        let folder = path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""   // keeps the trailing "/"

        var generator = SystemRandomNumberGenerator()
        var fd: Int32 = -1
        var temporary = ""
        for _ in 0..<8 {   // O_EXCL: a clash with another process' name is retried with a new random part
            temporary = "\(folder).stylize-\(getpid())-\(String(generator.next() as UInt32, radix: 16)).tmp"
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 || errno != EEXIST { break }
        }
        if fd < 0 { throw FileAccessError(path: path, kind: .cannotWrite(systemMessage(errno))) }
        self.fd = fd
        self.temporaryPath = temporary
        StagedFile.pending.withLock { _ = $0.insert(temporary) }
    }

    deinit { discard() }

    /// Appends `bytes`; on failure the temporary file is removed and the error names the destination.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(FileAccessError) {
        guard !finished else { throw FileAccessError(path: path, kind: .cannotWrite("already closed")) }
        var written = 0
        while written < bytes.count {
            let count = posixWrite(fd, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                discard()
                throw FileAccessError(path: path, kind: .cannotWrite(systemMessage(code)))
            }
            written += count
        }
    }

    /// Appends `bytes`.
    public func append(_ bytes: [UInt8]) throws(FileAccessError) {
        var failure: FileAccessError?
        bytes.withUnsafeBytes { buffer in
            do throws(FileAccessError) { try append(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Flushes the data to disk and renames the temporary file to the destination.
    /// - Throws: `.cannotWrite` (the destination is then unchanged), also when the destination has meanwhile become
    ///   something other than a regular file (`WriteTarget.checkDestination`), or `.wouldOverwriteInput` when it has
    ///   become a file this process reads.
    public func commit() throws(FileAccessError) {
        guard !finished else { throw FileAccessError(path: path, kind: .cannotWrite("already closed")) }
        var code: Int32 = 0
        if fsync(fd) != 0 && errno != EINVAL { code = errno }
        if close(fd) != 0 && code == 0 { code = errno }
        fd = -1
        if code == 0, let input = ReadFiles.input(at: path) {
            discard()
            throw FileAccessError(path: path, kind: .wouldOverwriteInput(input))
        }
        if code == 0 {
            do throws(FileAccessError) { try WriteTarget.checkDestination(path) } catch {
                discard()
                throw error
            }
        }
        if code == 0 && rename(temporaryPath, path) != 0 { code = errno }
        if code != 0 {
            discard()
            throw FileAccessError(path: path, kind: .cannotWrite(systemMessage(code)))
        }
        finished = true
        StagedFile.pending.withLock { _ = $0.remove(temporaryPath) }
    }

    /// Removes the temporary file; the destination is left as it was.
    public func discard() {
        guard !finished else { return }
        finished = true
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(temporaryPath)
        StagedFile.pending.withLock { _ = $0.remove(temporaryPath) }
    }

    /// Writes `bytes` to `path` atomically (a `StagedFile` created, filled and committed).
    public static func write(_ bytes: [UInt8], to path: String) throws(FileAccessError) {
        let file = try StagedFile(path: path)
        try file.append(bytes)
        try file.commit()
    }

    /// Removes every temporary file not yet committed, for a process about to end at once (a second Ctrl-C).
    public static func removePendingTemporaries() {
        pending.withLock { names in
            for name in names { unlink(name) }
            names.removeAll()
        }
    }
}
