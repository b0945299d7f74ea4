import Foundation
import XCTest
@testable import Imaging

/// Bad inputs and outputs: each gives its own one-line ImageError naming the file; nothing crashes or hangs,
/// no output or temporary file is left behind, and an existing destination survives a failed write.
final class BadInputTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder("bad")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func file(_ name: String, _ bytes: [UInt8]) -> String {
        let path = folder + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }

    func testEmptyFile() {
        let path = file("x.jpg", [])
        let error = assertImageError(.emptyFile) { _ = try RGBImage(contentsOf: path) }
        XCTAssertEqual(error?.description, "\(path): empty file")
        assertImageError(.emptyFile) { _ = try ImageInfo(contentsOf: path) }
    }

    func testTextFileNamedJPEG() {
        let path = file("notes.jpg", Array("just some notes\n".utf8))
        let error = assertImageError(.notAnImage) { _ = try RGBImage(contentsOf: path) }
        XCTAssertEqual(error?.description, "\(path): not a PNG or JPEG file")
    }

    func testMissingFileAndDirectory() {
        assertImageError(.cannotRead("No such file or directory")) { _ = try RGBImage(contentsOf: folder + "/none.png") }
        let error = assertImageError(.isDirectory) { _ = try RGBImage(contentsOf: folder + "/") }
        XCTAssertEqual(error?.description, "\(folder)/: is a directory, not an image")
    }

    /// Formats are told by content: a PNG named .jpg decodes as PNG.
    func testFormatByMagicBytesNotExtension() throws {
        let image = noiseImage(width: 4, height: 3)
        let path = file("really_a_png.jpg", image.encodePNG())
        XCTAssertEqual(try RGBImage(contentsOf: path), image)
        XCTAssertEqual(try ImageInfo(contentsOf: path).format, .png)
    }

    func testTruncatedJPEG() throws {
        let whole = try smoothImage(width: 64, height: 48).encodeJPEG(quality: 92)
        for cut in [whole.count / 2, 200, 40, 4] {
            let path = file("cut\(cut).jpg", Array(whole[0..<cut]))
            do {
                _ = try RGBImage(contentsOf: path)
                XCTFail("a JPEG cut at \(cut) of \(whole.count) bytes decoded")
            } catch let error as ImageError {
                XCTAssertEqual(error.kind, .truncated(.jpeg, "Premature end of JPEG file"), "\(error)")
                XCTAssertEqual(error.description, "\(path): truncated JPEG (Premature end of JPEG file)")
            }
        }
    }

    /// A progressive JPEG cut inside its scans: libjpeg buffers all scans in jpeg_start_decompress.
    func testTruncatedProgressiveJPEG() throws {
        let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath("jpeg_progressive.jpg"))))
        let path = file("cut.jpg", Array(whole[0..<(whole.count * 3 / 4)]))
        assertImageError(.truncated(.jpeg, "Premature end of JPEG file")) { _ = try RGBImage(contentsOf: path) }
    }

    func testTruncatedPNG() throws {
        let whole = noiseImage(width: 40, height: 30).encodePNG()
        for cut in [whole.count - 13, whole.count / 2, 60, 20] {
            let path = file("cut\(cut).png", Array(whole[0..<cut]))
            do {
                _ = try RGBImage(contentsOf: path)
                XCTFail("a PNG cut at \(cut) of \(whole.count) bytes decoded")
            } catch let error as ImageError {
                guard case .truncated(.png, _) = error.kind else { return XCTFail("cut \(cut): \(error)") }
                XCTAssertTrue(error.description.hasPrefix("\(path): truncated PNG ("), error.description)
            }
        }
    }

    func testPNGWithBrokenCRC() {
        let path = fixturePath("bad_crc.png")
        let error = assertImageError(.corrupt(.png, "IDAT: CRC error")) { _ = try RGBImage(contentsOf: path) }
        XCTAssertEqual(error?.description, "\(path): corrupt PNG (IDAT: CRC error)")
    }

    /// A PNG IHDR declaring 100000x100000 and a JPEG SOF declaring 65000x65000 are refused from the header.
    func testDecompressionBombs() {
        let png = fixturePath("bad_bomb.png")
        let error = assertImageError(.tooLarge(width: 100_000, height: 100_000)) { _ = try RGBImage(contentsOf: png) }
        XCTAssertEqual(error?.description,
                       "\(png): declared size 100000x100000 exceeds the limit of 100 megapixels and 65535 pixels per side")
        assertImageError(.tooLarge(width: 100_000, height: 100_000)) { _ = try ImageInfo(contentsOf: png) }
        let jpeg = fixturePath("bad_bomb.jpg")
        assertImageError(.tooLarge(width: 65_000, height: 65_000)) { _ = try RGBImage(contentsOf: jpeg) }
        XCTAssertEqual(ImageLimits.maxPixels, 100_000_000)
        XCTAssertTrue(ImageLimits.accepts(width: 10_000, height: 10_000))
        XCTAssertFalse(ImageLimits.accepts(width: 10_001, height: 10_000))
        XCTAssertFalse(ImageLimits.accepts(width: 65_536, height: 1))
    }

    func testOutputFolderMissing() {
        let path = folder + "/out/a.png"
        let error = assertImageError(.cannotWrite("folder \(folder)/out/ does not exist")) {
            try RGBImage(width: 2, height: 2).write(to: path)
        }
        XCTAssertEqual(error?.description, "\(path): cannot write: folder \(folder)/out/ does not exist")
        XCTAssertEqual(listing(folder), [])
    }

    /// Paths that cannot be written even by root: a parent that is a regular file, and a folder under /proc.
    func testOutputCannotBeWritten() throws {
        let blocker = file("plain.txt", Array("x".utf8))
        assertImageError(.cannotWrite("\(blocker) is not a folder")) {
            try RGBImage(width: 2, height: 2).write(to: blocker + "/a.png")
        }
        XCTAssertEqual(listing(folder), ["plain.txt"])
        do {
            try RGBImage(width: 2, height: 2).write(to: "/proc/self/a.png")
            XCTFail("wrote into /proc")
        } catch let error as ImageError {
            guard case .cannotWrite = error.kind else { return XCTFail("\(error)") }
            XCTAssertTrue(error.description.hasPrefix("/proc/self/a.png: cannot write: "), error.description)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/proc/self/a.png"))
    }

    /// A failed write (bad extension, bad quality, destination is a folder) leaves the old file intact and no
    /// temporary file behind.
    func testFailedWriteLeavesDestinationIntact() throws {
        let old = noiseImage(width: 3, height: 3)
        let path = folder + "/keep.png"
        try old.write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let image = RGBImage(width: 2, height: 2)
        assertImageError(.unsupportedExtension("bmp")) { try image.write(to: folder + "/keep.bmp") }
        assertImageError(.unsupportedExtension("")) { try image.write(to: folder + "/keep") }
        assertImageError(.invalidQuality(0)) { try image.write(to: folder + "/keep.jpg", quality: 0) }
        assertImageError(.invalidQuality(101)) { try image.write(to: folder + "/keep.jpg", quality: 101) }
        assertImageError(.emptyImage) { try RGBImage(width: 0, height: 5).write(to: path) }
        try FileManager.default.createDirectory(atPath: folder + "/dir.png", withIntermediateDirectories: false)
        assertImageError(.cannotWrite("is a directory")) { try image.write(to: folder + "/dir.png") }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(listing(folder), ["dir.png", "keep.png"])
        XCTAssertEqual(listing(folder + "/dir.png"), [])
    }

    /// A write that fails half-way (file size limit RLIMIT_FSIZE, which binds root too; SIGXFSZ ignored so write(2)
    /// returns EFBIG) removes its temporary file and leaves the existing destination as it was.
    func testWriteFailingHalfWayCleansUp() throws {
        let path = folder + "/keep.png"
        try RGBImage(width: 2, height: 2).write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let big = noiseImage(width: 64, height: 64)   // about 12 kB of PNG
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var limited = saved
        limited.rlim_cur = 1000
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited), 0)
        let error = assertImageError(.cannotWrite("File too large")) { try big.write(to: path) }
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        signal(SIGXFSZ, previousHandler)
        XCTAssertEqual(error?.description, "\(path): cannot write: File too large")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(listing(folder), ["keep.png"])
    }

    /// Random garbage after valid magic bytes fails cleanly (no crash, no hang, no stderr noise) for many seeds.
    func testGarbageAfterMagicBytes() {
        var state: UInt64 = 42
        for trial in 0..<200 {
            var bytes: [UInt8] = trial % 2 == 0 ? [0xFF, 0xD8, 0xFF] : [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            for _ in 0..<(trial * 7 % 300) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            do {
                _ = try RGBImage(decoding: bytes, path: "garbage\(trial)")
                XCTFail("garbage \(trial) decoded")
            } catch let error as ImageError {
                XCTAssertTrue(error.description.hasPrefix("garbage\(trial): "), error.description)
                XCTAssertFalse(error.description.contains("\n"))
            } catch {
                XCTFail("\(error)")
            }
        }
    }
}
