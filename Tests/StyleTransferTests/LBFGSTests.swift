import XCTest
import NeuralCore
@testable import StyleTransfer

/// Test problems. Objectives read Float x, compute in Double, write a Float gradient.
enum Problems {
    /// Extended Rosenbrock: sum over pairs of 100 (x[2i+1] - x[2i]^2)^2 + (1 - x[2i])^2; minimum 0 at all ones.
    static func rosenbrock(_ x: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>) -> Double {
        var f = 0.0
        for i in stride(from: 0, to: x.count - 1, by: 2) {
            let a = Double(x[i]), b = Double(x[i + 1]), t = b - a * a
            f += 100 * t * t + (1 - a) * (1 - a)
            g[i] = Float(-400 * a * t - 2 * (1 - a))
            g[i + 1] = Float(200 * t)
        }
        return f
    }

    /// Chained Rosenbrock: sum over i of 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2; minimum 0 at all ones.
    static func chainedRosenbrock(_ x: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>) -> Double {
        var f = 0.0
        for i in 0..<x.count { g[i] = 0 }
        for i in 0..<(x.count - 1) {
            let a = Double(x[i]), b = Double(x[i + 1]), t = b - a * a
            f += 100 * t * t + (1 - a) * (1 - a)
            g[i] += Float(-400 * a * t - 2 * (1 - a))
            g[i + 1] += Float(200 * t)
        }
        return f
    }

    /// Rosenbrock start: (-1.2, 1) repeated.
    static func rosenbrockStart(_ n: Int) -> [Float] { (0..<n).map { $0 % 2 == 0 ? -1.2 : 1 } }

    /// f = 0.5 sum d_i (x_i - c_i)^2 with d_i = 10^(-4 i / (n - 1)) (condition number 1e4), c_i = 1 + i / n.
    static let n = 100
    static let curvature = (0..<n).map { pow(10.0, -4 * Double($0) / Double(n - 1)) }
    static let center = (0..<n).map { 1 + Double($0) / Double(n) }
    static let quadraticStart = [Float](repeating: 0, count: n)
    static func quadratic(_ x: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>) -> Double {
        var f = 0.0
        for i in 0..<x.count {
            let r = Double(x[i]) - center[i]
            f += 0.5 * curvature[i] * r * r
            g[i] = Float(curvature[i] * r)
        }
        return f
    }
}

/// Evaluation counts of scipy.optimize.fmin_l_bfgs_b (factr=10, same pgtol, same m, same start), from
/// Fixtures/scipy_reference.py run with scipy 1.17.1 / numpy 2.4.6 (output in Fixtures/scipy_reference.txt):
///   # name m pgtol nfev nit f gnorm_inf
///   rosenbrock2 10 0.0001 44 36 2.807650e-12 5.419e-05
///   rosenbrock2_m3 3 0.0001 49 37 6.131033e-12 5.122e-05
///   rosenbrock100 10 0.0001 48 36 1.358313e-13 1.753e-06
///   chained_rosenbrock10 10 0.0001 88 71 1.043784e-11 6.409e-05
///   quadratic100 10 1e-06 472 455 1.000971e-09 7.964e-07
///   quadratic100_m100 100 1e-06 255 237 4.801435e-09 9.237e-07
/// Our bound: evaluations <= 1.5 * scipy + 5. (scipy iterates in Double; ours are Float.)
enum SciPy {
    static let rosenbrock2Evaluations = 44
    static let rosenbrock2History3Evaluations = 49
    static let rosenbrock100Evaluations = 48
    static let chainedRosenbrock10Evaluations = 88
    static let quadratic100Evaluations = 472
    static let quadratic100History100Evaluations = 255
    static func bound(_ scipy: Int) -> Int { scipy * 3 / 2 + 5 }
}

