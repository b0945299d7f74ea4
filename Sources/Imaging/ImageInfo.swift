import CJPEG
import CPNG
import SafeIO

/// The file formats the Imaging module reads and writes.
public enum ImageFormat: String, Sendable, Equatable {
    case png = "PNG"
    case jpeg = "JPEG"

    /// The format given by the magic bytes at the start of `bytes` (not by the file name), or nil.
    /// PNG: the 8-byte signature 89 50 4E 47 0D 0A 1A 0A. JPEG: an SOI marker FF D8 followed by a marker byte FF.
    public static func detect(_ bytes: [UInt8]) -> ImageFormat? {
        let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 8 && Array(bytes[0..<8]) == pngSignature { return .png }
        if bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF { return .jpeg }
        return nil
    }
}

/// What a file's header says about an image, read without decoding the pixels.
public struct ImageInfo: Sendable, Equatable {
    /// Width of the decoded image, after the EXIF orientation is applied.
    public var width: Int
    /// Height of the decoded image, after the EXIF orientation is applied.
    public var height: Int
    /// Channels stored in the file: 1 gray, 2 gray+alpha, 3 RGB/YCbCr, 4 RGBA/CMYK/YCCK (palette PNGs: 3, or 4 with tRNS).
    public var channels: Int
    public var format: ImageFormat
    /// Bits per sample in the file (PNG: 1, 2, 4, 8 or 16; JPEG: 8 or 12).
    public var bitDepth: Int
    /// "gray", "gray+alpha", "RGB", "RGBA", "palette", "YCbCr", "CMYK" or "YCCK".
    public var colorModel: String
    /// PNG: Adam7 interlaced. JPEG: progressive.
    public var isInterlaced: Bool
    /// EXIF orientation 1...8 (1 = as stored; always 1 for PNG).
    public var orientation: Int
}

extension ImageInfo {
    /// Reads the header of the image file at `path` (PNG or JPEG, told by the magic bytes).
    /// - Throws: `ImageError` naming the file.
    public init(contentsOf path: String) throws {
        let bytes = try FileBytes.contents(of: path)
        self = try ImageInfo(bytes: bytes, path: path)
    }

    /// Reads the header of the PNG or JPEG in `bytes`; `path` is only used in error messages.
    public init(bytes: [UInt8], path: String) throws {
        guard let format = ImageFormat.detect(bytes) else {
            throw ImageError(path: path, kind: .notAnImage)
        }
        switch format {
        case .png: self = try PNGHeader.read(bytes, path: path).info
        case .jpeg: self = try JPEGHeader.read(bytes, path: path).info
        }
    }
}

/// The fields of a PNG IHDR chunk, checked against `ImageLimits` and libpng's own header read.
struct PNGHeader {
    var info: ImageInfo
    /// IHDR colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.
    var colorType: Int

    /// Parses the IHDR chunk (bytes 8..<33) by hand for bit depth and interlacing, checks the declared size against
    /// `ImageLimits`, then lets libpng validate the header.
    static func read(_ bytes: [UInt8], path: String) throws -> PNGHeader {
        // Signature (8) + length (4) + "IHDR" (4) + 13 data bytes + CRC (4).
        guard bytes.count >= 33, Array(bytes[12..<16]) == Array("IHDR".utf8) else {
            if bytes.count < 33 { throw ImageError(path: path, kind: .truncated(.png, "file ends inside the IHDR chunk")) }
            throw ImageError(path: path, kind: .corrupt(.png, "IHDR chunk missing"))
        }
        func be32(_ i: Int) -> Int {
            Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
        }
        let width = be32(16), height = be32(20)
        let bitDepth = Int(bytes[24]), colorType = Int(bytes[25]), interlace = Int(bytes[28])
        if !ImageLimits.accepts(width: width, height: height) {
            throw ImageError(path: path, kind: .tooLarge(width: width, height: height))
        }
        var header = cpng_info()
        var message = [CChar](repeating: 0, count: 256)
        let code = bytes.withUnsafeBufferPointer { data in
            cpng_read_header(data.baseAddress, data.count, &header, &message, message.count)
        }
        if code != Int32(CPNG_OK) { throw pngError(message, path: path) }

        let hasTRNS = header.format & 1 != 0 && colorType == 3   // PNG_FORMAT_FLAG_ALPHA on a palette image
        let (channels, model): (Int, String)
        switch colorType {
        case 0: (channels, model) = (1, "gray")
        case 2: (channels, model) = (3, "RGB")
        case 3: (channels, model) = (hasTRNS ? 4 : 3, "palette")
        case 4: (channels, model) = (2, "gray+alpha")
        default: (channels, model) = (4, "RGBA")
        }
        return PNGHeader(info: ImageInfo(width: width, height: height, channels: channels, format: .png,
                                         bitDepth: bitDepth, colorModel: model, isInterlaced: interlace == 1,
                                         orientation: 1), colorType: colorType)
    }

