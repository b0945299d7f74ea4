// Limited-memory BFGS for minimising a smooth function of many Float variables, optionally inside a box.
//
// References:
//   D. C. Liu, J. Nocedal, "On the limited memory BFGS method for large scale optimization",
//     Mathematical Programming 45, 1989.
//   J. Nocedal, S. J. Wright, "Numerical Optimization", 2nd ed., Springer 2006: Algorithm 7.4 (two-loop
//     recursion), eq. (7.20) (initial Hessian scaling), Algorithm 7.5 (L-BFGS); line search in LineSearch.swift.
//   D. P. Bertsekas, "Projected Newton methods for optimization problems with simple constraints",
//     SIAM J. Control and Optimization 20, 1982 (held variables, projected search path).
//   R. H. Byrd, P. Lu, J. Nocedal, C. Zhu, "A limited memory algorithm for bound constrained optimization",
//     SIAM J. Scientific Computing 16, 1995 (L-BFGS-B).
//
// With s_k = x_{k+1} - x_k, y_k = g_{k+1} - g_k, rho_k = 1 / (y_k . s_k), the direction is d_k = -H_k g_k where
// H_k applies the last m pairs to H_k^0 = gamma_k I, gamma_k = s_{k-1} . y_{k-1} / y_{k-1} . y_{k-1}
// (LBFGS+History.swift), or to H_k^0 = gamma_k M with M a symmetric positive definite smoothing of the image
// (`LBFGSOptions.preconditioner`, PyramidPreconditioner.swift). Variables, gradients and the history are Float; dot
// products sum in Double.
//
// In a box l <= x <= u, a variable is held when it sits on a bound and -g points out of the box. The direction
// is d = -P_F H P_F g, where P_F zeroes the held variables: for a positive definite H, g . d =
// -(P_F g)^T H (P_F g) < 0, so d descends (Bertsekas' projected Newton direction, with the L-BFGS matrix). Where
// a free variable on a bound has d pointing outward, d is set to 0 too. The line search runs on the projected
// path x(a) = P(x + a d), whose derivative is g(x(a)) . d over the variables x(a) has not clamped.
import Dispatch
import Foundation
import NeuralCore

/// Settings of `LBFGS`.
public struct LBFGSOptions: Sendable {
    /// Number m of curvature pairs (s, y) kept.
    public var historySize = 100
    /// How the pairs are stored: bfloat16 halves the history's memory (LBFGS+History.swift).
    public var historyPrecision: HistoryPrecision = .bfloat16
    /// Most objective evaluations (each is a forward and backward pass); never exceeded.
    public var maxEvaluations = 1000
    /// Most accepted steps.
    public var maxIterations = Int.max
    /// Stop when the projected gradient's infinity norm falls to or below this fraction of its value at x0.
    /// Relative, so scaling f does not change the stop.
    public var gradientTolerance: Double = 1e-7
    /// Stop when f decreased by at most this fraction of |f| over the last `progressWindow` iterations.
    public var progressTolerance: Double = 1e-9
    /// Iterations over which progress is measured.
    public var progressWindow = 5
    /// The inverse Hessian's seed is gamma M with M this smoothing of an image's variables (nil: gamma I).
    /// The first step and steps after a history reset stay steepest descent.
    public var preconditioner: PyramidPreconditioner? = nil
    /// Sufficient-decrease constant of the line search.
    public var c1 = 1e-4
    /// Curvature constant of the line search.
    public var c2 = 0.9
    /// Most evaluations one line search may use.
    public var maxLineSearchEvaluations = 20
    /// Every variable is kept in this range (nil: unconstrained). The start is projected into it.
    public var bounds: ClosedRange<Float>? = nil
    /// The first step (and a step after a history reset) is a probe along -g: its trial step 1/||g||_inf is kept
    /// on sufficient decrease alone, so it costs one evaluation and yields the first pair (s, y), whose
    /// gamma = s.y / y.y scales every later step. Off: the probe must also meet the curvature condition, which
    /// makes the line search extrapolate for a few evaluations first.
    public var probeFirstStep = true
    /// Stop at the first evaluation whose f or gradient is not finite (`LBFGSStop.nonFiniteValue`), for objectives
    /// that are finite wherever they are defined (style transfer's: a NaN or infinity there means bad weights or
    /// overflowing loss weights, and no step length cures it). Off: the line search backtracks from such a point.
    public var stopsOnNonFiniteValue = false

