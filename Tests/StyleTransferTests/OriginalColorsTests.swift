import Imaging
@testable import StyleTransfer
import XCTest

/// Luminance-only transfer: the result keeps the stylized image's BT.601 luma and the content's chroma.
/// Reference: the BT.601 YCbCr formulas evaluated independently in this test.
final class OriginalColorsTests: XCTestCase {
    func ycbcr(_ r: Double, _ g: Double, _ b: Double) -> (Double, Double, Double) {
        (0.299 * r + 0.587 * g + 0.114 * b, 128 - 0.168736 * r - 0.331264 * g + 0.5 * b, 128 + 0.5 * r - 0.418688 * g - 0.081312 * b)
    }

    func testKeepsLumaOfResultAndChromaOfContent() {
        let stylized = RGBImage(width: 2, height: 1, pixels: [40, 90, 200, 120, 120, 120])
        let content = RGBImage(width: 2, height: 1, pixels: [200, 60, 50, 30, 160, 90])
        let out = OriginalColors.apply(stylized: stylized, content: content)
        var worst = 0.0
        for p in 0..<2 {
            let o = ycbcr(Double(out.pixels[3 * p]), Double(out.pixels[3 * p + 1]), Double(out.pixels[3 * p + 2]))
            let s = ycbcr(Double(stylized.pixels[3 * p]), Double(stylized.pixels[3 * p + 1]), Double(stylized.pixels[3 * p + 2]))
            let c = ycbcr(Double(content.pixels[3 * p]), Double(content.pixels[3 * p + 1]), Double(content.pixels[3 * p + 2]))
            worst = max(worst, abs(o.0 - s.0), abs(o.1 - c.1), abs(o.2 - c.2))
        }
        XCTAssertLessThan(worst, 1.5, "luma from the result, chroma from the content (8-bit rounding); worst \(worst)")
    }
}
