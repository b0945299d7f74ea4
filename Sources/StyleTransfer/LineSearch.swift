// Strong-Wolfe line search: bracketing phase and zoom with safeguarded cubic interpolation.
//
// References:
//   J. Nocedal, S. J. Wright, "Numerical Optimization", 2nd ed., Springer 2006:
//     Algorithm 3.5 (line search for the strong Wolfe conditions), Algorithm 3.6 (zoom),
//     eq. (3.59) (minimiser of the cubic interpolating phi and phi' at two points).
//   J. J. Moré, D. J. Thuente, "Line search algorithms with guaranteed sufficient decrease",
//     ACM TOMS 20(3), 1994: the 1-D test functions used in the tests and the extrapolation cap.
//
// phi(a) = f(x + a d); phi'(a) = g(x + a d) . d. The strong Wolfe conditions with 0 < c1 < c2 < 1 are
//   phi(a) <= phi(0) + c1 a phi'(0)      (sufficient decrease, "Armijo")
//   |phi'(a)| <= c2 |phi'(0)|             (curvature)
// A non-finite phi(a) or phi'(a) counts as a failed sufficient-decrease test, so the search backtracks.

/// How a strong-Wolfe line search ended.
public enum LineSearchOutcome: Sendable, Equatable, CustomStringConvertible {
    /// The last evaluated step satisfies both strong Wolfe conditions.
    case converged
    /// The first trial step satisfies sufficient decrease and `acceptsFirstSufficientDecrease` is on.
    case sufficientDecrease
    /// The evaluation cap was reached before a step satisfied the conditions.
    case maxEvaluations
    /// phi'(0) >= 0 (or is not finite): the direction does not descend.
    case notDescentDirection
    /// The bracketing interval shrank below the resolution of the step.
    case intervalTooSmall
    /// The evaluation cap was reached while the last trial value was still not finite.
    case nonFiniteValue

    public var description: String {
        switch self {
        case .converged: "the step satisfies the strong Wolfe conditions"
        case .sufficientDecrease: "the first trial step decreases f sufficiently"
        case .maxEvaluations: "the line search used all its evaluations without satisfying the strong Wolfe conditions"
        case .notDescentDirection: "the search direction is not a descent direction"
        case .intervalTooSmall: "the line search interval became too small to resolve"
        case .nonFiniteValue: "the objective stayed non-finite along the search direction"
        }
    }
}

/// The end of a line search: the outcome, the step it ends on and phi, phi' there.
public struct LineSearchResult: Sendable {
    /// How the search ended.
    public let outcome: LineSearchOutcome
    /// On `.converged` and `.sufficientDecrease`, the accepted step, which is always the LAST step passed to phi. Otherwise the best
    /// step found that satisfies sufficient decrease (0 if none), which may not be the last one evaluated.
    public let step: Double
    /// phi(step).
    public let value: Double
    /// phi'(step).
    public let derivative: Double
    /// Number of calls of phi.
    public let evaluations: Int
}

/// A line search for the strong Wolfe conditions (Nocedal & Wright, Algorithms 3.5 and 3.6).
public struct StrongWolfeLineSearch: Sendable {
    /// Sufficient-decrease constant c1.
    public var c1: Double = 1e-4
    /// Curvature constant c2 (0.9 suits quasi-Newton directions).
    public var c2: Double = 0.9
    /// Most calls of phi one search may make.
    public var maxEvaluations = 20
    /// Accept the first trial step on sufficient decrease alone (a probe step: one evaluation, no curvature test).
    public var acceptsFirstSufficientDecrease = false
    /// Largest step tried.
    public var maxStep: Double = 1e20
    /// Smallest step tried: a bracket [0, a] with a below this ends with `.intervalTooSmall`.
    public var minStep: Double = 1e-20
    /// A bracket narrower than this fraction of its end points ends with `.intervalTooSmall`. The variables are
    /// Float, so steps closer than Float resolution give the same trial point.
    public var relativeWidth: Double = 1e-7

