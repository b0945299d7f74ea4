// Limited-memory BFGS for minimising a smooth function of many Float variables.
//
// References:
//   D. C. Liu, J. Nocedal, "On the limited memory BFGS method for large scale optimization",
//     Mathematical Programming 45, 1989.
//   J. Nocedal, S. J. Wright, "Numerical Optimization", 2nd ed., Springer 2006: Algorithm 7.4 (two-loop
//     recursion), eq. (7.20) (initial Hessian scaling), Algorithm 7.5 (L-BFGS); line search in LineSearch.swift.
//
// With s_k = x_{k+1} - x_k, y_k = g_{k+1} - g_k, rho_k = 1 / (y_k . s_k), the direction is d_k = -H_k g_k where
// H_k applies the last m pairs to H_k^0 = gamma_k I, gamma_k = s_{k-1} . y_{k-1} / y_{k-1} . y_{k-1}.
// Variables, gradients and the history are Float; dot products accumulate in Double.
import Foundation

/// Settings of `LBFGS`.
public struct LBFGSOptions: Sendable {
    /// Number m of curvature pairs (s, y) kept.
    public var historySize = 100
    /// Most objective evaluations (each is a forward and backward pass); never exceeded.
    public var maxEvaluations = 1000
    /// Most accepted steps.
    public var maxIterations = Int.max
    /// Stop when ||g||_inf falls to or below this.
    public var gradientTolerance: Double = 1e-5
    /// Stop when f decreased by at most this fraction of max(|f|, 1) over the last `progressWindow` iterations.
    public var progressTolerance: Double = 1e-9
    /// Iterations over which progress is measured.
    public var progressWindow = 5
    /// Sufficient-decrease constant of the line search.
    public var c1 = 1e-4
    /// Curvature constant of the line search.
    public var c2 = 0.9
    /// Most evaluations one line search may use.
    public var maxLineSearchEvaluations = 20

    public init() {}
}

/// Why `LBFGS.minimize` stopped.
public enum LBFGSStop: Sendable, Equatable, CustomStringConvertible {
    case gradientTolerance, noProgress, evaluationBudget, iterationLimit, lineSearchFailed(String), cancelled

    public var description: String {
        switch self {
        case .gradientTolerance: "stopped: the gradient norm fell below the tolerance"
        case .noProgress: "stopped: the objective no longer decreased by the required fraction"
        case .evaluationBudget: "stopped: the evaluation budget is used up"
        case .iterationLimit: "stopped: the iteration limit was reached"
        case .lineSearchFailed(let why): "stopped: the line search failed (\(why))"
        case .cancelled: "stopped: cancelled by the caller"
        }
    }
}

/// Progress report after an accepted step.
public struct LBFGSIteration: Sendable {
    /// Accepted steps so far (1 after the first).
    public let iteration: Int
    /// Objective evaluations so far.
    public let evaluations: Int
    /// f at the new iterate.
    public let value: Double
    /// ||g||_inf at the new iterate.
    public let gradientNorm: Double
    /// Accepted line-search step length along the search direction.
    public let step: Double
}

/// The outcome of `LBFGS.minimize`: the best point evaluated and why the run stopped.
public struct LBFGSResult: Sendable {
    /// The point with the lowest f among all evaluated points (x0 if nothing better was found).
    public let x: [Float]
    /// f(x).
    public let value: Double
    /// Accepted steps.
    public let iterations: Int
    /// Objective evaluations.
    public let evaluations: Int
    /// Why the run stopped.
    public let stop: LBFGSStop
    /// One line stating why the run stopped, with the numbers that decided it.
    public let message: String
}

/// Limited-memory BFGS with a strong-Wolfe line search (Liu & Nocedal 1989; Nocedal & Wright Alg. 7.5).
///
/// - The first step (and any step after a history reset) is steepest descent with trial step 1/||g||_inf,
///   so the first trial point moves the largest component by 1.
/// - A pair with s.y <= eps y.y, eps = Float.ulpOfOne, is skipped (it would break positive definiteness).
/// - If the line search finds no acceptable step, the run moves to the best point it evaluated if that is lower;
///   otherwise it clears the history and retries once with steepest descent before stopping.
/// - Memory: 2m + 7 vectors of n Floats. History slots are allocated on first use, then reused as a ring.
public final class LBFGS {
    public let options: LBFGSOptions

    public init(options: LBFGSOptions) {
        self.options = options
    }