final class LBFGSTests: XCTestCase {
    /// Options for the scipy comparisons: m = 10 like scipy's default, progress test effectively off. scipy's
    /// pgtol is absolute; ours is relative to ||g(x0)||_inf, so it is divided by that norm.
    func comparisonOptions(gradientTolerance: Double, start: [Float],
                           _ f: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Double) -> LBFGSOptions {
        var g = [Float](repeating: 0, count: start.count)
        _ = start.withUnsafeBufferPointer { x in g.withUnsafeMutableBufferPointer { f(x, $0) } }
        var o = LBFGSOptions()
        o.historySize = 10
        o.gradientTolerance = gradientTolerance / Double(g.map { abs($0) }.max()!)
        o.progressTolerance = 0
        o.maxEvaluations = 10_000
        return o
    }

    func maxError(_ x: [Float], _ target: (Int) -> Double) -> Double {
        x.indices.map { abs(Double(x[$0]) - target($0)) }.max() ?? 0
    }

    /// Reference: the known minimiser (1, 1) and scipy's evaluation count.
    func testRosenbrock2DConvergesLikeSciPy() {
        let r = LBFGS(options: comparisonOptions(gradientTolerance: 1e-4, start: [-1.2, 1], Problems.rosenbrock))
            .minimize([-1.2, 1], objective: Problems.rosenbrock)
        let err = maxError(r.x) { _ in 1 }
        XCTAssertEqual(r.stop, .gradientTolerance, r.message)
        XCTAssertLessThan(err, 1e-4, "max |x - 1| = \(err)")
        XCTAssertLessThan(r.value, 1e-9)
        XCTAssertLessThanOrEqual(r.evaluations, SciPy.bound(SciPy.rosenbrock2Evaluations),
                                 "ours \(r.evaluations), scipy \(SciPy.rosenbrock2Evaluations)")
        print("rosenbrock2: \(r.evaluations) evaluations, \(r.iterations) iterations (scipy \(SciPy.rosenbrock2Evaluations)); \(r.message)")
    }

    /// A history of 3 wraps the ring buffer many times. Reference: the minimiser (1, 1) and scipy with m = 3.
    func testRosenbrock2DShortHistoryLikeSciPy() {
        var o = comparisonOptions(gradientTolerance: 1e-4, start: [-1.2, 1], Problems.rosenbrock)
        o.historySize = 3
        let r = LBFGS(options: o).minimize([-1.2, 1], objective: Problems.rosenbrock)
        let err = maxError(r.x) { _ in 1 }
        XCTAssertEqual(r.stop, .gradientTolerance, r.message)
        XCTAssertLessThan(err, 1e-4, "max |x - 1| = \(err)")
        XCTAssertLessThanOrEqual(r.evaluations, SciPy.bound(SciPy.rosenbrock2History3Evaluations),
                                 "ours \(r.evaluations), scipy \(SciPy.rosenbrock2History3Evaluations)")
        print("rosenbrock2 m=3: \(r.evaluations) evaluations (scipy \(SciPy.rosenbrock2History3Evaluations)); \(r.message)")
    }

    /// Reference: the known minimiser (all ones) and scipy's evaluation count.
    func testExtendedRosenbrock100ConvergesLikeSciPy() {
        let r = LBFGS(options: comparisonOptions(gradientTolerance: 1e-4, start: Problems.rosenbrockStart(100), Problems.rosenbrock))
            .minimize(Problems.rosenbrockStart(100), objective: Problems.rosenbrock)
        let err = maxError(r.x) { _ in 1 }
        XCTAssertEqual(r.stop, .gradientTolerance, r.message)
        XCTAssertLessThan(err, 1e-4, "max |x - 1| = \(err)")
        XCTAssertLessThanOrEqual(r.evaluations, SciPy.bound(SciPy.rosenbrock100Evaluations),
                                 "ours \(r.evaluations), scipy \(SciPy.rosenbrock100Evaluations)")
        print("rosenbrock100: \(r.evaluations) evaluations, \(r.iterations) iterations (scipy \(SciPy.rosenbrock100Evaluations)); \(r.message)")
    }

