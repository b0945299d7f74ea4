import SafeIO

/// A weight file that cannot be used: one line naming the file and the problem, and how to fix it where known.
public struct WeightsError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem it is, for callers and tests that need to tell them apart.
    public enum Kind: String, Sendable, Equatable {
        /// The file does not exist or cannot be read.
        case unreadable
        /// Neither Keras HDF5, safetensors nor torch.save.
        case unrecognized
        /// A known format this project does not read (plain Python pickles, pickle globals beyond tensors, batch-norm VGG).
        case unsupported
        /// The file ends before the data its header announces.
        case truncated
        /// A convolution of the architecture is absent.
        case missingLayer
        /// A kernel or bias has the wrong shape.
        case shapeMismatch
        /// The container is damaged or inconsistent (bad header, unreadable dataset).
        case corrupt
        /// No weights were given and none were found in the usual places.
        case notFound
    }

    public let kind: Kind
    /// The file as the user named it (or the places searched, for `.notFound`).
    public let file: String
    /// The problem, without the file name.
    public let message: String

    public init(_ kind: Kind, file: String, _ message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}

extension WeightsError {
    /// The weights error for a file access problem.
    init(_ error: FileAccessError, file: String) {
        switch error.kind {
        case .truncated: self.init(.truncated, file: file, error.problem)
        case .notFound, .isDirectory, .notRegularFile, .tooLarge, .cannotRead:
            self.init(.unreadable, file: file, error.problem)
        case .cannotWrite, .wouldOverwriteInput: self.init(.corrupt, file: file, error.problem)
        }
    }
}

extension InputFile {
    /// Opens a weight file (at most `InputLimits.weightsBytes`); a problem is a `WeightsError` naming `name`.
    static func weights(_ path: String, name: String) throws(WeightsError) -> InputFile {
        do { return try InputFile(path: path, limit: InputLimits.weightsBytes, what: "weight files") } catch { throw WeightsError(error, file: name) }
    }

    /// `count` bytes at `offset`; a problem is a `WeightsError` naming `name`.
    func bytes(_ offset: Int, _ count: Int, name: String) throws(WeightsError) -> [UInt8] {
        do { return try read(offset: offset, count: count) } catch { throw WeightsError(error, file: name) }
    }
}

/// `(3, 3, 128, 256)`, as Python prints a shape.
func shapeText(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
