import XCTest
@testable import StyleTransfer

/// The 1-D test functions of Moré & Thuente (1994), section 5, as phi(a) with phi'(a).
enum MoreThuente {
    /// phi(a) = -a / (a^2 + 2): minimum at sqrt(2).
    static func f1(_ a: Double) -> (Double, Double) {
        let b = 2.0
        return (-a / (a * a + b), (a * a - b) / ((a * a + b) * (a * a + b)))
    }

    /// phi(a) = (a + 0.004)^5 - 2 (a + 0.004)^4: minimum at 1.6 - 0.004, phi'(0) about -5e-7.
    static func f2(_ a: Double) -> (Double, Double) {
        let t = a + 0.004
        return (pow(t, 5) - 2 * pow(t, 4), 5 * pow(t, 4) - 8 * pow(t, 3))
    }

    /// phi(a) = phi0(a) + 2 (1 - b) / (l pi) sin(l pi a / 2), b = 0.01, l = 39: a wiggly function with many minimisers.
    static func f3(_ a: Double) -> (Double, Double) {
        let b = 0.01, l = 39.0
        let (p0, dp0): (Double, Double)
        if a <= 1 - b { (p0, dp0) = (1 - a, -1) } else if a >= 1 + b { (p0, dp0) = (a - 1, 1) } else {
            (p0, dp0) = ((a - 1) * (a - 1) / (2 * b) + b / 2, (a - 1) / b)
        }
        return (p0 + 2 * (1 - b) / (l * .pi) * sin(l * .pi * a / 2), dp0 + (1 - b) * cos(l * .pi * a / 2))
    }
}

final class LBFGSLineSearchTests: XCTestCase {
    /// Reference: the strong Wolfe conditions themselves, checked numerically on Moré & Thuente's functions
    /// with their constants (c1, c2) = (0.001, 0.1), (0.1, 0.1), (0.1, 0.1) from initial steps 1e-3 .. 1e3, within
    /// the optimizer's default cap of 20 evaluations per search (today: f1 7,3,1,4; f2 14,8,12,13; f3 11,17,10,12).
    func testStrongWolfeConditionsHoldOnMoreThuenteFunctions() {
        let cases: [(String, (Double) -> (Double, Double), Double, Double)] = [
            ("f1", MoreThuente.f1, 0.001, 0.1), ("f2", MoreThuente.f2, 0.1, 0.1), ("f3", MoreThuente.f3, 0.1, 0.1),
        ]
        for (name, phi, c1, c2) in cases {
            for initialStep in [1e-3, 1e-1, 1e1, 1e3] {
                let (v0, d0) = phi(0)
                var last = Double.nan
                let search = StrongWolfeLineSearch(c1: c1, c2: c2, maxEvaluations: 30)
                let r = search.search(value0: v0, derivative0: d0, initialStep: initialStep) { a in
                    last = a
                    let (v, d) = phi(a)
                    return (v, d)
                }
                let label = "\(name) from \(initialStep): step \(r.step), \(r.evaluations) evaluations"
                XCTAssertEqual(r.outcome, .converged, label)
                let (v, d) = phi(r.step)
                let armijoSlack = v - (v0 + c1 * r.step * d0)
                XCTAssertLessThanOrEqual(armijoSlack, 0, "sufficient decrease violated by \(armijoSlack): \(label)")
                XCTAssertLessThanOrEqual(abs(d), c2 * abs(d0), "curvature: |phi'| = \(abs(d)) > \(c2 * abs(d0)): \(label)")
                XCTAssertEqual(r.value, v, label)
                XCTAssertEqual(r.derivative, d, label)
                XCTAssertEqual(last, r.step, "a converged search ends on its last evaluation: \(label)")
                XCTAssertLessThanOrEqual(r.evaluations, LBFGSOptions().maxLineSearchEvaluations, label)
            }
        }
    }

    /// An ascent direction is refused without evaluating phi.
    func testNotDescentDirection() {
        var calls = 0
        let r = StrongWolfeLineSearch().search(value0: 0, derivative0: 1, initialStep: 1) { a in
            calls += 1
            return (a, 1)
        }
        XCTAssertEqual(r.outcome, .notDescentDirection)
        XCTAssertEqual(calls, 0)
    }

    /// phi = +inf beyond a = 0.5 on a quadratic with minimum at 2: the search backtracks into the finite region
    /// and ends there with sufficient decrease (reference: phi(a) = (a - 2)^2 is decreasing on [0, 0.5]).
    func testNonFiniteValuesBacktrack() {
        let r = StrongWolfeLineSearch(maxEvaluations: 20).search(value0: 4, derivative0: -4, initialStep: 1) { a in
            a > 0.5 ? (.infinity, .nan) : ((a - 2) * (a - 2), 2 * (a - 2))
        }
        XCTAssertTrue(r.step > 0 && r.step <= 0.5, "step \(r.step), \(r.outcome)")
        XCTAssertTrue(r.value.isFinite && r.value < 4, "value \(r.value)")
        XCTAssertLessThanOrEqual(r.evaluations, 20)
    }

    /// A function that is +inf for every a > 0 exhausts the evaluations and says the values were non-finite.
    func testAlwaysNonFinite() {
        let r = StrongWolfeLineSearch(maxEvaluations: 10).search(value0: 1, derivative0: -1, initialStep: 1) { _ in (.infinity, .nan) }
        XCTAssertEqual(r.outcome, .nonFiniteValue)
        XCTAssertEqual(r.step, 0)
        XCTAssertEqual(r.evaluations, 10)
    }

    /// Reference: the cubic through phi(a) = a^3 - 3a (minimum at 1) is reproduced exactly from two points.
    func testCubicMinimizerIsExactOnACubic() {
        func p(_ a: Double) -> LineSearchPoint { LineSearchPoint(step: a, value: a * a * a - 3 * a, derivative: 3 * a * a - 3) }
        XCTAssertEqual(lineSearchCubicMinimizer(p(0), p(2)), 1, accuracy: 1e-12)
        XCTAssertEqual(lineSearchCubicMinimizer(p(2), p(0.5)), 1, accuracy: 1e-12)
    }
}
