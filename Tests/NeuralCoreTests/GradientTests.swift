import XCTest
@testable import NeuralCore

/// Backward passes checked by central finite differences, `(L(x + eps) - L(x - eps)) / (2 eps)`,
/// of a linear probe loss `L = <r, f(x)>` with a random `r` (sums in Double, layers in Float).
///
/// Kinks are handled on purpose (as Caffe's `GradientChecker` does): ReLU inputs are kept out of
/// a window around 0, max-pool inputs are distinct with gaps wider than `2 eps`, and in the whole
/// network (piecewise linear, reference in float64) a coordinate whose one-sided slopes differ has
/// crossed a kink and is skipped (at most 10% may be skipped).
final class GradientTests: XCTestCase {
    /// Compares analytic and numeric gradients: `|a - n| <= tolerance * (|n| + rms(n))`.
    func check(_ analytic: [Float], _ numeric: [Double], tolerance: Double, _ what: String,
               file: StaticString = #filePath, line: UInt = #line) {
        let rms = (numeric.reduce(0) { $0 + $1 * $1 } / Double(max(1, numeric.count))).squareRoot()
        var worst = 0.0, at = 0
        for i in numeric.indices {
            let d = abs(Double(analytic[i]) - numeric[i]) / (abs(numeric[i]) + rms)
            if d > worst { (worst, at) = (d, i) }
        }
        print("\(what): \(numeric.count) coordinates, worst relative difference \(worst) (tolerance \(tolerance))")
        XCTAssertLessThanOrEqual(worst, tolerance,
                                 "\(what): worst \(worst) at \(at): analytic \(analytic[at]) vs numeric \(numeric[at])",
                                 file: file, line: line)
    }

    /// Conv input gradient (pre-ReLU, linear in x): eps 1e-2, relative tolerance 1e-3.
    func testConvBackwardFiniteDifferences() {
        let x = TestData.tensor(5, 6, 4, seed: 50)
        let weights = TestData.conv(4, 3, seed: 51)
        let r = TestData.tensor(5, 6, 3, seed: 52)
        let workspace = ConvWorkspace(scratchLimitBytes: 4 * 6 * 36 * 2)  // 2-row bands
        let loss = { (x: Tensor) in TestData.dot(r, Conv3x3.forward(x, weights: weights, relu: false, workspace: workspace)) }
        var dx = Tensor(height: 0, width: 0, channels: 0)
        Conv3x3.backward(r, weights: weights, into: &dx, workspace: workspace)
        let eps: Float = 1e-2
        let numeric = (0 ..< x.count).map { i -> Double in
            var plus = x, minus = x
            plus.data[i] += eps
            minus.data[i] -= eps
            return (loss(plus) - loss(minus)) / Double(2 * eps)
        }
        check(dx.data, numeric, tolerance: 1e-3, "conv backward")
    }

    /// ReLU backward through the stored output; inputs kept at |x| >= 0.05 (kink window 5 eps).
    func testReLUBackwardFiniteDifferences() {
        var x = TestData.tensor(4, 4, 5, seed: 53)
        for i in 0 ..< x.count where abs(x.data[i]) < 0.05 { x.data[i] += x.data[i] < 0 ? -0.05 : 0.05 }
        let r = TestData.tensor(4, 4, 5, seed: 54)
        var y = x
        ReLU.forward(&y)
        var dx = r
        ReLU.backward(output: y, gradient: &dx)
        let eps: Float = 1e-2
        let numeric = (0 ..< x.count).map { i -> Double in
            var plus = x, minus = x
            plus.data[i] += eps
            minus.data[i] -= eps
            ReLU.forward(&plus)
            ReLU.forward(&minus)
            return (TestData.dot(r, plus) - TestData.dot(r, minus)) / Double(2 * eps)
        }
        XCTAssertTrue(dx.data.contains(0) && dx.data.contains { $0 != 0 }, "both sides of the kink are exercised")
        check(dx.data, numeric, tolerance: 1e-3, "relu backward")
    }

    /// Max-pool backward on an odd-sized input of distinct values 0.1 apart (a shuffled ramp),
    /// so an eps of 1e-2 never changes a window's winner.
    func testPoolBackwardFiniteDifferences() {
        let (h, w, c) = (7, 5, 3)
        var rng = SplitMix64(seed: 55)
        let values = (0 ..< h * w * c).map { Float($0) * 0.1 }.shuffled(using: &rng)
        let x = Tensor(height: h, width: w, channels: c, data: values)
        let r = TestData.tensor(h / 2, w / 2, c, seed: 56)
        var y = Tensor(height: 0, width: 0, channels: 0), argmax: [UInt8] = []
        MaxPool2x2.forward(x, into: &y, argmax: &argmax)
        var dx = Tensor(height: 0, width: 0, channels: 0)
        MaxPool2x2.backward(r, argmax: argmax, height: h, width: w, into: &dx)
        let eps: Float = 1e-2
        let numeric = (0 ..< x.count).map { i -> Double in
            var plus = x, minus = x
            plus.data[i] += eps
            minus.data[i] -= eps
            return (TestData.dot(r, MaxPool2x2.naive(plus)) - TestData.dot(r, MaxPool2x2.naive(minus))) / Double(2 * eps)
        }
        check(dx.data, numeric, tolerance: 1e-3, "pool backward")
    }

