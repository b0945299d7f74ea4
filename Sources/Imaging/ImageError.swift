import SafeIO

/// An error reading or writing an image file; its description is one line naming the file and the problem,
/// e.g. `images/x.jpg: truncated JPEG (Premature end of JPEG file)`.
public struct ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// The file could not be opened or read; the associated text is the system's reason.
        case cannotRead(String)
        /// The path names a directory.
        case isDirectory
        /// The path names a FIFO, a device or a socket; the text says which.
        case notRegularFile(String)
        /// The file is larger than `InputLimits.imageBytes`.
        case fileTooLarge(size: Int, limit: Int)
        /// The file has zero bytes.
        case emptyFile
        /// The magic bytes are neither PNG nor JPEG.
        case notAnImage
        /// The file ends before the image data does; the text is the library's message.
        case truncated(ImageFormat, String)
        /// The decoder rejected the data; the text is the library's message.
        case corrupt(ImageFormat, String)
        /// The header declares more pixels than `ImageLimits` allows.
        case tooLarge(width: Int, height: Int)
        /// The output extension is not .png, .jpg or .jpeg.
        case unsupportedExtension(String)
        /// JPEG quality outside 1...100.
        case invalidQuality(Int)
        /// The image has no pixels (width or height is 0) and cannot be encoded.
        case emptyImage
        /// The output could not be written; the text says why (folder missing, permission, ...).
        case cannotWrite(String)
    }

    /// The file the error is about, as the caller named it.
    public var path: String
    public var kind: Kind

    public var description: String {
        "\(path): \(problem)"
    }

    /// The problem alone, without the path.
    public var problem: String {
        switch kind {
        case .cannotRead(let reason): return "cannot read: \(reason)"
        case .isDirectory: return "is a directory, not an image"
        case .notRegularFile(let what): return "is a \(what), not a regular file; give an image file on disk"
        case .fileTooLarge(let size, let limit):
            return FileAccessError(path: path, kind: .tooLarge(size: size, limit: limit, what: "images")).problem
        case .emptyFile: return "empty file"
        case .notAnImage: return "not a PNG or JPEG file"
        case .truncated(let format, let message): return "truncated \(format.rawValue) (\(message))"
        case .corrupt(let format, let message): return "corrupt \(format.rawValue) (\(message))"
        case .tooLarge(let width, let height):
            return "declared size \(width)x\(height) exceeds the limit of \(ImageLimits.maxPixels / 1_000_000) "
                + "megapixels and \(ImageLimits.maxSide) pixels per side"
        case .unsupportedExtension(let ext):
            let shown = ext.isEmpty ? "no extension" : "extension '.\(ext)'"
            return "cannot write: \(shown) is not an image format (use .png, .jpg or .jpeg)"
        case .invalidQuality(let quality): return "cannot write: JPEG quality \(quality) is outside 1...100"
        case .emptyImage: return "cannot write: the image is empty (0 pixels)"
        case .cannotWrite(let reason): return "cannot write: \(reason)"
        }
    }
}

/// Limits checked on the declared size in a file's header, before any pixel buffer is allocated
/// (a guard against decompression bombs: a 100-byte PNG can declare 100000x100000 pixels).
public enum ImageLimits {
    /// The largest accepted image: 100 megapixels (300 MB as 8-bit RGB).
    public static let maxPixels = 100_000_000
    /// The longest accepted side, in pixels.
    public static let maxSide = 65_535

    /// The cap on libjpeg's whole-image coefficient buffers (progressive and multi-scan files), 512 MiB:
    /// enough for 100 megapixels with 4:2:0 chroma (1.5 blocks of 128 bytes per 64 pixels, 300 MB) and for
    /// 4:4:4 up to about 87 megapixels. Baseline files need only a few rows of working memory.
    public static let jpegDecoderBytes = 512 << 20

    /// Whether a declared size is within the limits.
    public static func accepts(width: Int, height: Int) -> Bool {
        width <= maxSide && height <= maxSide && width * height <= maxPixels
    }
}

/// A problem the decoder recovered from: the image was decoded, but parts of it may be damaged.
public struct ImageWarning: CustomStringConvertible, Equatable, Sendable {
    /// The file, as the caller named it.
    public var path: String
    public var format: ImageFormat
    /// The decoder's first message, e.g. "Corrupt JPEG data: bad Huffman code".
    public var message: String
    /// How many such messages the decoder gave.
    public var count: Int

    public var description: String {
        "\(path): damaged \(format.rawValue) data, decoded anyway (\(message)"
            + (count > 1 ? "; \(count) warnings" : "") + "); parts of the picture may be grey or shifted"
    }
}