    /// Coupled variables (the extended form above is n/2 copies of the 2-D problem). Reference: minimiser all ones, scipy.
    func testChainedRosenbrock10ConvergesLikeSciPy() {
        let r = LBFGS(options: comparisonOptions(gradientTolerance: 1e-4, start: Problems.rosenbrockStart(10), Problems.chainedRosenbrock))
            .minimize(Problems.rosenbrockStart(10), objective: Problems.chainedRosenbrock)
        let err = maxError(r.x) { _ in 1 }
        XCTAssertEqual(r.stop, .gradientTolerance, r.message)
        XCTAssertLessThan(err, 1e-4, "max |x - 1| = \(err)")
        XCTAssertLessThanOrEqual(r.evaluations, SciPy.bound(SciPy.chainedRosenbrock10Evaluations),
                                 "ours \(r.evaluations), scipy \(SciPy.chainedRosenbrock10Evaluations)")
        print("chained_rosenbrock10: \(r.evaluations) evaluations (scipy \(SciPy.chainedRosenbrock10Evaluations)); \(r.message)")
    }

    /// Reference: the exact minimiser c and scipy's evaluation count. ||g||_inf <= 1e-6 bounds |x_i - c_i| by 1e-6 / d_i.
    func testIllConditionedQuadraticConvergesLikeSciPy() {
        let r = LBFGS(options: comparisonOptions(gradientTolerance: 1e-6, start: Problems.quadraticStart, Problems.quadratic)).minimize([Float](repeating: 0, count: Problems.n),
                                                                                  objective: Problems.quadratic)
        XCTAssertEqual(r.stop, .gradientTolerance, r.message)
        let worst = r.x.indices.map { abs(Double(r.x[$0]) - Problems.center[$0]) * Problems.curvature[$0] }.max()!
        XCTAssertLessThanOrEqual(worst, 1e-6, "worst d_i |x_i - c_i| = \(worst)")
        XCTAssertLessThan(r.value, 1e-8)
        XCTAssertLessThanOrEqual(r.evaluations, SciPy.bound(SciPy.quadratic100Evaluations),
                                 "ours \(r.evaluations), scipy \(SciPy.quadratic100Evaluations)")
        print("quadratic100: \(r.evaluations) evaluations, \(r.iterations) iterations (scipy \(SciPy.quadratic100Evaluations)); \(r.message)")
    }

    /// The default history m = 100 (= n): reference scipy with m = 100; the longer history must also beat m = 10.
    func testLongHistoryOnQuadraticLikeSciPy() {
        var o = comparisonOptions(gradientTolerance: 1e-6, start: Problems.quadraticStart, Problems.quadratic)
        o.historySize = 100
        let r = LBFGS(options: o).minimize([Float](repeating: 0, count: Problems.n), objective: Problems.quadratic)
        XCTAssertEqual(r.stop, .gradientTolerance, r.message)
        let worst = r.x.indices.map { abs(Double(r.x[$0]) - Problems.center[$0]) * Problems.curvature[$0] }.max()!
        XCTAssertLessThanOrEqual(worst, 1e-6, "worst d_i |x_i - c_i| = \(worst)")
        XCTAssertLessThanOrEqual(r.evaluations, SciPy.bound(SciPy.quadratic100History100Evaluations),
                                 "ours \(r.evaluations), scipy \(SciPy.quadratic100History100Evaluations)")
        XCTAssertLessThan(r.evaluations, SciPy.quadratic100Evaluations, r.message)
        print("quadratic100 m=100: \(r.evaluations) evaluations (scipy \(SciPy.quadratic100History100Evaluations)); \(r.message)")
    }

    /// The budget is never exceeded, and a run that stops for it says so.
    func testEvaluationBudgetIsHonouredExactly() {
        for budget in 0...40 {
            var o = LBFGSOptions()
            o.maxEvaluations = budget
            o.maxLineSearchEvaluations = 7
            var calls = 0
            let r = LBFGS(options: o).minimize(Problems.rosenbrockStart(10)) { x, g in
                calls += 1
                return Problems.rosenbrock(x, g)
            }
            XCTAssertLessThanOrEqual(calls, budget, "budget \(budget)")
            XCTAssertEqual(r.evaluations, calls, "budget \(budget)")
            XCTAssertEqual(r.stop, .evaluationBudget, "budget \(budget): \(r.message)")
        }
    }

