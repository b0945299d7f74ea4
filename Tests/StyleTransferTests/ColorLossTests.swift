import NeuralCore
@testable import StyleTransfer
import XCTest

/// The colour term of `--color match` (ColorLoss.swift): its value against the formula written out here in Double,
/// its hand-written gradient against central finite differences of that formula (the reference), and its place in
/// the objective (an additive term, present only with a colour target).
final class ColorLossTests: XCTestCase {
    /// λ (Σ_k (μ_k − μ̂_k)² / v + Σ_ab (S_ab − Ŝ_ab)² / v²) in Double, from the pixels' definition of μ and S.
    static func formula(_ x: [Float], target: ColorStatistics, weight: Double) -> Double {
        let n = x.count / 3
        var mean = [Double](repeating: 0, count: 3)
        for p in 0 ..< n { for k in 0 ..< 3 { mean[k] += Double(x[3 * p + k]) / Double(n) } }
        var covariance = [Double](repeating: 0, count: 9)
        for p in 0 ..< n { for a in 0 ..< 3 { for b in 0 ..< 3 {
            covariance[3 * a + b] += (Double(x[3 * p + a]) - mean[a]) * (Double(x[3 * p + b]) - mean[b]) / Double(n)
        } } }
        let v = max(target.covariance[0], target.covariance[4], target.covariance[8])
        let meanPart = (0 ..< 3).reduce(0.0) { $0 + pow(mean[$1] - target.mean[$1], 2) } / v
        let covariancePart = (0 ..< 9).reduce(0.0) { $0 + pow(covariance[$1] - target.covariance[$1], 2) } / (v * v)
        return weight * (meanPart + covariancePart)
    }

    /// Seeded RGB values in 0...255 with a colour cast (so that the channels are correlated), `pixels` of them.
    static func picture(pixels: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0 ..< pixels).flatMap { _ -> [Float] in
            let grey = rng.nextUniform() * 200
            return (0 ..< 3).map { k in Float(grey * [1, 0.8, 0.5][k] + rng.nextUniform() * 55) }
        }
    }

    func testGradientMatchesFiniteDifferences() {
        let pixels = 5 * 6
        let x = Self.picture(pixels: pixels, seed: 3)
        let photo = Self.picture(pixels: 40, seed: 4)
        let target = photo.withUnsafeBufferPointer { ColorStatistics($0.baseAddress!, pixels: 40) }
        let lambda = 10.0
        var gradient = [Float](repeating: 0, count: x.count)
        let value = gradient.withUnsafeMutableBufferPointer { g in
            x.withUnsafeBufferPointer { ColorLoss.accumulate($0.baseAddress!, pixels: pixels, target: target, weight: lambda, into: g.baseAddress!) }
        }
        let expected = Self.formula(x, target: target, weight: lambda)
        XCTAssertGreaterThan(expected, 0)
        XCTAssertEqual(value, expected, accuracy: 1e-6 * expected, "float32 pixels, Double sums")
        // L_col is a quartic polynomial of the pixels: central differences with a step of 0.25 grey levels are exact
        // up to the third derivative's share, far below the bound. Every coordinate is checked.
        let worst = GradientCheck.worstRelativeError(x: x, analytic: gradient, samples: x.count, h: 0.25,
                                                     floor: 1e-3 * Double(gradient.map { abs($0) }.max()!)) {
            Self.formula($0, target: target, weight: lambda)
        }
        XCTAssertLessThan(worst.error, 1e-3, "worst relative error \(worst.error) at \(worst.index)")
        // At the photo's own statistics the term and its gradient vanish.
        var zero = [Float](repeating: 0, count: photo.count)
        let atTarget = zero.withUnsafeMutableBufferPointer { g in
            photo.withUnsafeBufferPointer { ColorLoss.accumulate($0.baseAddress!, pixels: 40, target: target, weight: lambda, into: g.baseAddress!) }
        }
        XCTAssertLessThan(atTarget, 1e-9)
        XCTAssertLessThan(zero.map { abs($0) }.max()!, 1e-6 * gradient.map { abs($0) }.max()!)
    }

    func testObjectiveAddsTheTermOnlyWithATarget() {
        let fixture = PixelTermFixture { $0.colorWeight = 7 }
        let size = PixelTermFixture.size
        let target = ColorStatistics(StyleObjectiveTests.smoothImage(size, size, seed: 1))
        fixture.checkAddsTerm("colour", attach: { $0.colorTarget = target }, term: \.color,
                              expected: { Self.formula($0.data, target: target, weight: 7) },
                              alone: { x, g in _ = ColorLoss.accumulate(x, pixels: size * size, target: target, weight: 7, into: g) },
                              bound: 1e-4)
    }
}