    public init() {}
}

/// Why `LBFGS.minimize` stopped.
public enum LBFGSStop: Sendable, Equatable, CustomStringConvertible {
    case gradientTolerance, noProgress, evaluationBudget, iterationLimit, lineSearchFailed(String), cancelled
    /// f or its gradient was not finite at this evaluation (1-based) and `LBFGSOptions.stopsOnNonFiniteValue` is on.
    case nonFiniteValue(evaluation: Int)

    public var description: String {
        switch self {
        case .gradientTolerance: "stopped: the gradient norm fell below the tolerance"
        case .noProgress: "stopped: the objective no longer decreased by the required fraction"
        case .evaluationBudget: "stopped: the evaluation budget is used up"
        case .iterationLimit: "stopped: the iteration limit was reached"
        case .lineSearchFailed(let why): "stopped: the line search failed (\(why))"
        case .cancelled: "stopped: cancelled by the caller"
        case .nonFiniteValue(let evaluation): "stopped: the loss or its gradient is not finite at evaluation \(evaluation)"
        }
    }
}

/// Progress report: once at the start (iteration 0, after evaluating x0), then after each accepted step.
public struct LBFGSIteration: Sendable {
    /// Accepted steps so far (0 at the start).
    public let iteration: Int
    /// Objective evaluations so far.
    public let evaluations: Int
    /// f at the iterate.
    public let value: Double
    /// Infinity norm of the projected gradient (the gradient of the variables not held on a bound) at the iterate.
    public let gradientNorm: Double
    /// Accepted line-search step length along the search direction (0 at the start).
    public let step: Double
    /// Seconds spent in the objective since the previous report.
    public let objectiveSeconds: Double
    /// Seconds of the optimizer's own work (direction, line search, history) since the previous report,
    /// excluding the objective and the report callback.
    public let optimizerSeconds: Double
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

/// Limited-memory BFGS with a strong-Wolfe line search (Liu & Nocedal 1989; Nocedal & Wright Alg. 7.5), with
/// optional bounds handled by projection (see the top of this file).
///
/// - The first step (and any step after a history reset) is steepest descent with trial step 1/||g||_inf,
///   so the first trial point moves the largest component by 1; by default it is kept on sufficient decrease
///   alone (`probeFirstStep`).
/// - Every test is invariant to scaling f by a constant: the gradient test is relative to the first gradient, the
///   progress test relative to |f|, the curvature test of a pair on the cosine of s and y.
/// - If the line search finds no acceptable step, the run moves to the best point it evaluated if that is lower;
///   otherwise it clears the history and retries once with steepest descent before stopping.
/// - Memory: 2m + 8 vectors of n Floats (x, g, their trial values, d, the projected path, the best x and its g;
///   7 without bounds, where the path is d); the history's pages are touched as pairs arrive.
public final class LBFGS {
    public let options: LBFGSOptions

    public init(options: LBFGSOptions) {
        self.options = options
    }

    /// Minimises f starting at x0.
    /// - Parameters:
    ///   - x0: starting point, n Floats (projected into `options.bounds`).
    ///   - objective: evaluates f(x) and writes the gradient into `gradient` (same count as x); returns f.
    ///   - onIteration: called at the start and after each accepted step with the iterate; return false to cancel
    ///     (the best x so far is returned).
    /// - Complexity: per iteration, about 4 m n multiply-adds over both cores besides the evaluations.
    public func minimize(_ x0: [Float], objective: (_ x: UnsafeBufferPointer<Float>, _ gradient: UnsafeMutableBufferPointer<Float>) -> Double,
                         onIteration: (LBFGSIteration, UnsafeBufferPointer<Float>) -> Bool = { _, _ in true }) -> LBFGSResult {
        minimize(x0, resumingFrom: nil, objective: objective) { it, x, _ in onIteration(it, x) }
    }