    /// Searches along a direction for a step satisfying the strong Wolfe conditions.
    /// - Parameters:
    ///   - value0: phi(0).
    ///   - derivative0: phi'(0); must be negative.
    ///   - initialStep: first trial step (1 for a scaled quasi-Newton direction).
    ///   - phi: evaluates phi(a) and phi'(a). A non-finite result makes the search backtrack.
    public func search(value0: Double, derivative0: Double, initialStep: Double,
                       phi: (Double) -> (value: Double, derivative: Double)) -> LineSearchResult {
        guard derivative0 < 0, derivative0.isFinite, value0.isFinite else {
            return LineSearchResult(outcome: .notDescentDirection, step: 0, value: value0, derivative: derivative0, evaluations: 0)
        }
        var evaluations = 0
        let armijoSlope = c1 * derivative0, curvatureBound = c2 * -derivative0
        func evaluate(_ a: Double) -> LineSearchPoint {
            evaluations += 1
            let (v, dv) = phi(a)
            return v.isFinite && dv.isFinite ? LineSearchPoint(step: a, value: v, derivative: dv)
                                             : LineSearchPoint(step: a, value: .infinity, derivative: .nan)
        }
        func end(_ outcome: LineSearchOutcome, _ p: LineSearchPoint) -> LineSearchResult {
            LineSearchResult(outcome: outcome, step: p.step, value: p.value, derivative: p.derivative, evaluations: evaluations)
        }
        guard maxEvaluations > 0 else { return end(.maxEvaluations, LineSearchPoint(step: 0, value: value0, derivative: derivative0)) }

        // Bracketing phase (Algorithm 3.5): grow the step until phi rises, the Armijo test fails or phi' >= 0.
        var previous = LineSearchPoint(step: 0, value: value0, derivative: derivative0)
        var a = min(max(initialStep, minStep), maxStep)
        var lo: LineSearchPoint, hi: LineSearchPoint
        while true {
            let p = evaluate(a)
            if p.value > value0 + a * armijoSlope || (evaluations > 1 && p.value >= previous.value) {
                (lo, hi) = (previous, p)
                break
            }
            if abs(p.derivative) <= curvatureBound { return end(.converged, p) }
            if acceptsFirstSufficientDecrease && evaluations == 1 { return end(.sufficientDecrease, p) }
            if p.derivative >= 0 {
                (lo, hi) = (p, previous)
                break
            }
            if evaluations >= maxEvaluations || a >= maxStep { return end(.maxEvaluations, p) }
            // Extrapolate: the cubic minimiser beyond a, kept within [2a, 8a] (Moré & Thuente also bound extrapolation).
            let c = lineSearchCubicMinimizer(previous, p)
            let next = c.isFinite && c > a ? min(max(c, 2 * a), 8 * a) : 4 * a
            previous = p
            a = min(next, maxStep)
        }

        // Zoom (Algorithm 3.6): lo satisfies sufficient decrease and has the lowest phi so far; the bracket
        // between lo and hi contains a strong-Wolfe step.
        var width = abs(hi.step - lo.step), previousWidth = Double.infinity, olderWidth = Double.infinity
        while true {
            if evaluations >= maxEvaluations { return end(hi.value.isFinite ? .maxEvaluations : .nonFiniteValue, lo) }
            if width <= relativeWidth * max(lo.step, hi.step) || max(lo.step, hi.step) < minStep {
                return end(.intervalTooSmall, lo)
            }
            // Interpolate, kept 0.1% of the width inside the bracket; bisect when interpolation is impossible or
            // the bracket did not shrink to 66% over two trials (the safeguard of Moré & Thuente).
            let (left, right) = (min(lo.step, hi.step), max(lo.step, hi.step))
            let guess = lineSearchInterpolate(lo, hi)
            let trial = guess.isFinite && guess > left && guess < right && width <= 0.66 * olderWidth
                ? min(max(guess, left + 1e-3 * width), right - 1e-3 * width) : 0.5 * (lo.step + hi.step)
            let p = evaluate(trial)
            if p.value > value0 + trial * armijoSlope || p.value >= lo.value {
                hi = p
            } else {
                if abs(p.derivative) <= curvatureBound { return end(.converged, p) }
                if p.derivative * (hi.step - lo.step) >= 0 { hi = lo }
                lo = p
            }
            (olderWidth, previousWidth, width) = (previousWidth, width, abs(hi.step - lo.step))
        }
    }
}

/// The zoom trial between lo (sufficient decrease, lowest phi) and hi: the cubic minimiser, or when phi(hi) >
/// phi(lo), the cubic if it is nearer lo than the quadratic through phi(lo), phi'(lo), phi(hi), else their mean
/// (case 1 of Moré & Thuente). NaN when neither exists (e.g. phi(hi) is not finite).
func lineSearchInterpolate(_ lo: LineSearchPoint, _ hi: LineSearchPoint) -> Double {
    guard hi.value.isFinite else { return .nan }
    let c = lineSearchCubicMinimizer(lo, hi)
    guard hi.value > lo.value else { return c }
    let h = hi.step - lo.step
    let q = lo.step - lo.derivative * h * h / (2 * (hi.value - lo.value - lo.derivative * h))
    guard c.isFinite else { return q }
    return abs(c - lo.step) < abs(q - lo.step) ? c : 0.5 * (c + q)
}

/// A trial step with phi and phi' there (value +inf and derivative NaN mark a non-finite evaluation).
struct LineSearchPoint {
    var step: Double
    var value: Double
    var derivative: Double
}

/// Minimiser of the cubic interpolating phi and phi' at two steps (Nocedal & Wright eq. 3.59); NaN when the
/// cubic has no minimiser.
func lineSearchCubicMinimizer(_ p0: LineSearchPoint, _ p1: LineSearchPoint) -> Double {
    let (a0, a1) = (p0.step, p1.step)
    let d1 = p0.derivative + p1.derivative - 3 * (p0.value - p1.value) / (a0 - a1)
    let discriminant = d1 * d1 - p0.derivative * p1.derivative
    guard discriminant >= 0, a0 != a1 else { return .nan }
    let d2 = (a1 > a0 ? 1.0 : -1.0) * discriminant.squareRoot()
    let denominator = p1.derivative - p0.derivative + 2 * d2
    guard denominator != 0 else { return .nan }
    return a1 - (a1 - a0) * (p1.derivative + d2 - d1) / denominator
}
