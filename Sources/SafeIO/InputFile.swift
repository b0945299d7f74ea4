#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The largest file accepted for each kind of input, checked with `fstat` before a byte is read.
///
/// The limits leave room for every real file of each kind: a 100-megapixel PNG stored without compression is
/// 300 MB (8-bit RGB); VGG19 weights with the classifier are 575 MB as float32 (1.1 GB as float64 safetensors);
/// the largest preset is under 1 KB.
public enum InputLimits {
    /// Images (PNG, JPEG): 512 MiB.
    public static let imageBytes = 512 << 20
    /// Presets (JSON): 1 MiB.
    public static let presetBytes = 1 << 20
    /// Weight files (Keras HDF5, safetensors, torch.save): 4 GiB.
    public static let weightsBytes = 4 << 30
}

/// A regular file opened for reading, with its size taken once by `fstat` and checked against a limit.
///
/// Only regular files are accepted: a FIFO, a device such as `/dev/zero`, a socket or a directory is refused
/// before anything is read, and the open itself never blocks (`O_NONBLOCK`, cleared once the file is known to be
/// regular). Every file opened here is recorded in `ReadFiles`, so that no write of this process replaces it.
public final class InputFile {
    /// The path as the caller named it.
    public let path: String
    /// The size in bytes when the file was opened.
    public let size: Int
    /// Device and inode of the file.
    public let identity: FileIdentity
    private let fd: Int32

    /// Opens `path` for reading.
    /// - Parameters:
    ///   - limit: the largest accepted size in bytes (see `InputLimits`).
    ///   - what: the kind of input, for the message ("images", "weight files", ...).
    ///   - protected: record the file in `ReadFiles`, so that no output of this process replaces it; false only for
    ///     the program's own state that it rewrites (the calibration cache).
    /// - Throws: `FileAccessError` `.notFound`, `.isDirectory`, `.notRegularFile`, `.tooLarge` or `.cannotRead`.
    public init(path: String, limit: Int, what: String, protected: Bool = true) throws(FileAccessError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        if fd < 0 {
            let code = errno
            switch code {
            case ENOENT: throw FileAccessError(path: path, kind: .notFound)
            case EISDIR: throw FileAccessError(path: path, kind: .isDirectory)
            default: throw FileAccessError(path: path, kind: .cannotRead(systemMessage(code)))
            }
        }
        var status = stat()
        if fstat(fd, &status) != 0 {
            let code = errno
            close(fd)
            throw FileAccessError(path: path, kind: .cannotRead(systemMessage(code)))
        }
        let type = status.st_mode & S_IFMT
        if type != S_IFREG {
            close(fd)
            if type == S_IFDIR { throw FileAccessError(path: path, kind: .isDirectory) }
            throw FileAccessError(path: path, kind: .notRegularFile(fileTypeName(type)))
        }
        let size = Int(status.st_size)
        if size > limit {
            close(fd)
            throw FileAccessError(path: path, kind: .tooLarge(size: size, limit: limit, what: what))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        self.fd = fd
        self.size = size
        self.identity = FileIdentity(status)
        if protected { ReadFiles.register(identity, path: path) }
    }

    deinit { close(fd) }

    /// `count` bytes from `offset`.
    /// - Throws: `.truncated` when the range reaches past the end of the file (checked arithmetic: any offset and
    ///   count from a file header is safe to pass), `.cannotRead` on an I/O error.
    public func read(offset: Int, count: Int) throws(FileAccessError) -> [UInt8] {
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard offset >= 0, count >= 0, !overflow, end <= size else {
            throw FileAccessError(path: path, kind: .truncated(
                "needs bytes \(offset)..<\(overflow ? "2^63" : String(end)), the file has \(size)"))
        }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: Int32 = 0
        bytes.withUnsafeMutableBytes { buffer in
            while done < count {
                let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { return }
                done += n
            }
        }
        if failure != 0 { throw FileAccessError(path: path, kind: .cannotRead(systemMessage(failure))) }
        if done < count {
            throw FileAccessError(path: path, kind: .truncated("the file shrank to \(offset + done) bytes while being read"))
        }
        return bytes
    }

    /// The whole file (its size when opened).
    public func readAll() throws(FileAccessError) -> [UInt8] {
        try read(offset: 0, count: size)
    }

    /// Reads the whole regular file at `path` after checking its kind and size.
    public static func contents(of path: String, limit: Int, what: String, protected: Bool = true) throws(FileAccessError) -> [UInt8] {
        try InputFile(path: path, limit: limit, what: what, protected: protected).readAll()
    }
}

/// The system's text for an errno value, e.g. "No such file or directory".
public func systemMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}