    /// Minimises f starting at x0, or continues a run from a state taken at one of its reports.
    ///
    /// A run resumed from the state of its report k makes exactly the evaluations, steps and reports that the
    /// uninterrupted run makes after report k (same options, same objective): the state holds everything the loop
    /// carries from one step to the next (see `LBFGSState`).
    /// - Parameters:
    ///   - x0: starting point, n Floats (projected into `options.bounds`); ignored when resuming.
    ///   - state: a state from `onIteration`'s `snapshot` of a run with the same options and objective, or nil.
    ///   - onIteration: as above; `snapshot` returns the state at this report (it copies every vector, so call it
    ///     only when the state is wanted).
    ///   - onFinish: called once as the run stops, with a `snapshot` of its last state (resuming that state stops
    ///     again at once for the same reason, except after a failed line search, which it retries).
    public func minimize(_ x0: [Float], resumingFrom state: LBFGSState?,
                         objective: (_ x: UnsafeBufferPointer<Float>, _ gradient: UnsafeMutableBufferPointer<Float>) -> Double,
                         onIteration: (LBFGSIteration, UnsafeBufferPointer<Float>, _ snapshot: () -> LBFGSState) -> Bool,
                         onFinish: ((_ snapshot: () -> LBFGSState) -> Void)? = nil) -> LBFGSResult {
        let n = state?.x.count ?? x0.count, m = max(options.historySize, 1)
        let lower = options.bounds?.lowerBound ?? -.infinity, upper = options.bounds?.upperBound ?? .infinity
        let boxed = options.bounds != nil
        var x = LBFGSVector(state?.x ?? x0), g = LBFGSVector(count: n)
        var xTrial = LBFGSVector(count: n), gTrial = LBFGSVector(count: n)
        let d = LBFGSVector(count: n), path = boxed ? LBFGSVector(count: n) : d
        let xBest = LBFGSVector(count: n), gBest = LBFGSVector(count: n)
        let history = LBFGSHistory(count: n, capacity: m, precision: options.historyPrecision)
        var recent = [Double](repeating: 0, count: max(options.progressWindow, 1) + 1)   // f of the last iterates
        var evaluations = 0, iteration = 0
        var nonFiniteAt: Int? = nil   // the first evaluation with a non-finite f, when `stopsOnNonFiniteValue`
        if boxed && state == nil { VectorOps.project(x.buffer, lower: lower, upper: upper) }

        // Clock: objective time and optimizer time since the last report.
        var objectiveNanoseconds: UInt64 = 0
        var reportedAt = DispatchTime.now().uptimeNanoseconds
        func evaluate(_ point: LBFGSVector, _ gradient: LBFGSVector) -> Double {
            evaluations += 1
            let start = DispatchTime.now().uptimeNanoseconds
            let value = objective(point.readOnly, gradient.buffer)
            objectiveNanoseconds += DispatchTime.now().uptimeNanoseconds - start
            if options.stopsOnNonFiniteValue && nonFiniteAt == nil
                && !(value.isFinite && VectorOps.dot(gradient.readOnly, gradient.readOnly).isFinite) {   // NaN and inf propagate
                nonFiniteAt = evaluations
            }
            return value
        }
        func freeNorm(_ gradient: LBFGSVector, _ point: LBFGSVector) -> Double {
            Double(boxed ? VectorOps.freeGradientMaxAbs(gradient: gradient.readOnly, x: point.readOnly, lower: lower, upper: upper)
                         : VectorOps.maxAbs(gradient.readOnly))
        }

        guard options.maxEvaluations > 0 else {
            return LBFGSResult(x: Array(x.buffer), value: .nan, iterations: 0, evaluations: 0, stop: .evaluationBudget,
                               message: "stopped: the evaluation budget is 0, so x0 was not evaluated")
        }
        var f: Double, fBest: Double
        if let state {
            precondition(state.isConsistent && state.pairs.count <= m, "L-BFGS: the state to resume does not match these options")
            _ = g.buffer.update(fromContentsOf: state.gradient)
            _ = xBest.buffer.update(fromContentsOf: state.best)
            _ = gBest.buffer.update(fromContentsOf: state.bestGradient)
            (f, fBest) = (state.value, state.bestValue)
            history.restore(state.pairs)
            recent = state.recentValues
            (evaluations, iteration) = (state.evaluations, state.iterations)
        } else {
            f = evaluate(x, g)
            fBest = f
            VectorOps.copy(xBest.buffer, x.readOnly)
            VectorOps.copy(gBest.buffer, g.readOnly)
        }
        var finalSnapshot: (() -> LBFGSState)? = nil   // set once the state is complete, for `onFinish`
        func finish(_ stop: LBFGSStop, _ message: String) -> LBFGSResult {
            if let finalSnapshot, let onFinish { onFinish(finalSnapshot) }
            return LBFGSResult(x: Array(xBest.buffer), value: fBest, iterations: iteration, evaluations: evaluations, stop: stop, message: message)
        }
        /// The stop at a non-finite f: no `onFinish` (a state holding it cannot be resumed); the best point is the
        /// lowest finite one (x0 when f(x0) is not finite: fBest is then not finite either).
        func nonFinite(_ evaluation: Int) -> LBFGSResult {
            LBFGSResult(x: Array(xBest.buffer), value: fBest, iterations: iteration, evaluations: evaluations,
                        stop: .nonFiniteValue(evaluation: evaluation),
                        message: "stopped: f or its gradient is not finite at evaluation \(evaluation) (best finite f = \(sci(fBest)))")
        }
        if let at = nonFiniteAt { return nonFinite(at) }
        guard f.isFinite, VectorOps.dot(g.readOnly, g.readOnly).isFinite else {
            return finish(.lineSearchFailed("objective not finite at x0"), "stopped: f or its gradient is not finite at the starting point")
        }
        var gNorm = freeNorm(g, x)
        let gNorm0 = state?.initialGradientNorm ?? gNorm
        if state == nil { recent[0] = f }
        var steepest = state?.steepest ?? true, step = state?.step ?? 0.0
        let search = StrongWolfeLineSearch(c1: options.c1, c2: options.c2, maxEvaluations: options.maxLineSearchEvaluations)

        /// Everything the loop carries from this report to the next step.
        func snapshot() -> LBFGSState {
            LBFGSState(x: Array(x.buffer), gradient: Array(g.buffer), value: f,
                       best: Array(xBest.buffer), bestGradient: Array(gBest.buffer), bestValue: fBest,
                       pairs: history.pairsOldestFirst(), recentValues: recent, evaluations: evaluations, iterations: iteration,
                       initialGradientNorm: gNorm0, steepest: steepest, step: step)
        }
        finalSnapshot = snapshot
        /// Reports the iterate; false when the caller cancels. The callback's own time is not counted.
        func report() -> Bool {
            let now = DispatchTime.now().uptimeNanoseconds
            let total = Double(now - reportedAt) * 1e-9, inObjective = Double(objectiveNanoseconds) * 1e-9
            let it = LBFGSIteration(iteration: iteration, evaluations: evaluations, value: f, gradientNorm: gNorm, step: step,
                                    objectiveSeconds: inObjective, optimizerSeconds: max(0, total - inObjective))
            let keepGoing = onIteration(it, x.readOnly, snapshot)
            objectiveNanoseconds = 0
            reportedAt = DispatchTime.now().uptimeNanoseconds
            return keepGoing
        }
        if state == nil && !report() {
            return finish(.cancelled, "stopped: cancelled by the caller at the start (f = \(sci(fBest)))")
        }

        while true {
            // Progress over the last `progressWindow` iterations, relative to |f| (0 when f stayed exactly 0). Tested
            // at the top of the loop, after the report of the step that made it, so that a resumed run tests it too.
            let window = recent.count - 1
            if iteration >= window {
                let old = recent[(iteration - window) % recent.count]
                let size = max(abs(old), abs(f))
                let decrease = size > 0 ? (old - f) / size : 0
                if decrease <= options.progressTolerance {
                    return finish(.noProgress, "stopped: f decreased by a fraction \(sci(decrease)) over \(window) iterations, "
                                  + "at most the tolerance \(sci(options.progressTolerance))")
                }
            }
            if gNorm <= options.gradientTolerance * gNorm0 {
                return finish(.gradientTolerance, "stopped: gradient norm \(sci(gNorm)) below tolerance \(sci(options.gradientTolerance))"
                              + " x its initial \(sci(gNorm0))")
            }
            if iteration >= options.maxIterations {
                return finish(.iterationLimit, "stopped: reached the iteration limit of \(options.maxIterations)")
            }
            if evaluations >= options.maxEvaluations {
                return finish(.evaluationBudget, "stopped: used all \(options.maxEvaluations) evaluations (f = \(sci(fBest)))")
            }
            // Direction d = -P_F H P_F g: the two-loop recursion (Algorithm 7.4) on the free gradient, or steepest
            // descent without history; then clipped where it points out of the box.
            func direction() -> Double {
                if boxed {
                    VectorOps.freeGradient(d.buffer, gradient: g.readOnly, x: x.readOnly, lower: lower, upper: upper)
                } else {
                    VectorOps.copy(d.buffer, g.readOnly)
                }
                if steepest || history.pairs == 0 {
                    steepest = true
                    history.clear()
                    VectorOps.update(d.buffer, adding: 0, times: d.readOnly, scale: -1, thenDotWith: nil)   // d = -g
                } else {
                    history.applyNegativeInverseHessian(d.buffer, preconditioner: options.preconditioner)
                }
                if boxed { VectorOps.clipDirection(d.buffer, gradient: g.readOnly, x: x.readOnly, lower: lower, upper: upper) }
                return VectorOps.dot(g.readOnly, d.readOnly)
            }
            var slope = direction()
            if !(slope < 0) && !steepest {               // not a descent direction (or NaN): steepest descent
                steepest = true
                slope = direction()
            }
            let initialStep = steepest ? 1 / Double(VectorOps.maxAbs(d.readOnly)) : 1.0
            // Line search on phi(a) = f(P(x + a d)), with at most the evaluations left in the budget.
            var lineSearch = search
            lineSearch.maxEvaluations = min(options.maxLineSearchEvaluations, options.maxEvaluations - evaluations)
            // Only the first step is a probe. A later steepest-descent step (its pair was rejected, or the history was
            // reset) runs the full strong-Wolfe search, which extrapolates from the one-grey-level trial step until the
            // curvature condition holds; probing again would take one-grey-level steps for as long as the pairs
            // keep being rejected.
            lineSearch.acceptsFirstSufficientDecrease = steepest && options.probeFirstStep && iteration == 0
            let result = lineSearch.search(value0: f, derivative0: slope, initialStep: initialStep) { a in
                if nonFiniteAt != nil { return (.nan, .nan) }   // stopping: no more evaluations
                if boxed {
                    VectorOps.projectedStep(xTrial.buffer, path: path.buffer, x: x.readOnly, step: Float(a), direction: d.readOnly,
                                            lower: lower, upper: upper)
                } else {
                    VectorOps.combine(xTrial.buffer, 1, x.readOnly, Float(a), d.readOnly)      // x + a d
                }
                let value = evaluate(xTrial, gTrial)
                let derivative = VectorOps.dot(gTrial.readOnly, path.readOnly)   // not finite if g is not
                if value < fBest, derivative.isFinite {
                    fBest = value
                    VectorOps.copy(xBest.buffer, xTrial.readOnly)
                    VectorOps.copy(gBest.buffer, gTrial.readOnly)
                }
                return (value, derivative)
            }
            if let at = nonFiniteAt { return nonFinite(at) }
            var fNew: Double
            if result.outcome == .converged || result.outcome == .sufficientDecrease {   // the last evaluated point
                fNew = result.value
            } else if fBest < f {                        // no Wolfe step, but a lower point was evaluated: move there
                VectorOps.copy(xTrial.buffer, xBest.readOnly)
                VectorOps.copy(gTrial.buffer, gBest.readOnly)
                fNew = fBest
            } else if evaluations >= options.maxEvaluations {
                return finish(.evaluationBudget, "stopped: used all \(options.maxEvaluations) evaluations (f = \(sci(fBest)))")
            } else if !steepest {                        // retry once from scratch with steepest descent
                steepest = true
                continue
            } else {
                return finish(.lineSearchFailed(result.outcome.description),
                              "stopped: line search failed at iteration \(iteration): \(result.outcome) (f = \(sci(f)))")
            }
            // Store s_k = x_{k+1} - x_k, y_k = g_{k+1} - g_k (the pair is kept only if s.y > eps |s||y|).
            let (sSlot, ySlot) = history.nextSlot()
            VectorOps.combine(sSlot, 1, xTrial.readOnly, -1, x.readOnly)
            VectorOps.combine(ySlot, 1, gTrial.readOnly, -1, g.readOnly)
            _ = history.commit()
            swap(&x, &xTrial)
            swap(&g, &gTrial)
            f = fNew
            gNorm = freeNorm(g, x)
            iteration += 1
            step = result.step
            steepest = false
            recent[iteration % recent.count] = f
            if !report() {
                return finish(.cancelled, "stopped: cancelled by the caller at iteration \(iteration) (f = \(sci(fBest)))")
            }
        }
    }
}

/// A number in short scientific notation, e.g. 3.1e-06.
private func sci(_ v: Double) -> String {
    String(format: "%.2g", v)
}
