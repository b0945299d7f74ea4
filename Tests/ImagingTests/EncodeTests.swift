import Foundation
import XCTest
@testable import Imaging

/// Encoding: PNG is lossless, JPEG close in PSNR, files written atomically by extension.
final class EncodeTests: XCTestCase {
    /// PNG round trip (file and memory) is pixel-exact on noise, which no lossy path could reproduce.
    func testPNGRoundTripIsExact() throws {
        let folder = try makeTemporaryFolder("png")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let image = noiseImage(width: 37, height: 23)
        let path = folder + "/noise.png"
        try image.write(to: path)
        XCTAssertEqual(try RGBImage(contentsOf: path), image)
        XCTAssertEqual(try RGBImage(decoding: image.encodePNG(), path: "memory"), image)
        XCTAssertEqual(listing(folder), ["noise.png"], "no temporary file left behind")
    }

    /// JPEG at quality 92 on a smooth 96x64 image: PSNR above 40 dB (4:2:0 chroma; measured 46.7 dB, and 34.0 dB
    /// at quality 20).
    /// Quality 20 must come out worse than quality 92, so the quality option reaches libjpeg.
    func testJPEGRoundTripPSNR() throws {
        let folder = try makeTemporaryFolder("jpeg")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let image = smoothImage(width: 96, height: 64)
        func psnr(_ decoded: RGBImage) -> Double {
            var sum = 0.0
            for i in 0..<image.pixels.count {
                let d = Double(image.pixels[i]) - Double(decoded.pixels[i])
                sum += d * d
            }
            return 10 * log10(255 * 255 / (sum / Double(image.pixels.count)))
        }
        try image.write(to: folder + "/a.jpg")
        let high = try RGBImage(contentsOf: folder + "/a.jpg")
        XCTAssertEqual([high.width, high.height], [96, 64])
        XCTAssertGreaterThan(psnr(high), 40, "PSNR \(psnr(high)) dB at quality 92")
        try image.write(to: folder + "/b.JPEG", quality: 20)
        let low = try RGBImage(contentsOf: folder + "/b.JPEG")
        XCTAssertLessThan(psnr(low), psnr(high) - 3, "quality 20: \(psnr(low)) dB, quality 92: \(psnr(high)) dB")
        XCTAssertEqual(listing(folder), ["a.jpg", "b.JPEG"])
        XCTAssertEqual(try ImageInfo(contentsOf: folder + "/a.jpg").format, .jpeg)
    }

    /// Writing the same path twice replaces the file (rename over an existing file).
    func testWriteReplacesExistingFile() throws {
        let folder = try makeTemporaryFolder("replace")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/x.png"
        try RGBImage(width: 2, height: 2).write(to: path)
        let second = noiseImage(width: 3, height: 1)
        try second.write(to: path)
        XCTAssertEqual(try RGBImage(contentsOf: path), second)
        XCTAssertEqual(listing(folder), ["x.png"])
    }

    /// A relative path without a folder writes into the current folder.
    func testAtomicWriteOfPlainBytes() throws {
        let folder = try makeTemporaryFolder("bytes")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bytes: [UInt8] = Array("hello\n".utf8)
        try AtomicFile.write(bytes, to: folder + "/notes.txt")
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/notes.txt"))), bytes)
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try AtomicFile.write([1, 2, 3], to: "plain.bin")
        XCTAssertEqual(listing(folder), ["notes.txt", "plain.bin"])
    }
}
