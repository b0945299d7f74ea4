import XCTest
import Imaging
@testable import Visualization

final class TextRendererTests: XCTestCase {
    func testDrawsInsideItsBox() throws {
        let font = try TextRenderer(pixelSize: 20)
        var image = RGBImage(width: 200, height: 60, pixels: [UInt8](repeating: 255, count: 200 * 60 * 3))
        let (w, h) = font.measure("Gram 64")
        font.draw("Gram 64", into: &image, x: 30, y: 10, color: .black)
        var inside = 0, outside = 0
        for y in 0..<image.height {
            for x in 0..<image.width where image.pixels[(y * image.width + x) * 3] < 255 {
                if x >= 30 && x < 30 + w && y >= 10 && y < 10 + h { inside += 1 } else { outside += 1 }
            }
        }
        XCTAssertGreaterThan(inside, 50, "expected ink inside the measured box")
        XCTAssertEqual(outside, 0, "ink outside the measured box \(w)x\(h) at (30, 10)")
        // Anti-aliased: some pixels are neither background nor full ink.
        XCTAssertTrue(image.pixels.contains { $0 > 0 && $0 < 255 }, "expected grey edge pixels")
    }

    func testWidthGrowsWithLength() throws {
        let font = try TextRenderer(pixelSize: 14)
        var previous = 0
        for n in 1...12 {
            let w = font.measure(String(repeating: "a", count: n)).width
            XCTAssertGreaterThan(w, previous, "width of \(n) characters")
            previous = w
        }
        XCTAssertGreaterThan(font.measure("W").width, font.measure("i").width)
        XCTAssertGreaterThan(font.lineHeight, 14)
    }

    func testMissingFontNamesThePackage() {
        XCTAssertThrowsError(try TextRenderer(pixelSize: 12, fontPath: "/nonexistent/font.ttf")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/font.ttf"), "\(error)")
        }
        let message = VisualizationError.fontNotFound(searched: ["/a.ttf"]).description
        XCTAssertTrue(message.contains("fonts-dejavu-core"), message)
        XCTAssertFalse(message.contains("\n"))
    }
}
