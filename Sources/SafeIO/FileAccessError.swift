/// A problem opening, reading or writing a file: one line naming the file, what is wrong and what to do.
public struct FileAccessError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// The path does not exist.
        case notFound
        /// The path names a directory.
        case isDirectory
        /// The path names something other than a regular file (FIFO, device, socket); the text says what.
        case notRegularFile(String)
        /// The file is larger than the limit for its kind of input.
        case tooLarge(size: Int, limit: Int, what: String)
        /// The file could not be opened or read; the text is the system's reason.
        case cannotRead(String)
        /// The file ends before the data it announces (or shrank while being read).
        case truncated(String)
        /// The output could not be written; the text says why.
        case cannotWrite(String)
        /// The output path names a file this run reads; the text is the input as the user named it.
        case wouldOverwriteInput(String)
    }

    /// The file the error is about, as the caller named it.
    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String { "\(path): \(problem)" }

    /// The problem alone, for an input of one kind (`preset`, `checkpoint`): "no such preset file", "is a directory,
    /// not a checkpoint file", else `problem`.
    public func problem(of kind: String) -> String {
        switch self.kind {
        case .notFound: "no such \(kind) file"
        case .isDirectory: "is a directory, not a \(kind) file"
        default: problem
        }
    }

    /// The problem alone, without the path.
    public var problem: String {
        switch kind {
        case .notFound: return "no such file"
        case .isDirectory: return "is a directory, not a file"
        case .notRegularFile(let what): return "is a \(what), not a regular file; give a file on disk"
        case .tooLarge(let size, let limit, let what):
            let shown = byteText(size) == byteText(limit) ? "\(size) bytes" : byteText(size)   // just above the limit
            return "file of \(shown) exceeds the \(byteText(limit)) limit for \(what)"
        case .cannotRead(let reason): return "cannot read: \(reason)"
        case .truncated(let reason): return "truncated (\(reason))"
        case .cannotWrite(let reason): return "cannot write: \(reason)"
        case .wouldOverwriteInput(let input):
            return "cannot write: this would overwrite the input \(input); choose another output path"
        }
    }
}

/// "1.5 GiB", "512 MiB", "300 bytes": a size for messages.
public func byteText(_ bytes: Int) -> String {
    let units = [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
    for (size, name) in units where bytes >= size {
        let tenths = Int((Double(bytes) / Double(size) * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10) \(name)" : "\(tenths / 10).\(tenths % 10) \(name)"
    }
    return "\(bytes) bytes"
}