    /// The whole `VGGNetwork.backward` on a random VGG19 at 16x16 (block3 is 4x4), with the loss
    /// injected at two layers at once: `L = <r1, block2_conv1> + <r2, block3_conv1>`, plus a
    /// check that the two injected gradients add up. The numeric side is the independent float64
    /// forward `DoubleVGG`; 150 random input coordinates, eps 1e-3 on inputs of scale 50, relative
    /// tolerance 1e-4 (the analytic side is float32).
    func testNetworkBackwardFiniteDifferences() {
        let weights = VGGWeights.random(architecture: .vgg19, seed: 57)
        let network = VGGNetwork(weights: weights)
        network.convolution = .winograd   // at 16x16, auto would run every layer on im2col
        let reference = DoubleVGG(weights)
        let x = TestData.tensor(16, 16, 3, seed: 58, scale: 50)
        let r1 = TestData.tensor(8, 8, 128, seed: 59)
        let r2 = TestData.tensor(4, 4, 256, seed: 60)
        let names = ["block2_conv1", "block3_conv1"]
        let loss = { (x: [Double]) -> Double in
            let out = reference.forward(x, height: 16, width: 16, outputs: Set(names))
            var sum = 0.0
            for (r, name) in [(r1, "block2_conv1"), (r2, "block3_conv1")] {
                for (a, b) in zip(r.data, out[name]!) { sum += Double(a) * b }
            }
            return sum
        }
        // The float64 reference agrees with the network's forward.
        let fast = network.forwardForBackward(x, outputs: names)
        let slow = reference.forward(x.data.map(Double.init), height: 16, width: 16, outputs: Set(names))
        assertClose(fast["block3_conv1"]!, Tensor(height: 4, width: 4, channels: 256, data: slow["block3_conv1"]!.map { Float($0) }),
                    tolerance: 1e-5, relativeToMax: true, "float64 reference forward vs network")

        let gradient = network.backward(["block2_conv1": r1, "block3_conv1": r2])
        let g1 = network.backward(["block2_conv1": r1])
        let g2 = network.backward(["block3_conv1": r2])
        let sum = Tensor(height: 16, width: 16, channels: 3, data: zip(g1.data, g2.data).map(+))
        assertClose(gradient, sum, tolerance: 1e-5, relativeToMax: true, "two injected gradients add up")

        var rng = SplitMix64(seed: 61)
        let x0 = x.data.map(Double.init)
        let f0 = loss(x0)
        let eps = 1e-3
        var analytic: [Float] = [], numeric: [Double] = []
        var skipped = 0
        for _ in 0 ..< 150 {
            let i = Int(rng.next() % UInt64(x.count))
            var plus = x0, minus = x0
            plus[i] += eps
            minus[i] -= eps
            let (fp, fm) = (loss(plus), loss(minus))
            let right = (fp - f0) / eps, left = (f0 - fm) / eps
            if abs(right - left) > 1e-6 * max(abs(right), abs(left), 1) {
                skipped += 1  // crossed a ReLU or max-pool kink: the one-sided slopes differ
                continue
            }
            analytic.append(gradient.data[i])
            numeric.append((fp - fm) / (2 * eps))
        }
        print("network backward: skipped \(skipped) of 150 coordinates at kinks")
        XCTAssertLessThanOrEqual(skipped, 15, "too many kinks to check the gradient")
        check(analytic, numeric, tolerance: 1e-4, "network backward (block2_conv1 + block3_conv1)")
    }

    /// Gradient injected at input_1 passes straight through; at block1_pool it reaches the image.
    func testNetworkBackwardInputAndShallowLayers() {
        let network = VGGNetwork(weights: .random(architecture: .vgg16, seed: 62))
        let x = TestData.tensor(9, 7, 3, seed: 63, scale: 50)
        let r = TestData.tensor(9, 7, 3, seed: 64)
        _ = network.forwardForBackward(x, outputs: ["block1_pool"])
        XCTAssertEqual(network.backward(["input_1": r]), r)
        XCTAssertEqual(network.backward([:]), Tensor(height: 9, width: 7, channels: 3), "no gradient given: zero")
        let pooled = network.backward(["block1_pool": TestData.tensor(4, 3, 64, seed: 65)])
        XCTAssertEqual(pooled.height, 9)
        XCTAssertEqual(pooled.width, 7)
        XCTAssertTrue(pooled.data.contains { $0 != 0 })
    }
}