    /// Minimises f starting at x0.
    /// - Parameters:
    ///   - x0: starting point, n Floats.
    ///   - objective: evaluates f(x) and writes the gradient into `gradient` (same count as x); returns f.
    ///   - onIteration: called after each accepted step with the iterate; return false to cancel
    ///     (the best x so far is returned).
    /// - Complexity: per iteration, about 4 m n multiply-adds besides the evaluations.
    public func minimize(_ x0: [Float], objective: (_ x: UnsafeBufferPointer<Float>, _ gradient: UnsafeMutableBufferPointer<Float>) -> Double,
                         onIteration: (LBFGSIteration, UnsafeBufferPointer<Float>) -> Bool = { _, _ in true }) -> LBFGSResult {
        let n = x0.count, m = max(options.historySize, 1)
        var x = x0, g = [Float](repeating: 0, count: n)
        var xTrial = x0, gTrial = g, d = g
        var xBest = x0, gBest = g
        var s: [[Float]] = [], y: [[Float]] = [], rho = [Double](repeating: 0, count: m), alphas = rho
        var newest = -1, pairs = 0                       // ring buffer: slot of the newest pair, number of pairs
        var recent = [Double](repeating: 0, count: max(options.progressWindow, 1) + 1)   // f of the last iterates
        var evaluations = 0, iteration = 0

        /// Evaluates f at xTrial and writes the gradient into gTrial.
        func evaluateTrial() -> Double {
            evaluations += 1
            return xTrial.withUnsafeBufferPointer { xp in gTrial.withUnsafeMutableBufferPointer { objective(xp, $0) } }
        }
        guard options.maxEvaluations > 0 else {
            return LBFGSResult(x: x0, value: .nan, iterations: 0, evaluations: 0, stop: .evaluationBudget,
                               message: "stopped: the evaluation budget is 0, so x0 was not evaluated")
        }
        var f = evaluateTrial(), fBest = f
        swap(&g, &gTrial)
        copy(&gBest, g)
        func finish(_ stop: LBFGSStop, _ message: String) -> LBFGSResult {
            LBFGSResult(x: xBest, value: fBest, iterations: iteration, evaluations: evaluations, stop: stop, message: message)
        }
        guard f.isFinite, g.allSatisfy(\.isFinite) else {
            return finish(.lineSearchFailed("objective not finite at x0"), "stopped: f or its gradient is not finite at the starting point")
        }
        var gNorm = infinityNorm(g)
        recent[0] = f
        var steepest = true
        let search = StrongWolfeLineSearch(c1: options.c1, c2: options.c2, maxEvaluations: options.maxLineSearchEvaluations)

        while true {
            if gNorm <= options.gradientTolerance {
                return finish(.gradientTolerance, "stopped: gradient norm \(sci(gNorm)) below tolerance \(sci(options.gradientTolerance))")
            }
            if iteration >= options.maxIterations {
                return finish(.iterationLimit, "stopped: reached the iteration limit of \(options.maxIterations)")
            }
            if evaluations >= options.maxEvaluations {
                return finish(.evaluationBudget, "stopped: used all \(options.maxEvaluations) evaluations (f = \(sci(fBest)))")
            }
            // Direction: two-loop recursion (Algorithm 7.4), or steepest descent without history.
            var initialStep = 1.0
            if !steepest && pairs > 0 {
                twoLoop(g, &d, s, y, rho, &alphas, newest, pairs)
            }
            var slope = steepest || pairs == 0 ? .nan : dot(g, d)
            if !(slope < 0) {                            // first step, reset, or not descent (or NaN): steepest descent
                steepest = true
                pairs = 0
                combine(&d, g, 0, g, -1)                 // d = -g
                initialStep = 1 / gNorm
                slope = dot(g, d)
            }
            // Line search on phi(a) = f(x + a d), with at most the evaluations left in the budget.
            var lineSearch = search
            lineSearch.maxEvaluations = min(options.maxLineSearchEvaluations, options.maxEvaluations - evaluations)
            let result = lineSearch.search(value0: f, derivative0: slope, initialStep: initialStep) { a in
                combine(&xTrial, x, 1, d, Float(a))      // x + a d
                let value = evaluateTrial()
                if value < fBest, gTrial.allSatisfy(\.isFinite) {
                    fBest = value
                    copy(&xBest, xTrial)
                    copy(&gBest, gTrial)
                }
                return (value, dot(gTrial, d))
            }
            var fNew: Double
            if result.outcome == .converged {            // the last evaluated point is the accepted one
                fNew = result.value
            } else if fBest < f {                        // no Wolfe step, but a lower point was evaluated: move there
                copy(&xTrial, xBest)
                copy(&gTrial, gBest)
                fNew = fBest
            } else if evaluations >= options.maxEvaluations {
                return finish(.evaluationBudget, "stopped: used all \(options.maxEvaluations) evaluations (f = \(sci(fBest)))")
            } else if !steepest {                        // retry once from scratch with steepest descent
                pairs = 0
                steepest = true
                continue
            } else {
                return finish(.lineSearchFailed(result.outcome.description),
                              "stopped: line search failed at iteration \(iteration): \(result.outcome) (f = \(sci(f)))")
            }
            // Store s_k = x_{k+1} - x_k, y_k = g_{k+1} - g_k unless s.y <= eps y.y.
            let slot = (newest + 1) % m
            if slot == s.count {
                s.append([Float](repeating: 0, count: n))
                y.append([Float](repeating: 0, count: n))
            }
            combine(&s[slot], xTrial, 1, x, -1)
            combine(&y[slot], gTrial, 1, g, -1)
            let sy = dot(s[slot], y[slot]), yy = dot(y[slot], y[slot])
            if sy > Double(Float.ulpOfOne) * yy, sy.isFinite {
                rho[slot] = 1 / sy
                newest = slot
                pairs = min(pairs + 1, m)
            } else if pairs == m {                       // skipped, but the slot held the oldest pair: it is gone
                pairs = m - 1
            }
            swap(&x, &xTrial)
            swap(&g, &gTrial)
            f = fNew
            gNorm = infinityNorm(g)
            iteration += 1
            steepest = false
            let report = LBFGSIteration(iteration: iteration, evaluations: evaluations, value: f, gradientNorm: gNorm, step: result.step)
            if !x.withUnsafeBufferPointer({ onIteration(report, $0) }) {
                return finish(.cancelled, "stopped: cancelled by the caller at iteration \(iteration) (f = \(sci(fBest)))")
            }
            // Progress over the last `progressWindow` iterations, relative to max(|f|, 1).
            let window = recent.count - 1
            recent[iteration % recent.count] = f
            if iteration >= window {
                let old = recent[(iteration - window) % recent.count]
                let decrease = (old - f) / max(abs(old), abs(f), 1)
                if decrease <= options.progressTolerance {
                    return finish(.noProgress, "stopped: f decreased by a fraction \(sci(decrease)) over \(window) iterations, "
                                  + "at most the tolerance \(sci(options.progressTolerance))")
                }
            }
        }
    }
}

