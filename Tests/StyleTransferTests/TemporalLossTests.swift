import NeuralCore
@testable import StyleTransfer
import XCTest

/// The temporal loss of a video frame: its hand-written gradient against central finite differences (the reference),
/// its value against the formula, and its place in the objective (an additive term, after the others).
final class TemporalLossTests: XCTestCase {
    /// A seeded target: a warped previous result in 0...255 and weights in 0...1, with some exact 0s and 1s.
    static func target(height: Int, width: Int, seed: UInt64) -> TemporalTarget {
        var rng = SplitMix64(seed: seed)
        let warped = (0 ..< height * width * 3).map { _ in Float(rng.nextUniform() * 255) }
        let weights: [Float] = (0 ..< height * width).map { i in i % 7 == 0 ? 0 : i % 5 == 0 ? 1 : Float(rng.nextUniform()) }
        return TemporalTarget(width: width, height: height, warped: warped, weights: weights)
    }

    func testGradientMatchesFiniteDifferences() {
        let (h, w) = (5, 6)
        let target = Self.target(height: h, width: w, seed: 3)
        var rng = SplitMix64(seed: 4)
        let x = (0 ..< h * w * 3).map { _ in Float(rng.nextUniform() * 255) }
        let lambda = 1000.0
        var gradient = [Float](repeating: 0, count: x.count)
        let value = gradient.withUnsafeMutableBufferPointer { g in
            x.withUnsafeBufferPointer { TemporalLoss.accumulate($0.baseAddress!, target: target, weight: lambda, into: g.baseAddress!) }
        }
        // The formula in double, written out here: (λ / N) Σ c (x − w)² with x, w / 255.
        func formula(_ v: [Float]) -> Double {
            var sum = 0.0
            for p in 0 ..< h * w { for k in 0 ..< 3 {
                let d = (Double(v[3 * p + k]) - Double(target.warped[3 * p + k])) / 255
                sum += Double(target.weights[p]) * d * d
            } }
            return lambda * sum / Double(h * w * 3)
        }
        XCTAssertEqual(value, formula(x), accuracy: 1e-6 * formula(x), "float32 differences")
        XCTAssertEqual(x.withUnsafeBufferPointer { TemporalLoss.value($0.baseAddress!, target: target, weight: lambda) },
                       formula(x), accuracy: 1e-6 * formula(x), "float32 differences")
        // Finite differences are the reference for the gradient. L_t is quadratic, so central differences are exact up
        // to rounding: every coordinate is checked, with a step of 0.5 (of 255).
        let worst = GradientCheck.worstRelativeError(x: x, analytic: gradient, samples: x.count, h: 0.5, floor: 1e-6, f: formula)
        XCTAssertLessThan(worst.error, 1e-4, "worst relative error \(worst.error) at \(worst.index)")
        // A pixel of weight 0 has no gradient; the gradient accumulates into what is there.
        XCTAssertEqual(gradient[0], 0)
        var offset = [Float](repeating: 1, count: x.count)
        _ = offset.withUnsafeMutableBufferPointer { g in
            x.withUnsafeBufferPointer { TemporalLoss.accumulate($0.baseAddress!, target: target, weight: lambda, into: g.baseAddress!) }
        }
        for i in x.indices { XCTAssertEqual(offset[i], gradient[i] + 1, accuracy: 1e-5 * max(1, abs(gradient[i]))) }
    }

    func testObjectiveAddsTheTermAfterTheOthers() {
        let fixture = PixelTermFixture { $0.temporalWeight = 500 }
        let target = Self.target(height: PixelTermFixture.size, width: PixelTermFixture.size, seed: 9)
        fixture.checkAddsTerm("temporal", attach: { $0.temporal = target }, term: \.temporal,
                              expected: { x in x.data.withUnsafeBufferPointer { TemporalLoss.value($0.baseAddress!, target: target, weight: 500) } },
                              alone: { x, g in _ = TemporalLoss.accumulate(x, target: target, weight: 500, into: g) }, bound: 1e-4)
    }
}
