import Foundation
import XCTest
@testable import Imaging

/// Where the committed fixtures live (Tests/ImagingTests/Fixtures, made by make_fixtures.py).
func fixturePath(_ name: String) -> String {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name).path
}

/// A fresh empty folder under the system temporary folder; removed by the returned closure.
func makeTemporaryFolder(_ label: String) throws -> String {
    let path = NSTemporaryDirectory() + "imaging-tests-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The names in a folder, sorted.
func listing(_ folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
}

/// The largest absolute difference between two byte arrays of the same length, and where it is.
func worstDifference(_ a: [UInt8], _ b: [UInt8]) -> (value: Int, index: Int) {
    precondition(a.count == b.count)
    var worst = (value: 0, index: 0)
    for i in 0..<a.count {
        let d = abs(Int(a[i]) - Int(b[i]))
        if d > worst.value { worst = (d, i) }
    }
    return worst
}

/// A smooth deterministic test image: gradients plus a low-frequency wave.
func smoothImage(width: Int, height: Int) -> RGBImage {
    var image = RGBImage(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            let i = (y * width + x) * 3
            let wave = 30 * sin(Double(x) / 9) * cos(Double(y) / 7)
            image.pixels[i] = UInt8(clamping: Int((Double(x) * 200 / Double(width) + 20 + wave).rounded()))
            image.pixels[i + 1] = UInt8(clamping: Int((Double(y) * 200 / Double(height) + 30 - wave).rounded()))
            image.pixels[i + 2] = UInt8(clamping: Int((Double(x + y) * 100 / Double(width + height) + 80).rounded()))
        }
    }
    return image
}

/// A deterministic noisy image (every byte from SplitMix-like hashing), for lossless round trips.
func noiseImage(width: Int, height: Int) -> RGBImage {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for i in 0..<pixels.count {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        pixels[i] = UInt8(truncatingIfNeeded: z ^ (z >> 31))
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

/// Asserts that `body` throws an ImageError of `kind`, and returns it.
@discardableResult
func assertImageError(_ kind: ImageError.Kind, file: StaticString = #filePath, line: UInt = #line,
                      _ body: () throws -> Void) -> ImageError? {
    do {
        try body()
        XCTFail("expected \(kind), got no error", file: file, line: line)
    } catch let error as ImageError {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        XCTAssertFalse(error.description.contains("\n"), "error must be one line: \(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected ImageError, got \(error)", file: file, line: line)
    }
    return nil
}
