import CJPEG
import CPNG

// Reading and writing PNG and JPEG files. Formats are told by magic bytes when reading, by extension when writing.
// PNG alpha is composited over white in 8 bits: out = round((a * c + (255 - a) * 255) / 255), i.e.
// a*c + (1-a)*255 with a in [0, 1], rounded half up. 16-bit PNG samples are first scaled to 8 bits by libpng
// (round(v / 257)), so transparency in 16-bit files is composited from those 8-bit values; Adam7-interlaced
// 16-bit files are the exception (composited in 16 bits, see decodeInterlacedPNG16). A file's gAMA is not applied
// (PNGGamma): the samples are used as stored, as Keras, PyTorch and OpenCV read them.

extension RGBImage {
    /// Reads and decodes the PNG or JPEG file at `path` (format told by magic bytes, not by extension).
    ///
    /// JPEG: baseline and progressive, gray, YCbCr, RGB, CMYK and YCCK (Adobe inverted CMYK handled), EXIF
    /// orientation applied. PNG: every bit depth and colour type, interlaced or not; alpha composited over white.
    /// Only a regular file of at most `InputLimits.imageBytes` is read; the declared size is checked against
    /// `ImageLimits` and against the amount of compressed data present before the pixel buffer is allocated.
    /// Corrupt JPEG data that libjpeg recovers from is decoded; use `init(contentsOf:warnings:)` to learn of it.
    /// - Throws: `ImageError` naming `path` and the problem.
    public init(contentsOf path: String) throws {
        var ignored: [ImageWarning] = []
        try self.init(contentsOf: path, warnings: &ignored)
    }

    /// Reads and decodes the image at `path` as `init(contentsOf:)`, appending to `warnings` what the decoder
    /// recovered from (corrupt JPEG data).
    public init(contentsOf path: String, warnings: inout [ImageWarning]) throws {
        let bytes = try FileBytes.contents(of: path)
        try self.init(decoding: bytes, path: path, warnings: &warnings)
    }

    /// Decodes a PNG or JPEG held in memory; `path` only names the source in error messages.
    public init(decoding bytes: [UInt8], path: String) throws {
        var ignored: [ImageWarning] = []
        try self.init(decoding: bytes, path: path, warnings: &ignored)
    }

    /// Decodes a PNG or JPEG held in memory, appending recovered-from problems to `warnings`.
    public init(decoding bytes: [UInt8], path: String, warnings: inout [ImageWarning]) throws {
        if bytes.isEmpty { throw ImageError(path: path, kind: .emptyFile) }
        switch ImageFormat.detect(bytes) {
        case .png: self = try RGBImage.decodePNG(bytes, path: path)
        case .jpeg:
            let (image, warning) = try RGBImage.decodeJPEG(bytes, path: path)
            self = image
            if let warning { warnings.append(warning) }
        case nil: throw ImageError(path: path, kind: .notAnImage)
        }
    }

    static func decodePNG(_ file: [UInt8], path: String) throws -> RGBImage {
        let header = try PNGHeader.read(file, path: path)   // checks ImageLimits before allocating
        try header.checkPlausible(file, path: path)         // and the compressed data against the declared size
        let bytes = PNGGamma.removingGammaChunk(file) ?? file   // samples as stored (PNGGamma)
        let width = header.info.width, height = header.info.height
        if header.info.bitDepth == 16 && header.info.isInterlaced {
            return try decodeInterlacedPNG16(bytes, width: width, height: height, path: path)
        }
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        var message = [CChar](repeating: 0, count: 256)
        let code = bytes.withUnsafeBufferPointer { data in
            rgba.withUnsafeMutableBufferPointer { out in
                cpng_decode_rgba8(data.baseAddress, data.count, out.baseAddress, out.count, &message, message.count)
            }
        }
        if code != Int32(CPNG_OK) { throw pngError(message, path: path) }
        return RGBImage(compositingOverWhite: rgba, width: width, height: height)
    }

