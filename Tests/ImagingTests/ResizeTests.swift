import XCTest
@testable import Imaging

/// Resizing against OpenCV 5.0 (opencv-python-headless) numbers, tolerance 1 level (OpenCV rounds half to even
/// and INTER_LINEAR on 8-bit uses 11-bit fixed-point weights). Reference produced by:
///
///     def src(w, h):
///         a = np.zeros((h, w, 3), np.uint8)
///         for y in range(h):
///             for x in range(w):
///                 for c in range(3):
///                     a[y, x, c] = (x * 37 + y * 59 + c * 83 + x * y * 11) % 256
///         return a
///     cv2.resize(src(w, h), (nw, nh), interpolation=interp).flatten().tolist()
final class ResizeTests: XCTestCase {
    func source(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    image.pixels[(y * width + x) * 3 + c] = UInt8((x * 37 + y * 59 + c * 83 + x * y * 11) % 256)
                }
            }
        }
        return image
    }

    func check(_ w: Int, _ h: Int, _ nw: Int, _ nh: Int, _ reference: [UInt8], _ label: String) {
        let out = source(width: w, height: h).resized(width: nw, height: nh)
        XCTAssertEqual([out.width, out.height], [nw, nh])
        let worst = worstDifference(out.pixels, reference)
        XCTAssertLessThanOrEqual(worst.value, 1, "\(label) \(w)x\(h) -> \(nw)x\(nh): worst difference \(worst.value) "
                                 + "at byte \(worst.index) (got \(out.pixels[worst.index]), OpenCV \(reference[worst.index]))")
    }

    /// Shrinking by non-integer factors (7x5 -> 3x2), integer factors (8x6 -> 4x3) and along one axis only
    /// (9x7 -> 4x7) matches cv2.INTER_AREA.
    func testShrinkMatchesOpenCVArea() {
        check(7, 5, 3, 2, [80, 134, 136, 148, 143, 109, 150, 109, 104, 167, 89, 136, 135, 130, 125, 124, 127, 137],
              "INTER_AREA")
        check(8, 6, 4, 3, [51, 134, 153, 136, 155, 110, 157, 112, 131, 114, 133, 88, 180, 71, 90, 117, 136, 155, 118,
                           137, 92, 119, 138, 157, 117, 136, 155, 162, 117, 136, 143, 162, 117, 124, 143, 162],
              "INTER_AREA")
        check(9, 7, 4, 7, [25, 108, 191, 107, 190, 102, 189, 73, 99, 44, 98, 181, 91, 174, 115, 198, 110, 108, 105,
                           131, 129, 155, 124, 65, 157, 98, 67, 118, 115, 142, 164, 161, 74, 67, 122, 205, 195, 51,
                           134, 123, 149, 119, 80, 106, 189, 178, 148, 117, 148, 117, 172, 157, 126, 124, 138, 136,
                           105, 90, 145, 114, 100, 155, 124, 134, 132, 158, 168, 137, 163, 88, 171, 140, 138, 107, 77,
                           140, 166, 135, 169, 110, 79, 114, 168, 138],
              "INTER_AREA")
    }

    /// Enlarging (4x3 -> 7x5, 5x4 -> 10x8) matches cv2.INTER_LINEAR (half-pixel centres, clamped edges).
    func testEnlargeMatchesOpenCVLinear() {
        check(4, 3, 7, 5, [0, 83, 166, 13, 96, 179, 34, 117, 200, 55, 138, 221, 77, 159, 224, 98, 181, 99, 111, 194,
                           21, 24, 107, 189, 38, 121, 168, 62, 145, 133, 86, 169, 149, 109, 185, 162, 133, 150, 98,
                           148, 128, 58, 59, 142, 225, 76, 159, 151, 104, 187, 32, 131, 214, 41, 158, 223, 68, 186, 104,
                           96, 203, 30, 113, 94, 177, 107, 114, 142, 90, 145, 85, 62, 176, 106, 86, 196, 129, 117, 140,
                           102, 149, 104, 85, 168, 118, 201, 28, 139, 131, 49, 173, 18, 83, 206, 33, 116, 222, 67, 150,
                           109, 101, 184, 39, 122, 205],
              "INTER_LINEAR")
        check(5, 4, 10, 8, [0, 83, 166, 9, 92, 175, 28, 111, 194, 46, 129, 212, 65, 148, 231, 83, 166, 185, 102, 185,
                            76, 120, 203, 30, 139, 222, 49, 148, 231, 58, 15, 98, 181, 25, 108, 175, 45, 128, 163, 64,
                            147, 166, 84, 167, 186, 104, 171, 158, 124, 159, 82, 144, 163, 54, 164, 183, 74, 174, 193,
                            84, 44, 127, 210, 56, 139, 174, 78, 161, 100, 101, 184, 75, 123, 206, 97, 146, 181, 104,
                            169, 108, 95, 191, 82, 101, 214, 105, 124, 225, 116, 135, 74, 157, 176, 86, 153, 140, 112,
                            147, 70, 137, 156, 47, 163, 182, 73, 172, 159, 98, 165, 88, 123, 175, 66, 133, 200, 91, 126,
                            213, 104, 123, 103, 186, 77, 117, 152, 75, 145, 84, 71, 174, 65, 84, 202, 93, 112, 182, 105,
                            140, 114, 101, 168, 94, 113, 148, 122, 141, 80, 136, 155, 46, 133, 152, 43, 148, 119, 58,
                            179, 54, 89, 194, 37, 120, 193, 68, 151, 160, 99, 166, 94, 129, 164, 77, 144, 131, 108, 143,
                            66, 124, 143, 34, 162, 53, 72, 179, 54, 89, 213, 56, 123, 198, 73, 156, 136, 107, 190, 105,
                            140, 175, 107, 174, 113, 125, 160, 83, 158, 97, 84, 175, 66, 85, 177, 4, 87, 194, 21, 104,
                            229, 56, 139, 200, 91, 174, 107, 126, 209, 78, 161, 180, 113, 196, 87, 148, 167, 58, 183, 74,
                            93, 201, 28, 111],
              "INTER_LINEAR")
    }

    /// Longest-edge fitting keeps the aspect ratio and rounds the short side to nearest (>= 1).
    func testLongestEdge() {
        XCTAssertTrue(RGBImage.fittedSize(width: 752, height: 600, longestEdge: 512) == (512, 409))   // 408.5 -> 409
        XCTAssertTrue(RGBImage.fittedSize(width: 600, height: 752, longestEdge: 512) == (409, 512))
        XCTAssertTrue(RGBImage.fittedSize(width: 1000, height: 3, longestEdge: 100) == (100, 1))     // 0.3 -> 1
        XCTAssertTrue(RGBImage.fittedSize(width: 10, height: 10, longestEdge: 25) == (25, 25))
        let image = source(width: 30, height: 20).resized(longestEdge: 12)
        XCTAssertEqual([image.width, image.height], [12, 8])
        let same = source(width: 6, height: 4)
        XCTAssertEqual(same.resized(width: 6, height: 4), same)
    }

    /// A flat colour stays exactly that colour under both filters (weights sum to 1).
    func testFlatImageStaysFlat() {
        let flat = RGBImage(width: 13, height: 9, pixels: [UInt8]((0..<(13 * 9)).flatMap { _ in [200, 17, 255] }))
        for (w, h) in [(5, 4), (29, 17), (13, 2), (1, 1)] {
            let out = flat.resized(width: w, height: h)
            XCTAssertEqual(out.pixels, [UInt8]((0..<(w * h)).flatMap { _ in [200, 17, 255] }), "\(w)x\(h)")
        }
    }
}

