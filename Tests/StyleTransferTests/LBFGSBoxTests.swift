import XCTest
@testable import StyleTransfer

/// L-BFGS inside a box, against constrained minima known in closed form, and the scale-free stop.
final class LBFGSBoxTests: XCTestCase {
    /// Extended Rosenbrock in the box [-1.5, 0.5]: the unconstrained minimiser (all ones) is outside. On x_{2i} <= 0.5,
    /// f >= (1 - x_{2i})^2 >= 0.25 per pair, with equality only at x_{2i} = 0.5 (upper bound, active: df/dx = -1 < 0
    /// pushes outward) and x_{2i+1} = 0.25 (inside). Reference: (0.5, 0.25) repeated, f = 0.25 per pair.
    func testRosenbrockWithActiveBoundReachesTheConstrainedMinimum() {
        for n in [2, 20] {
            var o = LBFGSOptions()
            o.bounds = -1.5 ... 0.5
            o.historySize = 10
            o.gradientTolerance = 1e-8
            o.maxEvaluations = 500
            var outside = 0
            let r = LBFGS(options: o).minimize(Problems.rosenbrockStart(n)) { x, g in
                outside += x.filter { $0 < -1.5 || $0 > 0.5 }.count
                return Problems.rosenbrock(x, g)
            }
            let expected = (0 ..< n).map { $0 % 2 == 0 ? 0.5 : 0.25 }
            let worst = r.x.indices.map { abs(Double(r.x[$0]) - expected[$0]) }.max()!
            XCTAssertEqual(outside, 0, "every evaluated point lies in the box")
            XCTAssertLessThan(worst, 1e-4, "n=\(n): max |x - x*| = \(worst); \(r.message)")
            XCTAssertEqual(r.value, 0.25 * Double(n / 2), accuracy: 1e-6, r.message)
            XCTAssertTrue(r.x.enumerated().allSatisfy { $0.offset % 2 == 1 || $0.element == 0.5 }, "the bound is hit exactly")
            print("bounded rosenbrock n=\(n): \(r.evaluations) evaluations; \(r.message)")
        }
    }

    /// Ill-conditioned separable quadratic 0.5 sum d_i (x_i - c_i)^2 (d from 1 to 1e-4, c_i = 1 + i/n) in [0, 1.5]:
    /// the constrained minimiser is min(c_i, 1.5); the 49 variables with c_i > 1.5 end exactly on the upper bound.
    /// Reference: that closed form; the free variables within 1e-6 / d_i (the gradient tolerance).
    func testQuadraticWithBoundsMatchesClosedForm() {
        var o = LBFGSOptions()
        o.bounds = 0 ... 1.5
        o.gradientTolerance = 1e-7
        o.maxEvaluations = 2000
        let r = LBFGS(options: o).minimize(Problems.quadraticStart, objective: Problems.quadratic)
        var worst = 0.0, held = 0
        for i in r.x.indices {
            let target = min(Problems.center[i], 1.5)
            if Problems.center[i] > 1.5 { held += 1; XCTAssertEqual(r.x[i], 1.5, "x[\(i)] must sit on the bound") }
            worst = max(worst, abs(Double(r.x[i]) - target) * Problems.curvature[i])
        }
        XCTAssertEqual(held, 49)
        XCTAssertLessThanOrEqual(worst, 1e-6, "worst d_i |x_i - x*_i| = \(worst); \(r.message)")
        print("bounded quadratic: \(r.evaluations) evaluations; \(r.message)")
    }

    /// A start outside the box is projected into it before the first evaluation.
    func testStartIsProjected() {
        var o = LBFGSOptions()
        o.bounds = 0 ... 1
        o.maxEvaluations = 1
        var first: [Float] = []
        _ = LBFGS(options: o).minimize([-3, 0.5, 7]) { x, g in
            first = Array(x)
            for i in 0 ..< 3 { g[i] = 0 }
            return 0
        }
        XCTAssertEqual(first, [0, 0.5, 1])
    }

    /// Scale-free: f and 1024 f (exact in binary, so any rounding difference would come from a test that depends
    /// on the scale) give bit-identical paths and the same stop (reference: the unscaled run itself), with and
    /// without a box, for every stop test (gradient, progress, budget).
    func testScalingTheObjectiveChangesNeitherPathNorStop() {
        for bounds in [nil, Float(-1.5) ... 0.5] as [ClosedRange<Float>?] {
            for (gradientTolerance, progressTolerance, budget) in [(1e-6, 0.0, 10_000), (0, 1e-4, 10_000), (0, 0, 25)] {
                var runs: [LBFGSResult] = []
                for factor in [1.0, 1024.0] {
                    var o = LBFGSOptions()
                    o.bounds = bounds
                    o.gradientTolerance = gradientTolerance
                    o.progressTolerance = progressTolerance
                    o.maxEvaluations = budget
                    runs.append(LBFGS(options: o).minimize(Problems.rosenbrockStart(10)) { x, g in
                        let f = Problems.chainedRosenbrock(x, g)
                        for i in 0 ..< g.count { g[i] *= Float(factor) }
                        return factor * f
                    })
                }
                let label = "bounds \(String(describing: bounds)), gtol \(gradientTolerance), ptol \(progressTolerance), budget \(budget)"
                XCTAssertEqual(runs[0].stop, runs[1].stop, "\(label): \(runs[0].message) / \(runs[1].message)")
                XCTAssertEqual(runs[0].evaluations, runs[1].evaluations, label)
                XCTAssertEqual(runs[0].iterations, runs[1].iterations, label)
                XCTAssertEqual(runs[0].x, runs[1].x, label)
                XCTAssertEqual(runs[1].value / 1024, runs[0].value, label)
            }
        }
    }
}