    /// Deflate's largest expansion: one 258-byte match per 2 bits, so n compressed bytes inflate to at most
    /// 1032 n bytes (RFC 1951; zlib's "deflate bound" notes the same 1032:1 ratio).
    static let maxInflateRatio = 1032

    /// Refuses a file whose IDAT chunks are too short to inflate to the pixels its header declares, before the
    /// pixel buffer is allocated (a 69-byte file declaring 10000x10000 pixels would otherwise allocate 800 MB).
    /// The bound counts the pixel bytes without the per-row filter bytes, so every complete file passes.
    func checkPlausible(_ bytes: [UInt8], path: String) throws {
        let samples = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType] ?? 4
        let rowBytes = (info.width * samples * info.bitDepth + 7) / 8     // width <= 65535: no overflow
        let pixelBytes = rowBytes * info.height                            // <= 8 * 10^8 (ImageLimits)
        let compressed = PNGHeader.compressedBytes(bytes)
        let (bound, overflow) = compressed.multipliedReportingOverflow(by: PNGHeader.maxInflateRatio)
        if !overflow && bound + PNGHeader.maxInflateRatio < pixelBytes {
            throw ImageError(path: path, kind: .truncated(.png,
                "declares \(info.width)x\(info.height) pixels (\(pixelBytes) bytes) but holds \(compressed) bytes of "
                + "image data, which inflate to at most \(bound + PNGHeader.maxInflateRatio)"))
        }
    }

    /// The total length of the IDAT chunks present in `bytes` (a chunk cut off by the end of the file counts
    /// only its bytes present). Lengths come from the file: the walk uses checked arithmetic and stops at the
    /// first length above 2^31 - 1 (invalid in PNG).
    static func compressedBytes(_ bytes: [UInt8]) -> Int {
        var position = 8, total = 0
        while position + 8 <= bytes.count {
            let length = Int(bytes[position]) << 24 | Int(bytes[position + 1]) << 16
                | Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            if length > Int(Int32.max) { break }
            let type = bytes[(position + 4)..<(position + 8)]
            let dataStart = position + 8
            if type.elementsEqual("IDAT".utf8) { total += min(length, bytes.count - dataStart) }
            if type.elementsEqual("IEND".utf8) { break }
            position = dataStart + length + 4                                // + CRC; at most 2^31 + count: no overflow
        }
        return total
    }
}

