#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's text for an errno value, e.g. "No such file or directory".
func systemMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// write(2), under a name that the `AtomicFile.write` method does not shadow.
private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}

/// Whole-file reads with errors that name the file.
enum FileBytes {
    /// Reads the whole file at `path`.
    /// - Throws: `ImageError` `.cannotRead`, `.isDirectory` or `.emptyFile`.
    static func contents(of path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == EISDIR { throw ImageError(path: path, kind: .isDirectory) }
            throw ImageError(path: path, kind: .cannotRead(systemMessage(code)))
        }
        defer { close(fd) }
        var status = stat()
        if fstat(fd, &status) != 0 {
            throw ImageError(path: path, kind: .cannotRead(systemMessage(errno)))
        }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw ImageError(path: path, kind: .isDirectory) }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(status.st_size) + 1)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                if code == EISDIR { throw ImageError(path: path, kind: .isDirectory) }
                throw ImageError(path: path, kind: .cannotRead(systemMessage(code)))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        if bytes.isEmpty { throw ImageError(path: path, kind: .emptyFile) }
        return bytes
    }
}

/// Atomic file output: write to a temporary file in the destination's folder, then rename(2) it into place.
///
/// Readers never see a half-written file; when anything fails the temporary file is removed and an existing
/// destination is left untouched.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically, through a temporary file `.NAME.tmp-PID-RANDOM` in the same folder.
    /// - Throws: `ImageError` with kind `.cannotWrite`, naming `path` and the reason (missing folder, permission...).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        func failure(_ reason: String) -> ImageError { ImageError(path: path, kind: .cannotWrite(reason)) }

        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""         // keeps the trailing "/" ("" = current folder)
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        if name.isEmpty || name == "." || name == ".." { throw failure("not a file name") }

        var status = stat()
        let folderToCheck = folder.isEmpty ? "." : folder
        if stat(folderToCheck, &status) != 0 {
            let code = errno
            if code == ENOENT { throw failure("folder \(folder) does not exist") }
            if code == ENOTDIR { throw failure("\(folder.dropLast()) is not a folder") }
            throw failure("folder \(folderToCheck): \(systemMessage(code))")
        }
        if (status.st_mode & S_IFMT) != S_IFDIR { throw failure("\(folder.dropLast()) is not a folder") }
        if stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR { throw failure("is a directory") }

        var generator = SystemRandomNumberGenerator()
        let random = String(generator.next() as UInt32, radix: 16)
        let temporary = "\(folder).\(name).tmp-\(getpid())-\(random)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if fd < 0 { throw failure(systemMessage(errno)) }

        var written = 0
        var writeError: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let count = posixWrite(fd, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    writeError = errno
                    return
                }
                written += count
            }
        }
        if writeError == 0 && fsync(fd) != 0 && errno != EINVAL { writeError = errno }
        if close(fd) != 0 && writeError == 0 { writeError = errno }
        if writeError == 0 && rename(temporary, path) != 0 { writeError = errno }
        if writeError != 0 {
            unlink(temporary)
            throw failure(systemMessage(writeError))
        }
    }
}