    /// Adam7-interlaced 16-bit PNGs go through libpng's 16-bit output (its 16-to-8-bit interlaced path returns
    /// wrong rows, libpng issue #853) and are composited over white in 16 bits, then scaled:
    /// out = round((P + 65535 - A) / 257) with P = c A / 65535 the premultiplied sample (equal to round(c / 257)
    /// when opaque; within 1 of the 8-bit formula otherwise).
    static func decodeInterlacedPNG16(_ bytes: [UInt8], width: Int, height: Int, path: String) throws -> RGBImage {
        var rgba = [UInt16](repeating: 0, count: width * height * 4)
        var message = [CChar](repeating: 0, count: 256)
        let code = bytes.withUnsafeBufferPointer { data in
            rgba.withUnsafeMutableBufferPointer { out in
                cpng_decode_rgba16_premultiplied(data.baseAddress, data.count, out.baseAddress, out.count,
                                                 &message, message.count)
            }
        }
        if code != Int32(CPNG_OK) { throw pngError(message, path: path) }
        var image = RGBImage(width: width, height: height)
        rgba.withUnsafeBufferPointer { src in
            image.pixels.withUnsafeMutableBufferPointer { dst in
                for i in 0..<(width * height) {
                    let background = 65535 - UInt32(src[4 * i + 3]) + 128   // + 128: round to nearest in / 257
                    for c in 0..<3 {
                        dst[3 * i + c] = UInt8(min((UInt32(src[4 * i + c]) + background) / 257, 255))
                    }
                }
            }
        }
        return image
    }

    /// An RGB image from 8-bit RGBA (H, W, 4) composited over white: out = round((a c + (255 - a) 255) / 255).
    public init(compositingOverWhite rgba: [UInt8], width: Int, height: Int) {
        precondition(rgba.count == width * height * 4, "RGBA data does not match \(width)x\(height)x4")
        var image = RGBImage(width: width, height: height)
        rgba.withUnsafeBufferPointer { src in
            image.pixels.withUnsafeMutableBufferPointer { dst in
                for i in 0..<(width * height) {
                    let a = UInt32(src[4 * i + 3])
                    let background = (255 - a) * 255 + 127   // + 127: round half up in the division by 255
                    dst[3 * i] = UInt8((a * UInt32(src[4 * i]) + background) / 255)
                    dst[3 * i + 1] = UInt8((a * UInt32(src[4 * i + 1]) + background) / 255)
                    dst[3 * i + 2] = UInt8((a * UInt32(src[4 * i + 2]) + background) / 255)
                }
            }
        }
        self = image
    }

    /// Decodes a JPEG, with libjpeg's whole-image buffers capped at `maxDecoderMemory` bytes; returns a warning
    /// when libjpeg recovered from corrupt data.
    static func decodeJPEG(_ bytes: [UInt8], path: String, maxDecoderMemory: Int = ImageLimits.jpegDecoderBytes)
        throws -> (RGBImage, ImageWarning?) {
        let header = try JPEGHeader.read(bytes, path: path)   // checks ImageLimits before allocating
        try header.checkPlausible(byteCount: bytes.count, path: path)
        var image = RGBImage(width: header.storedWidth, height: header.storedHeight)
        var message = [CChar](repeating: 0, count: 256)
        var warningText = [CChar](repeating: 0, count: 256)
        var warnings: Int32 = 0
        let code = bytes.withUnsafeBufferPointer { data in
            image.pixels.withUnsafeMutableBufferPointer { out in
                cjpeg_decode_rgb8(data.baseAddress, data.count, out.baseAddress, out.count, maxDecoderMemory,
                                  &warnings, &warningText, warningText.count, &message, message.count)
            }
        }
        if code != Int32(CJPEG_OK) { throw jpegError(code, message, path: path, maxDecoderMemory: maxDecoderMemory) }
        let warning = warnings > 0 ? ImageWarning(path: path, format: .jpeg, message: cText(warningText), count: Int(warnings)) : nil
        return (image.applyingOrientation(header.info.orientation), warning)
    }

