import XCTest
import NeuralCore
@testable import StyleTransfer

/// L-BFGS seeded with the pyramid preconditioner, on a problem with a known minimiser and the curvature structure
/// the preconditioner is meant for: f(x) = 1/2 |D (x - c)|^2 + eps/2 |x - c|^2 on a W x H x 3 image, D the forward
/// differences along x and y. Its Hessian D^T D + eps I has eigenvalues from eps (flat images) to 8 + eps (pixel
/// checkerboards), the way the style losses react strongly to fine detail and weakly to broad changes.
/// Reference: the minimiser is c exactly (f = 0 there).
final class LBFGSPreconditionerTests: XCTestCase {
    static let (width, height) = (24, 18)
    static let eps = 1e-3
    static let center: [Float] = {
        var v = [Float](repeating: 0, count: width * height * 3)
        for y in 0 ..< height { for x in 0 ..< width { for ch in 0 ..< 3 {
            // Broad gradients plus a little fine detail.
            v[(y * width + x) * 3 + ch] = Float(100 + 60 * sin(Double(x) / 7 + Double(ch)) + 40 * cos(Double(y) / 5) + Double((x * 7 + y * 3 + ch) % 5))
        } } }
        return v
    }()

    static func objective(_ x: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>) -> Double {
        let (w, h) = (width, height)
        var f = 0.0
        var grad = [Double](repeating: 0, count: x.count)
        func r(_ i: Int) -> Double { Double(x[i]) - Double(center[i]) }
        for i in 0 ..< x.count {
            f += 0.5 * eps * r(i) * r(i)
            grad[i] += eps * r(i)
        }
        for y in 0 ..< h { for xx in 0 ..< w { for ch in 0 ..< 3 {
            let i = (y * w + xx) * 3 + ch
            if xx + 1 < w {
                let j = i + 3, d = r(j) - r(i)
                f += 0.5 * d * d; grad[j] += d; grad[i] -= d
            }
            if y + 1 < h {
                let j = i + 3 * w, d = r(j) - r(i)
                f += 0.5 * d * d; grad[j] += d; grad[i] -= d
            }
        } } }
        for i in 0 ..< x.count { g[i] = Float(grad[i]) }
        return f
    }

    func run(preconditioned: Bool, evaluations: Int, bounds: ClosedRange<Float>? = nil) -> LBFGSResult {
        var options = LBFGSOptions()
        options.historySize = 10
        options.maxEvaluations = evaluations
        options.gradientTolerance = 0
        options.progressTolerance = 0
        options.bounds = bounds
        if preconditioned { options.preconditioner = .standard(width: Self.width, height: Self.height) }
        return LBFGS(options: options).minimize([Float](repeating: 128, count: Self.center.count), objective: Self.objective)
    }

    func testReachesTheMinimiserFasterThanWithTheIdentity() {
        let f0 = Self.center.indices.reduce(0.0) { $0 + 0.5 * Self.eps * pow(128 - Double(Self.center[$1]), 2) }
        let plain = run(preconditioned: false, evaluations: 60), seeded = run(preconditioned: true, evaluations: 60)
        // Within the same budget the seeded run gets far closer to f = 0 (the broad error is the slow part for gamma I).
        XCTAssertLessThan(seeded.value, 0.1 * plain.value, "seeded \(seeded.value), identity \(plain.value), f0 \(f0)")
        // And it converges to the minimiser itself.
        let long = run(preconditioned: true, evaluations: 400)
        let worst = zip(long.x, Self.center).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 0.05, "largest pixel error \(worst) after \(long.evaluations) evaluations, f = \(long.value)")
    }

    func testSeededStepsStayInTheBox() {
        // The minimiser reaches 40...205; a box of 60...180 holds some pixels on its bounds.
        let r = run(preconditioned: true, evaluations: 80, bounds: 60 ... 180)
        XCTAssertTrue(r.x.allSatisfy { $0 >= 60 && $0 <= 180 })
        XCTAssertTrue(r.x.contains(60) && r.x.contains(180))
        XCTAssertLessThan(r.value, run(preconditioned: false, evaluations: 80, bounds: 60 ... 180).value)
    }
}