/// A NUL-terminated C message buffer as a String (invalid UTF-8 repaired).
func cText(_ message: [CChar]) -> String {
    String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Turns a libpng message into a typed error: running out of data is a truncated file, anything else is corrupt.
func pngError(_ message: [CChar], path: String) -> ImageError {
    let text = cText(message)
    let lowered = text.lowercased()
    if lowered.contains("end of data") || lowered.contains("not enough") || lowered.contains("truncated") {
        return ImageError(path: path, kind: .truncated(.png, text))
    }
    return ImageError(path: path, kind: .corrupt(.png, text.isEmpty ? "libpng gave no message" : text))
}

/// A JPEG header as libjpeg reads it, plus the EXIF orientation.
struct JPEGHeader {
    var info: ImageInfo
    /// Size as stored, before the orientation is applied.
    var storedWidth: Int
    var storedHeight: Int
    /// Arithmetic coding (SOF9-11) instead of Huffman.
    var arithmetic: Bool
    /// 8x8 blocks of the largest component.
    var maxComponentBlocks: Int

    /// Refuses a Huffman-coded file too short to hold its declared blocks, before the pixel buffer is allocated.
    /// Every block of the largest component costs at least one bit (its DC difference code, at least 1 bit long;
    /// a baseline block adds an end-of-block code), so the file needs at least blocks / 8 bytes. Arithmetic-coded
    /// files can be smaller and are only held to `ImageLimits` and the decoder memory cap.
    func checkPlausible(byteCount: Int, path: String) throws {
        guard !arithmetic else { return }
        let needed = maxComponentBlocks / 8
        if byteCount < needed {
            throw ImageError(path: path, kind: .truncated(.jpeg,
                "declares \(storedWidth)x\(storedHeight) pixels, which need at least \(needed) bytes of coded data; "
                + "the file has \(byteCount)"))
        }
    }

    /// Reads the header with libjpeg (no pixel decoding), checks the declared size against `ImageLimits`.
    static func read(_ bytes: [UInt8], path: String) throws -> JPEGHeader {
        var header = cjpeg_info()
        var message = [CChar](repeating: 0, count: 256)
        var exif = [UInt8](repeating: 0, count: 65_536)
        let code = bytes.withUnsafeBufferPointer { data in
            exif.withUnsafeMutableBufferPointer { exifBuffer in
                cjpeg_read_header(data.baseAddress, data.count, &header, exifBuffer.baseAddress, exifBuffer.count,
                                  &message, message.count)
            }
        }
        if code != Int32(CJPEG_OK) { throw jpegError(code, message, path: path) }
        let width = Int(header.width), height = Int(header.height)
        if !ImageLimits.accepts(width: width, height: height) {
            throw ImageError(path: path, kind: .tooLarge(width: width, height: height))
        }
        let orientation = ExifOrientation.parse(Array(exif[0..<header.exif_length])) ?? 1
        let swaps = orientation >= 5
        let model: String
        switch Int(header.color_space) {
        case Int(CJPEG_CS_GRAY): model = "gray"
        case Int(CJPEG_CS_RGB): model = "RGB"
        case Int(CJPEG_CS_YCBCR): model = "YCbCr"
        case Int(CJPEG_CS_CMYK): model = "CMYK"
        case Int(CJPEG_CS_YCCK): model = "YCCK"
        default: model = "unknown"
        }
        let info = ImageInfo(width: swaps ? height : width, height: swaps ? width : height,
                             channels: Int(header.components), format: .jpeg, bitDepth: Int(header.bits_per_sample),
                             colorModel: model, isInterlaced: header.progressive != 0, orientation: orientation)
        return JPEGHeader(info: info, storedWidth: width, storedHeight: height, arithmetic: header.arithmetic != 0,
                          maxComponentBlocks: Int(clamping: header.max_component_blocks))
    }
}

/// Turns a cjpeg result code and libjpeg's message into a typed error. libjpeg-turbo has no backing store, so
/// "Backing store not supported" means the file needs more than `maxDecoderMemory` bytes of coefficient buffers.
func jpegError(_ code: Int32, _ message: [CChar], path: String, maxDecoderMemory: Int = ImageLimits.jpegDecoderBytes) -> ImageError {
    let text = cText(message)
    if code == Int32(CJPEG_ERR_TRUNCATED) { return ImageError(path: path, kind: .truncated(.jpeg, text)) }
    if text.contains("Backing store") {
        return ImageError(path: path, kind: .corrupt(.jpeg,
            "decoding needs more than the \(byteText(maxDecoderMemory)) decoder memory limit (a progressive or multi-scan file this large)"))
    }
    return ImageError(path: path, kind: .corrupt(.jpeg, text.isEmpty ? "libjpeg gave no message" : text))
}