    /// Cancelling returns the lowest point of all evaluations (tracked independently in the objective).
    func testCancelReturnsBestPoint() {
        var bestValue = Double.infinity, bestX: [Float] = []
        var reports: [LBFGSIteration] = []
        let r = LBFGS(options: LBFGSOptions()).minimize(Problems.rosenbrockStart(2), objective: { x, g in
            let f = Problems.rosenbrock(x, g)
            if f < bestValue { (bestValue, bestX) = (f, Array(x)) }
            return f
        }, onIteration: { it, _ in
            reports.append(it)
            return it.iteration < 5
        })
        XCTAssertEqual(r.stop, .cancelled, r.message)
        XCTAssertEqual(r.iterations, 5)
        XCTAssertEqual(r.value, bestValue)
        XCTAssertEqual(r.x, bestX)
        XCTAssertEqual(reports.map(\.iteration), [0, 1, 2, 3, 4, 5], "iteration 0 reports the start")
        XCTAssertEqual(reports.first?.evaluations, 1)
        XCTAssertEqual(reports.last?.evaluations, r.evaluations)
        for (a, b) in zip(reports, reports.dropFirst()) { XCTAssertLessThan(b.value, a.value, "iterates must decrease f") }
    }

    /// f = +inf (or NaN) outside the unit ball; the unconstrained minimum (2, 2) lies outside, so the run must end
    /// on the boundary side, finite and inside, without crashing. Reference: f(x) = |x - (2,2)|^2 has its
    /// constrained minimum at (1,1)/sqrt(2), value (2 - 1/sqrt(2))^2 * 2.
    func testNonFiniteRegionIsBacktrackedFrom() {
        for outside in [Double.infinity, .nan] {
            var o = LBFGSOptions()
            o.maxEvaluations = 200
            var calls = 0
            let r = LBFGS(options: o).minimize([0, 0]) { x, g in
                calls += 1
                let a = Double(x[0]), b = Double(x[1])
                g[0] = Float(2 * (a - 2)); g[1] = Float(2 * (b - 2))
                return a * a + b * b > 1 ? outside : (a - 2) * (a - 2) + (b - 2) * (b - 2)
            }
            let radius = (Double(r.x[0]) * Double(r.x[0]) + Double(r.x[1]) * Double(r.x[1])).squareRoot()
            let constrainedMin = 2 * (2 - 1 / 2.0.squareRoot()) * (2 - 1 / 2.0.squareRoot())
            XCTAssertTrue(r.value.isFinite, "\(outside): \(r.message)")
            XCTAssertLessThanOrEqual(radius, 1, "\(outside): |x| = \(radius)")
            XCTAssertLessThan(r.value - constrainedMin, 1e-4, "\(outside): f = \(r.value), constrained minimum \(constrainedMin)")
            XCTAssertLessThanOrEqual(calls, 200)
            print("f = +inf/NaN outside the ball (\(outside)): f \(r.value), |x| \(radius), \(calls) evaluations; \(r.message)")
        }
    }

    /// A gradient whose sign flips after 6 evaluations makes every later line search fail: the quasi-Newton search
    /// fails, the steepest-descent retry fails, and the run stops saying so, returning the lowest point evaluated.
    func testWrongGradientEndsWithLineSearchFailure() {
        var calls = 0, bestValue = Double.infinity, bestX: [Float] = []
        let r = LBFGS(options: LBFGSOptions()).minimize([-1.2, 1]) { x, g in
            calls += 1
            let f = Problems.rosenbrock(x, g)
            if calls > 6 { g[0] = -g[0]; g[1] = -g[1] }
            if f < bestValue { (bestValue, bestX) = (f, Array(x)) }
            return f
        }
        guard case .lineSearchFailed = r.stop else { return XCTFail("stop \(r.stop): \(r.message)") }
        XCTAssertTrue(r.message.hasPrefix("stopped: line search failed at iteration "), r.message)
        XCTAssertEqual(r.value, bestValue)
        XCTAssertEqual(r.x, bestX)
        XCTAssertEqual(r.evaluations, calls)
        XCTAssertLessThanOrEqual(calls, 6 + 3 * LBFGSOptions().maxLineSearchEvaluations, "evaluations \(calls)")
    }

