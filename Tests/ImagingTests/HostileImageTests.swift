import Foundation
import XCTest
@testable import Imaging

/// Crafted images, built here: declared sizes refused before the pixel buffer is allocated when the data cannot
/// hold them, libjpeg's memory cap, corrupt-data warnings, the JPEG encoder's buffer growth and error path, and
/// inputs that are not regular files.
final class HostileImageTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws { folder = try makeTemporaryFolder("hostile") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    /// CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320), bit by bit.
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~crc
    }

    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let n = UInt32(data.count), c = crc32(body)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + body
            + [UInt8(c >> 24), UInt8(c >> 16 & 0xFF), UInt8(c >> 8 & 0xFF), UInt8(c & 0xFF)]
    }

    /// The 69-byte PNG of the issue: interlaced, 16-bit gray, 10000x10000, one tiny IDAT. It used to allocate
    /// 800 MB (16-bit RGBA) before libpng said "Not enough image data"; the IDAT size now refuses it first.
    func testTinyPNGDeclaringHugeSizeIsRefusedBeforeAllocating() throws {
        let side: [UInt8] = [0, 0, 0x27, 0x10]   // 10000
        let ihdr = side + side + [16, 0, 0, 0, 1]  // 16-bit, gray, deflate, adaptive filter, Adam7
        let idat: [UInt8] = [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]
        let bytes = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", [])
        XCTAssertEqual(bytes.count, 66)
        let path = folder + "/bomb16.png"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let error = assertImageError(.truncated(.png, "declares 10000x10000 pixels (200000000 bytes) but holds 9 bytes of image data, "
                                                + "which inflate to at most 10320")) { _ = try RGBImage(contentsOf: path) }
        XCTAssertNotNil(error)
        // The header alone is fine: `info` reads it without decoding.
        XCTAssertEqual(try ImageInfo(contentsOf: path).width, 10000)
    }

    /// A real 16x16 JPEG whose SOF is patched to declare 10000x10000: far too few bytes for its blocks.
    func testTinyJPEGDeclaringHugeSizeIsRefusedBeforeAllocating() throws {
        var bytes = try smoothImage(width: 16, height: 16).encodeJPEG(quality: 90)
        let sof = try XCTUnwrap((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes.replaceSubrange((sof + 5)..<(sof + 9), with: [0x27, 0x10, 0x27, 0x10])   // height, width
        let error = assertImageError(.truncated(.jpeg, "declares 10000x10000 pixels, which need at least 195312 bytes of coded data; "
                                                + "the file has \(bytes.count)")) {
            _ = try RGBImage(decoding: bytes, path: "big.jpg")
        }
        XCTAssertNotNil(error)
    }

    /// libjpeg's whole-image buffers (progressive files) are capped: a cap below what the fixture needs fails
    /// cleanly, the normal cap decodes it.
    func testJPEGDecoderMemoryCap() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath("progressive_128.jpg"))))
        XCTAssertThrowsError(try RGBImage.decodeJPEG(bytes, path: "p.jpg", maxDecoderMemory: 1024)) { error in
            XCTAssertEqual((error as? ImageError)?.description,
                           "p.jpg: corrupt JPEG (decoding needs more than the 1 KiB decoder memory limit (a progressive or multi-scan file this large))")
        }
        XCTAssertNoThrow(try RGBImage.decodeJPEG(bytes, path: "p.jpg"))
        XCTAssertEqual(ImageLimits.jpegDecoderBytes, 512 << 20)
    }

    /// Corrupt data that libjpeg recovers from (here 3 stray bytes between two header segments) is decoded and
    /// reported as a warning naming the file.
    func testCorruptJPEGDataIsReported() throws {
        var bytes = try smoothImage(width: 32, height: 24).encodeJPEG(quality: 90)
        XCTAssertEqual(Array(bytes[0..<4]), [0xFF, 0xD8, 0xFF, 0xE0])   // SOI, APP0 (JFIF)
        let app0End = 4 + (Int(bytes[4]) << 8 | Int(bytes[5]))
        bytes.insert(contentsOf: [0x12, 0x34, 0x56], at: app0End)
        let path = folder + "/stray.jpg"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        var warnings: [ImageWarning] = []
        let image = try RGBImage(contentsOf: path, warnings: &warnings)
        XCTAssertEqual(image.width, 32)
        XCTAssertEqual(warnings, [ImageWarning(path: path, format: .jpeg,
                                               message: "Corrupt JPEG data: 3 extraneous bytes before marker 0xdb", count: 1)])
        XCTAssertEqual(warnings.first?.description, "\(path): damaged JPEG data, decoded anyway (Corrupt JPEG data: 3 extraneous "
                       + "bytes before marker 0xdb); parts of the picture may be grey or shifted")
        var none: [ImageWarning] = []
        _ = try RGBImage(decoding: try smoothImage(width: 32, height: 24).encodeJPEG(), path: "clean.jpg", warnings: &none)
        XCTAssertEqual(none, [], "a clean file gives no warning")
    }

    /// The encoder's buffer grows past its first 64 KiB; a size cap reached after growing fails cleanly (this path
    /// used to free a buffer libjpeg-turbo had already replaced: a double free).
    func testJPEGEncoderGrowsAndFailsCleanly() throws {
        let image = noiseImage(width: 512, height: 512)   // about 260 KB at quality 95
        let whole = try image.encodeJPEG(quality: 95, path: "n.jpg")
        XCTAssertGreaterThan(whole.count, 3 * 65536, "the buffer was grown at least twice")
        XCTAssertEqual(try RGBImage(decoding: whole, path: "n.jpg").width, 512)
        for cap in [65536, 131072] {
            XCTAssertThrowsError(try image.encodeJPEG(quality: 95, path: "n.jpg", maxBytes: cap)) { error in
                XCTAssertEqual((error as? ImageError)?.description, "n.jpg: cannot write: libjpeg: Output file write error --- out of disk space?")
            }
        }
    }

    /// Inputs that are not regular files are refused at once: a FIFO (which would block), /dev/zero (endless),
    /// a sparse 1 TiB file (by its size).
    func testOnlyRegularFilesOfBoundedSize() throws {
        XCTAssertEqual(mkfifo(folder + "/pipe.png", 0o600), 0)
        let fifo = assertImageError(.notRegularFile("FIFO (named pipe)")) { _ = try RGBImage(contentsOf: folder + "/pipe.png") }
        XCTAssertEqual(fifo?.description, "\(folder)/pipe.png: is a FIFO (named pipe), not a regular file; give an image file on disk")
        assertImageError(.notRegularFile("character device")) { _ = try RGBImage(contentsOf: "/dev/zero") }
        assertImageError(.notRegularFile("character device")) { _ = try ImageInfo(contentsOf: "/dev/zero") }
        FileManager.default.createFile(atPath: folder + "/huge.png", contents: nil)
        guard truncate(folder + "/huge.png", off_t(1) << 40) == 0 else { throw XCTSkip("no sparse files here") }
        let huge = assertImageError(.fileTooLarge(size: 1 << 40, limit: 512 << 20)) { _ = try RGBImage(contentsOf: folder + "/huge.png") }
        XCTAssertEqual(huge?.description, "\(folder)/huge.png: file of 1 TiB exceeds the 512 MiB limit for images")
    }
}