/// `resampled` on float pixels against `RGBImage.resized` (itself held to OpenCV in ResizeTests): the same rules,
/// so the float result rounds to the 8-bit one, shrinking and enlarging, with no clamping of values outside 0...255.
final class FloatResampleTests: XCTestCase {
    func testFloatResampleRoundsToTheEightBitResize() {
        var image = RGBImage(width: 37, height: 23)
        for i in 0..<image.pixels.count { image.pixels[i] = UInt8((i * 7919) % 256) }
        let floats = image.pixels.map(Float.init)
        for (w, h) in [(74, 46), (19, 11), (50, 9), (37, 23)] {
            let eight = image.resized(width: w, height: h)
            let f = resampled(floats, width: 37, height: 23, channels: 3, toWidth: w, height: h)
            XCTAssertEqual(f.count, eight.pixels.count)
            let worst = zip(f, eight.pixels).map { abs($0 - Float($1)) }.max()!
            XCTAssertLessThanOrEqual(worst, 0.5 + 1e-3, "\(w)x\(h)")
        }
        let outside = resampled([-100, 400, 0], width: 1, height: 1, channels: 3, toWidth: 2, height: 2)
        XCTAssertEqual(outside, [-100, 400, 0, -100, 400, 0, -100, 400, 0, -100, 400, 0])
    }
}