/// Two-loop recursion (Nocedal & Wright Algorithm 7.4): d = -H g from the `pairs` newest pairs of the ring.
private func twoLoop(_ g: [Float], _ d: inout [Float], _ s: [[Float]], _ y: [[Float]], _ rho: [Double],
                     _ alphas: inout [Double], _ newest: Int, _ pairs: Int) {
    let m = rho.count
    d.withUnsafeMutableBufferPointer { q in
        _ = q.update(fromContentsOf: g)                  // q = g
        for back in 0..<pairs {                           // newest to oldest: alpha_i = rho_i s_i.q; q -= alpha_i y_i
            let i = (newest - back + m) % m
            alphas[i] = rho[i] * s[i].withUnsafeBufferPointer { dot($0, UnsafeBufferPointer(q)) }
            axpy(-alphas[i], y[i], q)
        }
        let gamma = 1 / (rho[newest] * dot(y[newest], y[newest]))     // gamma = s.y / y.y
        let scale = Float(gamma)
        for j in q.indices { q[j] *= scale }             // r = gamma q
        for back in stride(from: pairs - 1, through: 0, by: -1) {   // oldest to newest: r += s_i (alpha_i - rho_i y_i.r)
            let i = (newest - back + m) % m
            let beta = rho[i] * y[i].withUnsafeBufferPointer { dot($0, UnsafeBufferPointer(q)) }
            axpy(alphas[i] - beta, s[i], q)
        }
        for j in q.indices { q[j] = -q[j] }              // d = -r
    }
}

/// a . b accumulated in Double over four independent sums (lets the compiler pipeline and vectorise).
private func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    let n = min(a.count, b.count), n4 = n & ~3
    var i = 0
    while i < n4 {
        s0 += Double(a[i]) * Double(b[i]); s1 += Double(a[i + 1]) * Double(b[i + 1])
        s2 += Double(a[i + 2]) * Double(b[i + 2]); s3 += Double(a[i + 3]) * Double(b[i + 3])
        i += 4
    }
    for j in n4..<n { s0 += Double(a[j]) * Double(b[j]) }
    return (s0 + s1) + (s2 + s3)
}

/// a . b for arrays (see the buffer version).
private func dot(_ a: [Float], _ b: [Float]) -> Double {
    a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { dot(ap, $0) } }
}

/// dst = src in place (no new storage).
private func copy(_ dst: inout [Float], _ src: [Float]) {
    dst.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: src) }
}

/// out = a p + b q.
private func combine(_ out: inout [Float], _ p: [Float], _ a: Float, _ q: [Float], _ b: Float) {
    out.withUnsafeMutableBufferPointer { o in
        p.withUnsafeBufferPointer { pp in
            q.withUnsafeBufferPointer { qp in
                for i in 0..<o.count { o[i] = a * pp[i] + b * qp[i] }
            }
        }
    }
}

/// y += a x.
private func axpy(_ a: Double, _ x: [Float], _ y: UnsafeMutableBufferPointer<Float>) {
    let af = Float(a)
    x.withUnsafeBufferPointer { xp in
        for i in 0..<min(xp.count, y.count) { y[i] += af * xp[i] }
    }
}

/// ||v||_inf.
private func infinityNorm(_ v: [Float]) -> Double {
    var r: Float = 0
    for e in v { r = max(r, abs(e)) }
    return Double(r)
}

/// A number in short scientific notation, e.g. 3.1e-06.
private func sci(_ v: Double) -> String {
    String(format: "%.2g", v)
}
