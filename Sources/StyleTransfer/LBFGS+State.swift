/// Everything `LBFGS.minimize` carries from one accepted step to the next, taken at a report (see
/// `LBFGS.minimize(_:resumingFrom:objective:onIteration:)`), so that a run can stop and continue exactly.
///
/// A report falls between two steps, where no line search is in progress: the line search starts afresh at every
/// step from `value`, the slope along the new direction and the initial step (1, or 1/||d||_inf after a steepest
/// step), so its state between steps is `steepest` and the last accepted `step`. The options and the objective are
/// not part of the state; the caller resumes with the same ones.
public struct LBFGSState: Sendable, Equatable {
    /// One curvature pair as the history stores it: s_k = x_{k+1} - x_k and y_k = g_{k+1} - g_k (with bfloat16,
    /// each divided by its norm `sNorm`, `yNorm` and rounded: the stored values, widened to Float exactly),
    /// rho_k = 1 / (y_k . s_k) and y_k . y_k.
    public struct Pair: Sendable, Equatable {
        public var s: [Float]
        public var y: [Float]
        public var rho: Double
        public var yy: Double
        public var sNorm: Double
        public var yNorm: Double
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
    /// The pairs held, oldest first (bfloat16 values widened to Float, which is exact).
    func pairsOldestFirst() -> [LBFGSState.Pair] {
        (0 ..< pairs).reversed().map { age in
            let j = (newest - age + capacity) % capacity
            return LBFGSState.Pair(s: values(s, j), y: values(y, j), rho: rho[j], yy: yy[j], sNorm: sNorm[j], yNorm: yNorm[j])
        }
    }

    /// Slot j of s or y as Floats.
    private func values(_ base: UnsafeMutableRawPointer, _ j: Int) -> [Float] {
        if precision == .float32 { return Array(floats(base, j)) }
        let h = halves(base, j)
        return (0 ..< count).map { Float(bitPattern: UInt32(h[$0]) << 16) }
    }

    /// Writes Floats into slot j of s or y (for bfloat16, values that came from `values`, so the narrowing is exact).
    private func store(_ list: [Float], _ base: UnsafeMutableRawPointer, _ j: Int) {
        if precision == .float32 { _ = floats(base, j).update(fromContentsOf: list); return }
        let h = halves(base, j)
        for i in 0 ..< count { h[i] = UInt16(truncatingIfNeeded: list[i].bitPattern >> 16) }
    }

    /// Replaces the history by `list` (oldest first) in slots 0 ..< count, the newest last: the two-loop recursion
    /// and the ring's next slot behave as they did for the history the list was taken from.
    func restore(_ list: [LBFGSState.Pair]) {
        precondition(list.count <= capacity && list.allSatisfy { $0.s.count == count && $0.y.count == count })
        for (j, pair) in list.enumerated() {
            store(pair.s, s, j)
            store(pair.y, y, j)
            rho[j] = pair.rho
            yy[j] = pair.yy
            sNorm[j] = pair.sNorm
            yNorm[j] = pair.yNorm
        }
        pairs = list.count
        newest = list.count - 1
    }
}

/// For run plans and checkpoints, which store the precision by name.
extension HistoryPrecision: Codable {}
