import Foundation
import XCTest
@testable import Imaging

/// Decoding against independent references: hand-written PNGs (make_fixtures.py, struct + zlib) whose expected
/// pixels Python computed, and Pillow-written JPEGs whose expected pixels are Pillow's decode.
final class DecodeTests: XCTestCase {
    struct Fixture: Decodable {
        var name: String
        var file: String
        var width: Int
        var height: Int
        var tolerance: Int
        var note: String
    }

    func fixtures() throws -> [Fixture] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("manifest.json")))
        return try JSONDecoder().decode([Fixture].self, from: data)
    }

    func check(_ fixture: Fixture) throws {
        let image = try RGBImage(contentsOf: fixturePath(fixture.file))
        let expected = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath(fixture.name + ".rgb"))))
        XCTAssertEqual(image.width, fixture.width, fixture.name)
        XCTAssertEqual(image.height, fixture.height, fixture.name)
        guard image.pixels.count == expected.count else {
            return XCTFail("\(fixture.name): \(image.pixels.count) bytes, expected \(expected.count)")
        }
        let worst = worstDifference(image.pixels, expected)
        let pixel = worst.index / 3
        XCTAssertLessThanOrEqual(worst.value, fixture.tolerance,
                                 "\(fixture.name) (\(fixture.note)): worst difference \(worst.value) at x=\(pixel % image.width) "
                                 + "y=\(pixel / image.width) channel \(worst.index % 3)")
    }

    /// Every PNG variant (1/2/4/8/16-bit, gray, gray+alpha, RGB, RGBA, palette with and without tRNS, Adam7)
    /// decodes exactly to the pixels Python computed (alpha over white in 8 bits, 16-bit as round(v/257)).
    /// Exception: interlaced 16-bit RGBA is composited in 16 bits (libpng bug workaround), so within 1.
    func testPNGVariantsDecodeExactly() throws {
        let pngs = try fixtures().filter { $0.file.hasSuffix(".png") }
        XCTAssertEqual(pngs.count, 19)
        for fixture in pngs {
            XCTAssertEqual(fixture.tolerance, fixture.name == "png_rgba16_adam7" ? 1 : 0)
            try check(fixture)
        }
    }

    /// The gamma policy (PNGGamma): PngSuite's images, which all carry gAMA 1.0, decode to their samples as stored,
    /// as pypng's pure-Python reader gives them (the reference, make_pngsuite_fixtures.py; Pillow agrees), not to
    /// the gamma-corrected values a viewer shows (up to 72 levels brighter). Gray, RGB, palette and RGBA, 8 and 16
    /// bits, and the Adam7 16-bit path.
    func testPngSuiteGammaFilesDecodeToTheirStoredSamples() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("pngsuite.json")))
        let suite = try JSONDecoder().decode([Fixture].self, from: data)
        XCTAssertEqual(suite.count, 7)
        for fixture in suite {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath(fixture.file))))
            XCTAssertNotNil(PNGGamma.removingGammaChunk(bytes), "\(fixture.name) carries a gAMA chunk")
            try check(fixture)
        }
        // What applying gAMA 1.0 would give instead (linear to sRGB): far from the stored samples, so the check
        // above tells the two policies apart. basn0g08 is a ramp of all 256 grey levels.
        let ramp = try RGBImage(contentsOf: fixturePath("pngsuite_basn0g08.png"))
        let mid = ramp.pixels.firstIndex(of: 128)!
        let viewer = 255 * (1.055 * pow(128.0 / 255, 1 / 2.4) - 0.055)
        XCTAssertGreaterThan(viewer - Double(ramp.pixels[mid]), 50)
    }

    /// Only gAMA goes: the chunk list without it is the file's own, byte for byte; files without one are not
    /// copied, and a chunk length past the end of the file is left to libpng.
    func testGammaChunkRemoval() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath("pngsuite_basn2c08.png"))))
        let stripped = try XCTUnwrap(PNGGamma.removingGammaChunk(bytes))
        XCTAssertEqual(stripped.count, bytes.count - 16)   // length, type, 4 data bytes, CRC
        XCTAssertEqual(Array(stripped[..<33]), Array(bytes[..<33]))   // signature and IHDR
        XCTAssertEqual(Array(stripped[33...]), Array(bytes[49...]))
        XCTAssertNil(PNGGamma.removingGammaChunk(stripped))
        var hostile = bytes
        hostile[33] = 0x7F   // the gAMA chunk claims 2 GB
        XCTAssertNil(PNGGamma.removingGammaChunk(hostile))
        XCTAssertThrowsError(try RGBImage(decoding: hostile, path: "hostile.png"))
    }

    /// Baseline, progressive, grayscale and CMYK (Adobe inverted) JPEGs match Pillow's decode within the stated
    /// tolerance (2 levels: same libjpeg-turbo algorithms, possibly another version; CMYK: 1 for the rounding).
    func testJPEGVariantsMatchPillow() throws {
        for name in ["jpeg_baseline", "jpeg_progressive", "jpeg_gray", "jpeg_cmyk"] {
            let fixture = try XCTUnwrap(try fixtures().first { $0.name == name })
            try check(fixture)
        }
    }

    /// EXIF orientations 1...8 give the same upright pixels as Pillow's ImageOps.exif_transpose.
    func testEXIFOrientationsMatchPillow() throws {
        for fixture in try fixtures() where fixture.name.hasPrefix("jpeg_orientation") {
            try check(fixture)
        }
    }

    /// Orientation 6 (turn 90 degrees clockwise): the 24x16 stored image of blocks
    /// [red green blue / yellow cyan magenta] becomes 16x24 with yellow top-left, red top-right, magenta bottom-left.
    func testOrientation6RotatesDimensionsAndPixels() throws {
        let path = fixturePath("jpeg_orientation6.jpg")
        let info = try ImageInfo(contentsOf: path)
        XCTAssertEqual(info.orientation, 6)
        XCTAssertEqual([info.width, info.height], [16, 24])
        let image = try RGBImage(contentsOf: path)
        XCTAssertEqual([image.width, image.height], [16, 24])
        func pixel(_ x: Int, _ y: Int) -> [Int] {
            let i = (y * image.width + x) * 3
            return image.pixels[i..<i + 3].map { Int($0) }
        }
        func assertNear(_ got: [Int], _ want: [Int], _ label: String) {
            let worst = zip(got, want).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(worst, 3, "\(label): got \(got), want \(want)")
        }
        assertNear(pixel(4, 4), [255, 255, 0], "top-left is the stored bottom-left (yellow)")
        assertNear(pixel(12, 4), [255, 0, 0], "top-right is the stored top-left (red)")
        assertNear(pixel(4, 20), [255, 0, 255], "bottom-left is the stored bottom-right (magenta)")
        assertNear(pixel(12, 20), [0, 0, 255], "bottom-right is the stored top-right (blue)")
        assertNear(pixel(12, 12), [0, 255, 0], "middle right is the stored top-middle (green)")
    }

    /// The orientation transforms on a 3x2 image, against Pillow's exif_transpose of the same array
    /// (pixel k holds bytes 3k, 3k+1, 3k+2; listed below as pixel numbers k):
    ///     a = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    ///     for o in range(1, 9):
    ///         ex = Image.Exif(); ex[0x0112] = o; b = io.BytesIO()
    ///         Image.fromarray(a).save(b, "PNG", exif=ex.tobytes()); b.seek(0)
    ///         t = np.array(ImageOps.exif_transpose(Image.open(b)))
    ///         print(o, t.shape[1], t.shape[0], (t.reshape(-1, 3)[:, 0] // 3).tolist())
    func testOrientationTransformsOnTinyImage() {
        let image = RGBImage(width: 3, height: 2, pixels: (0..<18).map { UInt8($0) })
        let expected: [Int: (Int, Int, [Int])] = [
            1: (3, 2, [0, 1, 2, 3, 4, 5]),
            2: (3, 2, [2, 1, 0, 5, 4, 3]),
            3: (3, 2, [5, 4, 3, 2, 1, 0]),
            4: (3, 2, [3, 4, 5, 0, 1, 2]),
            5: (2, 3, [0, 3, 1, 4, 2, 5]),
            6: (2, 3, [3, 0, 4, 1, 5, 2]),
            7: (2, 3, [5, 2, 4, 1, 3, 0]),
            8: (2, 3, [2, 5, 1, 4, 0, 3]),
        ]
        for (orientation, (w, h, order)) in expected.sorted(by: { $0.key < $1.key }) {
            let turned = image.applyingOrientation(orientation)
            XCTAssertEqual([turned.width, turned.height], [w, h], "orientation \(orientation)")
            var want: [UInt8] = []
            for k in order {
                for c in 0..<3 { want.append(UInt8(3 * k + c)) }
            }
            XCTAssertEqual(turned.pixels, want, "orientation \(orientation)")
        }
    }

    /// The EXIF parser reads a big-endian ("MM") TIFF block built by hand, and rejects garbage safely.
    func testEXIFParserBothByteOrders() {
        // MM, 42, IFD at 8; 2 entries: 0x010F (Make, ASCII) and 0x0112 SHORT count 1 value 8.
        let bigEndian: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 2,
                                  0x01, 0x0F, 0, 2, 0, 0, 0, 4, 0x41, 0x42, 0x43, 0,
                                  0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0]
        XCTAssertEqual(ExifOrientation.parse(bigEndian), 8)
        let littleEndian: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0,
                                     0x12, 0x01, 3, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]
        XCTAssertEqual(ExifOrientation.parse(littleEndian), 3)
        XCTAssertNil(ExifOrientation.parse(Array(bigEndian[0..<20])), "entry cut off")
        XCTAssertNil(ExifOrientation.parse([0x49, 0x49, 42, 0, 0xFF, 0xFF, 0xFF, 0x7F]), "IFD offset past the end")
        XCTAssertNil(ExifOrientation.parse([]))
    }

    /// The sample image decodes to its known size (752x600) with plausible content, and quickly.
    func testStarryNight() throws {
        let path = "images/starry_night.jpg"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) missing (run scripts/setup)") }
        let start = Date()
        let image = try RGBImage(contentsOf: path)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual([image.width, image.height], [752, 600])
        let mean = Double(image.pixels.reduce(0) { $0 + Int($1) }) / Double(image.pixels.count)
        XCTAssertTrue(mean > 20 && mean < 235, "mean \(mean): decoded pixels look blank")
        XCTAssertLessThan(seconds, 0.5, "decoding took \(seconds) s")
        let info = try ImageInfo(contentsOf: path)
        XCTAssertEqual(info, ImageInfo(width: 752, height: 600, channels: 3, format: .jpeg, bitDepth: 8,
                                       colorModel: "YCbCr", isInterlaced: false, orientation: 1))
    }

    /// ImageInfo reads PNG headers: bit depth, colour model, interlacing, tRNS on a palette.
    func testPNGInfo() throws {
        let interlaced = try ImageInfo(contentsOf: fixturePath("png_gray2_adam7.png"))
        XCTAssertEqual(interlaced, ImageInfo(width: 10, height: 10, channels: 1, format: .png, bitDepth: 2,
                                             colorModel: "gray", isInterlaced: true, orientation: 1))
        let palette = try ImageInfo(contentsOf: fixturePath("png_palette8_trns.png"))
        XCTAssertEqual([palette.channels, palette.bitDepth], [4, 8])
        XCTAssertEqual(palette.colorModel, "palette")
        let deep = try ImageInfo(contentsOf: fixturePath("png_rgba16.png"))
        XCTAssertEqual([deep.width, deep.height, deep.channels, deep.bitDepth], [5, 3, 4, 16])
        let progressive = try ImageInfo(contentsOf: fixturePath("jpeg_progressive.jpg"))
        XCTAssertTrue(progressive.isInterlaced)
        let cmyk = try ImageInfo(contentsOf: fixturePath("jpeg_cmyk.jpg"))
        XCTAssertEqual([cmyk.channels], [4])
        XCTAssertEqual(cmyk.colorModel, "CMYK")
    }
}
