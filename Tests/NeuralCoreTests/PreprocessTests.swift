import XCTest
@testable import NeuralCore

/// Preprocessing against the formulas of Keras' `preprocess_input(mode='caffe')` and
/// torchvision's `Normalize(mean, std)` written out by hand, its inverse, and its chain rule
/// checked by central differences (the maps are affine, so differences are exact up to rounding).
final class PreprocessTests: XCTestCase {
    let pixel = Tensor(height: 1, width: 2, channels: 3, data: [10, 20, 30, 255, 0, 128])

    func testCaffeKnownValues() {
        let x = Preprocessing.caffe.apply(pixel)
        // BGR minus [103.939, 116.779, 123.68]
        let expected: [Float] = [30 - 103.939, 20 - 116.779, 10 - 123.68, 128 - 103.939, 0 - 116.779, 255 - 123.68]
        assertClose(x, Tensor(height: 1, width: 2, channels: 3, data: expected), tolerance: 1e-6, "caffe apply")
    }

    func testTorchKnownValues() {
        let x = Preprocessing.torch.apply(pixel)
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        let expected = (0 ..< 6).map { (pixel.data[$0] / 255 - mean[$0 % 3]) / std[$0 % 3] }
        assertClose(x, Tensor(height: 1, width: 2, channels: 3, data: expected), tolerance: 1e-5, "torch apply")
    }

    func testInvertIsInverse() {
        let rgb = TestData.tensor(4, 5, 3, seed: 9, scale: 300)  // also outside 0...255: no clamping
        for mode in Preprocessing.allCases {
            assertClose(mode.invert(mode.apply(rgb)), rgb, tolerance: 1e-5, "\(mode) invert(apply)")
        }
    }

    /// d<r, apply(rgb)>/d(rgb) by central differences (eps 1) against `backward(r)`.
    func testBackwardMatchesFiniteDifferences() {
        let rgb = TestData.tensor(3, 2, 3, seed: 10, scale: 255)
        let r = TestData.tensor(3, 2, 3, seed: 11)
        for mode in Preprocessing.allCases {
            let analytic = mode.backward(r)
            var numeric = Tensor(height: 3, width: 2, channels: 3)
            for i in 0 ..< rgb.count {
                var plus = rgb, minus = rgb
                plus.data[i] += 1
                minus.data[i] -= 1
                numeric.data[i] = Float((TestData.dot(r, mode.apply(plus)) - TestData.dot(r, mode.apply(minus))) / 2)
            }
            assertClose(analytic, numeric, tolerance: 1e-4, "\(mode) backward vs finite differences")
            XCTAssertEqual(mode.inputScale.count, 3)
        }
    }
}