    /// The image encoded as an 8-bit RGB PNG (for files, and for embedding as base64 in HTML).
    /// - Precondition: the image is not empty (use `write(to:)` for a thrown error instead).
    public func encodePNG() -> [UInt8] {
        do {
            return try encodePNG(path: "<memory>")
        } catch {
            preconditionFailure("\(error)")
        }
    }

    func encodePNG(path: String) throws -> [UInt8] {
        if width == 0 || height == 0 { throw ImageError(path: path, kind: .emptyImage) }
        var message = [CChar](repeating: 0, count: 256)
        var size = 0
        var code = pixels.withUnsafeBufferPointer { rgb in
            cpng_encode_rgb8(rgb.baseAddress, UInt32(width), UInt32(height), nil, &size, &message, message.count)
        }
        var bytes = [UInt8](repeating: 0, count: size)
        if code == Int32(CPNG_OK) {
            code = pixels.withUnsafeBufferPointer { rgb in
                bytes.withUnsafeMutableBufferPointer { out in
                    cpng_encode_rgb8(rgb.baseAddress, UInt32(width), UInt32(height), out.baseAddress, &size,
                                     &message, message.count)
                }
            }
        }
        if code != Int32(CPNG_OK) { throw ImageError(path: path, kind: .cannotWrite("libpng: \(cText(message))")) }
        return Array(bytes[0..<size])
    }

    /// The image encoded as a baseline JPEG (4:2:0 chroma, optimized Huffman tables).
    /// - Parameter quality: libjpeg quality 1...100.
    /// - Throws: `ImageError.Kind.invalidQuality` or `.emptyImage`.
    public func encodeJPEG(quality: Int = 92) throws -> [UInt8] {
        try encodeJPEG(quality: quality, path: "<memory>")
    }

    /// - Parameter maxBytes: the largest encoded size; more fails with "Output file write error" (the default,
    ///   1 GiB, is far above any image within `ImageLimits`).
    func encodeJPEG(quality: Int, path: String, maxBytes: Int = 1 << 30) throws -> [UInt8] {
        if !(1...100).contains(quality) { throw ImageError(path: path, kind: .invalidQuality(quality)) }
        if width == 0 || height == 0 { throw ImageError(path: path, kind: .emptyImage) }
        var message = [CChar](repeating: 0, count: 256)
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let code = pixels.withUnsafeBufferPointer { rgb in
            cjpeg_encode_rgb8(rgb.baseAddress, Int32(width), Int32(height), Int32(quality), maxBytes, &out, &size,
                              &message, message.count)
        }
        defer { cjpeg_free(out) }
        guard code == Int32(CJPEG_OK), let out else { throw ImageError(path: path, kind: .cannotWrite("libjpeg: \(cText(message))")) }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }

    /// Writes the image atomically to `path` as PNG (.png) or JPEG (.jpg, .jpeg), told by the extension
    /// (case-insensitive). See `AtomicFile.write(_:to:)`.
    /// - Parameter quality: JPEG quality 1...100 (ignored for PNG).
    /// - Throws: `ImageError` naming `path`: unknown extension, bad quality, missing folder, write failure.
    public func write(to path: String, quality: Int = 92) throws {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        let ext = name.contains(".") ? String(name.split(separator: ".").last ?? "").lowercased() : ""
        let bytes: [UInt8]
        switch ext {
        case "png": bytes = try encodePNG(path: path)
        case "jpg", "jpeg": bytes = try encodeJPEG(quality: quality, path: path)
        default: throw ImageError(path: path, kind: .unsupportedExtension(ext))
        }
        try AtomicFile.write(bytes, to: path)
    }
}
