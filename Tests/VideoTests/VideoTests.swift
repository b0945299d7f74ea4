import Imaging
import XCTest
@testable import Video

/// Warping, the consistency check, the warping error and OpenCV's flow on synthetic frames whose true motion is known.
final class VideoTests: XCTestCase {
    /// A smooth texture in 0...255: a sum of sinusoids (no period divides the test sizes), so DIS has structure
    /// everywhere and bilinear sampling of it is accurate.
    static func texture(width: Int, height: Int, dx: Int = 0, dy: Int = 0) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0 ..< height {
            for x in 0 ..< width {
                let (fx, fy) = (Double(x - dx), Double(y - dy))
                let v = 0.5 + 0.2 * sin(fx * 0.37 + fy * 0.11) + 0.15 * sin(fy * 0.29 - fx * 0.07) + 0.1 * cos((fx + fy) * 0.53)
                for c in 0 ..< 3 { image.pixels[3 * (y * width + x) + c] = UInt8(max(0, min(255, (v * 255 + Double(20 * c)).rounded()))) }
            }
        }
        return image
    }

    func testWarpOfAKnownTranslationSamplesWhereTheFlowPoints() {
        // A linear ramp is reproduced exactly by bilinear sampling, so a fractional shift has a closed form.
        let (w, h) = (20, 14)
        let ramp = (0 ..< h).flatMap { y in (0 ..< w).map { x in Float(3 * x + 7 * y) } }
        let (u, v): (Float, Float) = (2.5, -1.25)
        let warped = FlowWarp.backward(ramp, width: w, height: h, channels: 1, flow: .uniform(width: w, height: h, u: u, v: v))
        var worst: Float = 0
        for y in 2 ..< h {
            for x in 0 ..< w - 3 {
                worst = max(worst, abs(warped[y * w + x] - (3 * (Float(x) + u) + 7 * (Float(y) + v))))
            }
        }
        XCTAssertLessThan(worst, 1e-4, "worst difference \(worst)")
        // An integer shift of a texture moves every pixel exactly; outside, the border sample is taken.
        let image = Self.texture(width: w, height: h).pixels.map(Float.init)
        let shifted = FlowWarp.backward(image, width: w, height: h, channels: 3, flow: .uniform(width: w, height: h, u: -3, v: 2))
        for y in 0 ..< h {
            for x in 0 ..< w {
                let (sx, sy) = (max(0, x - 3), min(h - 1, y + 2))
                for c in 0 ..< 3 { XCTAssertEqual(shifted[3 * (y * w + x) + c], image[3 * (sy * w + sx) + c], "at (\(x), \(y), \(c))") }
            }
        }
    }

    func testConsistencyMarksTheOccludedStripTheBorderAndMotionBoundaries() {
        // Frame t is frame t−1 moved 3 px right: the flow from t to t−1 is (−3, 0) everywhere. In frame t−1 a strip
        // of columns 10..<15 is covered in frame t, so its forward flow is 0 there instead of (+3, 0).
        let (w, h) = (32, 8)
        let backward = FlowField.uniform(width: w, height: h, u: -3, v: 0)
        var forward = FlowField.uniform(width: w, height: h, u: 3, v: 0)
        for y in 0 ..< h { for x in 10 ..< 15 { forward.data[2 * (y * w + x)] = 0 } }
        let raw = FlowConsistency.unsmoothed(flow: backward, reverse: forward)
        for y in 0 ..< h {
            for x in 0 ..< w {
                // x − 3 < 0 leaves the image, and so does the last row: the checker wants the 2x2 neighbourhood of
                // p + w inside, and y + 1 = h is not; x − 3 in 10..<15 lands on the strip: |w + ŵ|² = 9 ≥ 0.01 · 9 + 0.5.
                let expected: Float = x < 3 || y == h - 1 ? 0 : (13 ..< 18).contains(x) ? -1 : 1
                XCTAssertEqual(raw[y * w + x], expected, "at (\(x), \(y))")
            }
        }
        let weights = FlowConsistency.weights(flow: backward, reverse: forward)
        XCTAssertTrue(weights.allSatisfy { (0 ... 1).contains($0) })
        for y in 0 ..< h {
            for x in 13 ..< 18 { XCTAssertEqual(weights[y * w + x], 0, "in the strip at (\(x), \(y))") }
        }
        // The smoothing's 5 taps reach 2 px: 3 px from the strip and the last row the weight is 1 again.
        for y in 0 ..< h - 3 {
            for x in 21 ..< w { XCTAssertEqual(weights[y * w + x], 1, accuracy: 1e-6, "far from the strip at (\(x), \(y))") }
        }
        // A consistent flow with a vertical step of 3 px between columns 15 and 16 (the right part moves up):
        // |∇w|² = (3/2)² = 2.25 > 0.01 |w|² + 0.002 on both sides of the step.
        let (sw, sh) = (32, 12)
        var step = FlowField(width: sw, height: sh), stepBack = FlowField(width: sw, height: sh)
        for y in 0 ..< sh {
            for x in 16 ..< sw {
                step.data[2 * (y * sw + x) + 1] = -3
                stepBack.data[2 * (y * sw + x) + 1] = 3
            }
        }
        let edges = FlowConsistency.unsmoothed(flow: step, reverse: stepBack)
        XCTAssertEqual(edges[6 * sw + 15], 0, "the left side of the step is a motion boundary")
        XCTAssertEqual(edges[6 * sw + 16], 0, "the right side of the step is a motion boundary")
        XCTAssertEqual(edges[6 * sw + 8], 1, "away from the step the zero flow is consistent")
        XCTAssertEqual(edges[6 * sw + 24], 1, "away from the step the moving part is consistent")
    }

    func testWarpingErrorIsTheMeanSquaredDifferenceOverConsistentPixels() throws {
        // Two flat outputs 51 apart (0.2 in 0...1) under a zero flow: every pixel counts, 3 channels of 0.2² each.
        let (w, h) = (12, 9)
        let a = RGBImage(width: w, height: h, pixels: [UInt8](repeating: 100, count: w * h * 3))
        let b = RGBImage(width: w, height: h, pixels: [UInt8](repeating: 151, count: w * h * 3))
        let zero = FlowField(width: w, height: h)
        let flat = try XCTUnwrap(WarpingError.pair(outputs: (a, b), toNext: zero, fromNext: zero))
        XCTAssertEqual(flat.pixels, (w - 1) * (h - 1), "the last row and column leave the image (the checker's 2x2 test)")
        XCTAssertEqual(flat.error, 3 * 0.2 * 0.2, accuracy: 1e-6)
        // Output t+1 is output t moved 2 px right and the flow says so: no error over the pixels that stay inside.
        let t0 = Self.texture(width: w, height: h), t1 = Self.texture(width: w, height: h, dx: 2)
        let moved = try XCTUnwrap(WarpingError.pair(outputs: (t0, t1), toNext: .uniform(width: w, height: h, u: 2, v: 0),
                                                    fromNext: .uniform(width: w, height: h, u: -2, v: 0)))
        XCTAssertEqual(moved.error, 0, accuracy: 1e-9)
        XCTAssertEqual(moved.pixels, (w - 3) * (h - 1), "the last 3 columns and the last row leave the image")
    }

    func testDISRecoversTheShiftOfATexturedImage() throws {
        // Frame 2 is frame 1 moved by (3, 2) px; the flow from frame 2 to frame 1 is (−3, −2). DIS works on a pyramid
        // of patches, so it is held to a quarter pixel on average inside a 12 px margin (patches overlap the border);
        // Farneback to half a pixel.
        let (w, h) = (96, 80)
        let first = Self.texture(width: w, height: h), second = Self.texture(width: w, height: h, dx: 3, dy: 2)
        for (method, tolerance) in [(FlowMethod.disMedium, 0.25), (.disFast, 0.25), (.disUltrafast, 0.35), (.farneback, 0.5)] {
            let flow = try FlowField.compute(from: second, to: first, method: method)
            var error = 0.0, count = 0
            for y in 12 ..< h - 12 {
                for x in 12 ..< w - 12 {
                    let p = y * w + x
                    error += hypot(Double(flow.data[2 * p]) + 3, Double(flow.data[2 * p + 1]) + 2)
                    count += 1
                }
            }
            let mean = error / Double(count)
            XCTAssertLessThan(mean, tolerance, "\(method.rawValue): mean end-point error \(mean) px")
        }
    }

    func testFlowStartIsTheWarpedResultWhereTrustedAndThePhotoElsewhere() throws {
        // The scene moves 3 px right between the frames; the previous result is a texture of its own. Inside, the
        // start is that result moved 3 px right; in the 3 columns that entered from the left (their flow leaves the
        // picture) it is the new photo.
        let (w, h) = (96, 72)
        let before = Self.texture(width: w, height: h), now = Self.texture(width: w, height: h, dx: 3)
        var previousOutput = RGBImage(width: w, height: h)
        for i in previousOutput.pixels.indices { previousOutput.pixels[i] = UInt8((i * 37) % 251) }
        let made = try FlowStart.make(previousOutput: previousOutput, previousFrame: before, frame: now, method: .disMedium)
        XCTAssertEqual(made.start.width, w)
        XCTAssertEqual(made.weights.count, w * h)
        var inside = 0, matched = 0
        for y in 12 ..< h - 12 {
            for x in 12 ..< w - 12 where made.weights[y * w + x] == 1 {
                inside += 1
                let expected = (0 ..< 3).map { Int(previousOutput.pixels[3 * (y * w + x - 3) + $0]) }
                let got = (0 ..< 3).map { Int(made.start.pixels[3 * (y * w + x) + $0]) }
                if zip(expected, got).allSatisfy({ abs($0 - $1) <= 40 }) { matched += 1 }
            }
        }
        XCTAssertGreaterThan(inside, (w - 24) * (h - 24) * 9 / 10, "the flow is trusted inside")
        XCTAssertGreaterThan(matched, inside * 9 / 10, "the start is the previous result moved with the scene: \(matched) of \(inside)")
        for y in 0 ..< h {
            for x in 0 ..< 2 where made.weights[y * w + x] == 0 {
                for k in 0 ..< 3 { XCTAssertEqual(made.start.pixels[3 * (y * w + x) + k], now.pixels[3 * (y * w + x) + k]) }
            }
        }
        XCTAssertEqual(made.weights[h / 2 * w], 0, "the column that entered from the left is not trusted")
    }

    func testFlowRefusesFramesOfTwoSizes() {
        XCTAssertThrowsError(try FlowField.compute(from: RGBImage(width: 8, height: 8), to: RGBImage(width: 9, height: 8))) {
            XCTAssertTrue(String(describing: $0).contains("8x8 and 9x8"), "\($0)")
        }
    }
}
