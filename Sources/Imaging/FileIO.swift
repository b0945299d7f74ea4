import SafeIO

/// Whole-file reads of images with errors that name the file.
enum FileBytes {
    /// Reads the whole image file at `path`: a regular file of at most `InputLimits.imageBytes`, checked before
    /// a byte is read (a FIFO, a device or a directory is refused without blocking).
    /// - Throws: `ImageError` `.cannotRead`, `.isDirectory`, `.notRegularFile`, `.fileTooLarge` or `.emptyFile`.
    static func contents(of path: String) throws -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try InputFile.contents(of: path, limit: InputLimits.imageBytes, what: "images") } catch {
            throw ImageError(error)
        }
        if bytes.isEmpty { throw ImageError(path: path, kind: .emptyFile) }
        return bytes
    }
}

/// Atomic file output: write to a hidden temporary file in the destination's folder, then rename(2) it into place.
///
/// Readers never see a half-written file; when anything fails the temporary file is removed and an existing
/// destination is left untouched. A destination that is one of this process' input files is refused.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically, through a temporary file `.stylize-PID-RANDOM.tmp` in the same folder
    /// (see `StagedFile`).
    /// - Throws: `ImageError` with kind `.cannotWrite`, naming `path` and the reason (missing folder, permission,
    ///   disk full, would overwrite an input...).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        do { try StagedFile.write(bytes, to: path) } catch { throw ImageError(error) }
    }
}

extension ImageError {
    /// The image error for a file access problem.
    init(_ error: FileAccessError) {
        let path = error.path
        switch error.kind {
        case .notFound: self.init(path: path, kind: .cannotRead("No such file or directory"))
        case .isDirectory: self.init(path: path, kind: .isDirectory)
        case .notRegularFile(let what): self.init(path: path, kind: .notRegularFile(what))
        case .tooLarge(let size, let limit, _): self.init(path: path, kind: .fileTooLarge(size: size, limit: limit))
        case .cannotRead(let reason): self.init(path: path, kind: .cannotRead(reason))
        case .truncated(let reason): self.init(path: path, kind: .cannotRead(reason))
        case .cannotWrite(let reason): self.init(path: path, kind: .cannotWrite(reason))
        case .wouldOverwriteInput: self.init(path: path, kind: .cannotWrite(String(error.problem.dropFirst("cannot write: ".count))))
        }
    }
}