    /// A non-finite f at x0 stops at once with a reason.
    func testNonFiniteStartStops() {
        let r = LBFGS(options: LBFGSOptions()).minimize([1, 2]) { _, g in
            g[0] = 0; g[1] = 0
            return .nan
        }
        XCTAssertEqual(r.evaluations, 1)
        guard case .lineSearchFailed = r.stop else { return XCTFail("stop \(r.stop)") }
    }

    /// With `stopsOnNonFiniteValue` (style transfer), the first evaluation whose f or gradient is not finite stops
    /// the run at once, naming it: no further evaluation, the lowest finite point returned, no `onFinish` state
    /// (it could not be resumed). Without it the same objective is backtracked from (above).
    func testNonFiniteValueStopsTheRunWhenAsked() {
        for (label, poisoned) in [("f = NaN", { (g: UnsafeMutableBufferPointer<Float>) -> Double in .nan }),
                                  ("gradient = inf", { g in g[0] = .infinity; return 1 })] {
            var o = LBFGSOptions()
            o.stopsOnNonFiniteValue = true
            var calls = 0, bestValue = Double.infinity, bestX: [Float] = [], finished = false
            let r = LBFGS(options: o).minimize([-1.2, 1], resumingFrom: nil, objective: { x, g in
                calls += 1
                let f = Problems.rosenbrock(x, g)
                if calls >= 5 { return poisoned(g) }
                if f < bestValue { (bestValue, bestX) = (f, Array(x)) }
                return f
            }, onIteration: { _, _, _ in true }, onFinish: { _ in finished = true })
            XCTAssertEqual(r.stop, .nonFiniteValue(evaluation: 5), "\(label): \(r.message)")
            XCTAssertEqual(calls, 5, "\(label): no evaluation after the non-finite one")
            XCTAssertEqual(r.value, bestValue, label)
            XCTAssertEqual(r.x, bestX, label)
            XCTAssertFalse(finished, "\(label): no final state to checkpoint")
            XCTAssertEqual(r.stop.description, "stopped: the loss or its gradient is not finite at evaluation 5")
        }
        var o = LBFGSOptions()
        o.stopsOnNonFiniteValue = true
        let start = LBFGS(options: o).minimize([1, 2]) { _, g in g[0] = 0; g[1] = 0; return .infinity }
        XCTAssertEqual(start.stop, .nonFiniteValue(evaluation: 1))
        XCTAssertEqual(start.evaluations, 1)
    }

    /// Stop reasons carry the numbers that decided them.
    func testStopMessagesStateReason() {
        var o = LBFGSOptions()
        o.gradientTolerance = 1e-3
        let r = LBFGS(options: o).minimize([-1.2, 1], objective: Problems.rosenbrock)
        XCTAssertEqual(r.stop, .gradientTolerance)
        XCTAssertTrue(r.message.hasPrefix("stopped: gradient norm "), r.message)
        XCTAssertTrue(r.message.hasSuffix("below tolerance 0.001 x its initial 2.2e+02"), r.message)

        var p = LBFGSOptions()
        p.progressTolerance = 1e-2           // 1000 + Rosenbrock: f falls by less than 1% of itself over 5 steps
        let q = LBFGS(options: p).minimize([-1.2, 1]) { x, g in 1000 + Problems.rosenbrock(x, g) }
        XCTAssertEqual(q.stop, .noProgress, q.message)
        XCTAssertTrue(q.message.contains("over 5 iterations"), q.message)
        XCTAssertTrue(LBFGSStop.lineSearchFailed("x").description.hasPrefix("stopped: "))
    }

    /// maxIterations stops after exactly that many accepted steps.
    func testIterationLimit() {
        var o = LBFGSOptions()
        o.maxIterations = 3
        let r = LBFGS(options: o).minimize(Problems.rosenbrockStart(4), objective: Problems.rosenbrock)
        XCTAssertEqual(r.stop, .iterationLimit, r.message)
        XCTAssertEqual(r.iterations, 3)
    }
}

