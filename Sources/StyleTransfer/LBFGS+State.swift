/// Everything `LBFGS.minimize` carries from one accepted step to the next, taken at a report (see
/// `LBFGS.minimize(_:resumingFrom:objective:onIteration:)`), so that a run can stop and continue exactly.
///
/// A report falls between two steps, where no line search is in progress: the line search starts afresh at every
/// step from `value`, the slope along the new direction and the initial step (1, or 1/||d||_inf after a steepest
/// step), so its state between steps is `steepest` and the last accepted `step`. The options and the objective are
/// not part of the state; the caller resumes with the same ones.
public struct LBFGSState: Sendable, Equatable {
    /// One curvature pair: s_k = x_{k+1} - x_k, y_k = g_{k+1} - g_k, rho_k = 1 / (y_k . s_k), and y_k . y_k.
    public struct Pair: Sendable, Equatable {
        public var s: [Float]
        public var y: [Float]
        public var rho: Double
        public var yy: Double
        public init(s: [Float], y: [Float], rho: Double, yy: Double) {
            self.s = s
            self.y = y
            self.rho = rho
            self.yy = yy
        }
    }

    /// The iterate x_k, n Floats, and the gradient and f there.
    public var x: [Float]
    public var gradient: [Float]
    public var value: Double
    /// The lowest point evaluated so far (what a stop returns), its gradient and f.
    public var best: [Float]
    public var bestGradient: [Float]
    public var bestValue: Double
    /// The history, oldest pair first (at most `historySize`).
    public var pairs: [Pair]
    /// f of the last `progressWindow + 1` iterates, a ring indexed by iteration.
    public var recentValues: [Double]
    /// Objective evaluations and accepted steps so far.
    public var evaluations: Int
    public var iterations: Int
    /// The projected gradient's infinity norm at x0, which the gradient stop is relative to.
    public var initialGradientNorm: Double
    /// The next direction is steepest descent (no usable history).
    public var steepest: Bool
    /// The last accepted step length.
    public var step: Double

    public init(x: [Float], gradient: [Float], value: Double, best: [Float], bestGradient: [Float], bestValue: Double,
                pairs: [Pair], recentValues: [Double], evaluations: Int, iterations: Int, initialGradientNorm: Double,
                steepest: Bool, step: Double) {
        self.x = x
        self.gradient = gradient
        self.value = value
        self.best = best
        self.bestGradient = bestGradient
        self.bestValue = bestValue
        self.pairs = pairs
        self.recentValues = recentValues
        self.evaluations = evaluations
        self.iterations = iterations
        self.initialGradientNorm = initialGradientNorm
        self.steepest = steepest
        self.step = step
    }

    /// n, the number of variables.
    public var count: Int { x.count }

    /// Every vector has n entries and the counters are not negative.
    public var isConsistent: Bool {
        let n = x.count
        return gradient.count == n && best.count == n && bestGradient.count == n
            && pairs.allSatisfy { $0.s.count == n && $0.y.count == n } && !recentValues.isEmpty
            && evaluations >= 0 && iterations >= 0
    }
}

extension LBFGSHistory {
    /// The pairs held, oldest first.
    func pairsOldestFirst() -> [LBFGSState.Pair] {
        (0 ..< pairs).reversed().map { age in
            let j = (newest - age + capacity) % capacity
            let (s, y) = slot(j)
            return LBFGSState.Pair(s: Array(s), y: Array(y), rho: rho[j], yy: yy[j])
        }
    }

    /// Replaces the history by `list` (oldest first) in slots 0 ..< count, the newest last: the two-loop recursion
    /// and the ring's next slot behave as they did for the history the list was taken from.
    func restore(_ list: [LBFGSState.Pair]) {
        precondition(list.count <= capacity && list.allSatisfy { $0.s.count == count && $0.y.count == count })
        for (j, pair) in list.enumerated() {
            let (s, y) = slot(j)
            _ = s.update(fromContentsOf: pair.s)
            _ = y.update(fromContentsOf: pair.y)
            rho[j] = pair.rho
            yy[j] = pair.yy
        }
        pairs = list.count
        newest = list.count - 1
    }
}