/// The two-loop recursion against the BFGS inverse-Hessian update written out as dense matrices.
final class LBFGSHistoryTests: XCTestCase {
    /// Reference (Nocedal & Wright eq. 7.19): H_0 = gamma I with gamma = s.y / y.y of the newest pair, then for each
    /// kept pair from oldest to newest H = (I - rho s y^T) H (I - rho y s^T) + rho s s^T, in Double. Five pairs pass
    /// through a ring of three, so the ring wraps and only the last three count.
    func testTwoLoopMatchesDenseBFGSUpdates() { checkTwoLoop(.float32) }

    /// The same with pairs stored as bfloat16: the reference divides s and y by their norms, rounds to 8 significant
    /// bits (nearest, ties to even) in Double arithmetic and multiplies back; H must be the dense update of those pairs.
    func testCompactTwoLoopMatchesDenseBFGSUpdatesOfTheRoundedPairs() { checkTwoLoop(.bfloat16) }

    static func roundTo8Bits(_ x: Double) -> Double {
        guard x != 0 else { return 0 }
        let q = pow(2, (log2(abs(x))).rounded(.down) - 7)
        return (x / q).rounded(.toNearestOrEven) * q
    }

    func checkTwoLoop(_ precision: HistoryPrecision) {
        let n = 6, m = 3
        var rng = SplitMix64(seed: 5)
        // y = A s with A symmetric positive definite, so every pair has s.y > 0.
        let b = (0 ..< n * n).map { _ in rng.nextNormal() }
        let a = (0 ..< n * n).map { k in (0 ..< n).reduce(0.0) { $0 + b[k / n * n + $1] * b[k % n * n + $1] } + (k / n == k % n ? 1 : 0) }
        let history = LBFGSHistory(count: n, capacity: m, precision: precision)
        var pairs: [([Double], [Double])] = []
        for _ in 0 ..< 5 {
            let s = (0 ..< n).map { _ in Double(Float(rng.nextNormal())) }
            let y = (0 ..< n).map { i in Double(Float((0 ..< n).reduce(0.0) { $0 + a[i * n + $1] * s[$1] })) }
            let slot = history.nextSlot()
            for i in 0 ..< n { slot.s[i] = Float(s[i]); slot.y[i] = Float(y[i]) }
            XCTAssertTrue(history.commit())
            func stored(_ v: [Double]) -> [Double] {
                let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
                return v.map { Self.roundTo8Bits(Double(Float($0 / norm))) * norm }
            }
            pairs.append(precision == .float32 ? (s, y) : (stored(s), stored(y)))
        }
        XCTAssertEqual(history.pairs, m)
        let kept = pairs.suffix(m)
        let (sNew, yNew) = kept.last!
        let gamma = zip(sNew, yNew).map(*).reduce(0, +) / yNew.map { $0 * $0 }.reduce(0, +)
        var h = (0 ..< n * n).map { $0 / n == $0 % n ? gamma : 0 }
        for (s, y) in kept {
            let rho = 1 / zip(s, y).map(*).reduce(0, +)
            // V = I - rho y s^T; H = V^T H V + rho s s^T
            let v = (0 ..< n * n).map { k in (k / n == k % n ? 1 : 0) - rho * y[k / n] * s[k % n] }
            var vthv = [Double](repeating: 0, count: n * n)
            for i in 0 ..< n { for j in 0 ..< n {
                var sum = 0.0
                for p in 0 ..< n { for q in 0 ..< n { sum += v[p * n + i] * h[p * n + q] * v[q * n + j] } }
                vthv[i * n + j] = sum + rho * s[i] * s[j]
            } }
            h = vthv
        }
        let g = (0 ..< n).map { _ in Float(rng.nextNormal()) }
        var d = g
        d.withUnsafeMutableBufferPointer { history.applyNegativeInverseHessian($0) }
        let expected = (0 ..< n).map { i in -(0 ..< n).reduce(0.0) { $0 + h[i * n + $1] * Double(g[$1]) } }
        let scale = expected.map(abs).max()!
        let worst = (0 ..< n).map { abs(Double(d[$0]) - expected[$0]) / scale }.max()!
        XCTAssertLessThan(worst, 1e-5, "two-loop vs dense BFGS: worst relative difference \(worst)")
    }
}
