import NeuralCore

/// A Float vector of fixed length, allocated once (no copy-on-write, no per-step allocation).
final class LBFGSVector {
    let buffer: UnsafeMutableBufferPointer<Float>
    var readOnly: UnsafeBufferPointer<Float> { UnsafeBufferPointer(buffer) }

    init(_ values: [Float]) {
        buffer = .allocate(capacity: values.count)
        _ = buffer.initialize(from: values)
    }

    init(count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: 0)
    }

    deinit { buffer.deallocate() }
}

/// The last m curvature pairs of L-BFGS, s_i = x_{i+1} - x_i and y_i = g_{i+1} - g_i, with
/// rho_i = 1 / (y_i . s_i), and the two-loop recursion that applies the inverse-Hessian approximation H_k.
///
/// Storage: one buffer of m slots of n Floats for s and one for y, slot j at offset j n, used as a ring
/// (the newest pair overwrites the oldest). Pages of slots never written are never touched, so a short run
/// uses memory for the pairs it made only.
final class LBFGSHistory {
    /// n, the length of every vector.
    let count: Int
    /// m, the most pairs kept.
    let capacity: Int
    private let s: UnsafeMutablePointer<Float>
    private let y: UnsafeMutablePointer<Float>
    var rho: [Double]
    var yy: [Double]
    private var alpha: [Double]
    /// Pairs held (at most m).
    var pairs = 0
    /// Slot of the newest pair (-1 before the first).
    var newest = -1

    init(count n: Int, capacity m: Int) {
        let (total, overflow) = n.multipliedReportingOverflow(by: m)
        precondition(!overflow, "L-BFGS history of \(m) x \(n) Floats overflows")
        count = n
        capacity = m
        s = .allocate(capacity: max(total, 1))
        y = .allocate(capacity: max(total, 1))
        rho = [Double](repeating: 0, count: m)
        yy = rho
        alpha = rho
    }

    deinit {
        s.deallocate()
        y.deallocate()
    }

    /// Forgets every pair (the next direction is steepest descent).
    func clear() { pairs = 0 }

    func slot(_ j: Int) -> (s: UnsafeMutableBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>) {
        (UnsafeMutableBufferPointer(start: s + j * count, count: count), UnsafeMutableBufferPointer(start: y + j * count, count: count))
    }

    /// The slot the next pair is written into: after the newest, which is the oldest pair's when the ring is full.
    /// Writing it drops that oldest pair; `commit` says whether the new pair replaces it.
    func nextSlot() -> (s: UnsafeMutableBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>) {
        slot((newest + 1) % capacity)
    }

    /// Keeps the pair just written into `nextSlot()` when s . y > eps |s| |y| (eps = Float.ulpOfOne): the
    /// curvature condition that keeps H positive definite, tested on the cosine so that it does not depend on
    /// the scale of f. Returns whether the pair was kept.
    func commit(sy: Double, yy pairYY: Double, ss: Double) -> Bool {
        let next = (newest + 1) % capacity
        guard sy.isFinite, pairYY.isFinite, sy > Double(Float.ulpOfOne) * (ss * pairYY).squareRoot() else {
            if pairs == capacity { pairs = capacity - 1 }   // the slot held the oldest pair: it is gone
            return false
        }
        rho[next] = 1 / sy
        yy[next] = pairYY
        newest = next
        pairs = min(pairs + 1, capacity)
        return true
    }

    /// Two-loop recursion (Nocedal & Wright, Algorithm 7.4), then negation: q <- -H_k q.
    ///
    ///     q = g
    ///     for i = k-1 down to k-m:  alpha_i = rho_i s_i . q;   q = q - alpha_i y_i
    ///     r = gamma_k q,  gamma_k = s_{k-1} . y_{k-1} / y_{k-1} . y_{k-1}     (eq. 7.20: H_k^0 = gamma_k I)
    ///     for i = k-m up to k-1:    beta = rho_i y_i . r;      r = r + (alpha_i - beta) s_i
    ///     d = -r
    ///
    /// Each step is one `VectorOps.update` that also takes the dot product the next step needs, so a step reads
    /// one s and one y once and syncs the cores once: 2m + 1 passes, 4 m n multiply-adds.
    /// - Precondition: pairs > 0.
    func applyNegativeInverseHessian(_ q: UnsafeMutableBufferPointer<Float>) {
        precondition(pairs > 0 && q.count == count)
        let order = (0 ..< pairs).map { (newest - $0 + capacity) % capacity }   // newest first
        func sOf(_ j: Int) -> UnsafeBufferPointer<Float> { UnsafeBufferPointer(slot(j).s) }
        func yOf(_ j: Int) -> UnsafeBufferPointer<Float> { UnsafeBufferPointer(slot(j).y) }
        let gamma = 1 / (rho[newest] * yy[newest])
        var next = VectorOps.dot(sOf(order[0]), UnsafeBufferPointer(q))                      // s_newest . q
        for (k, i) in order.enumerated() {                                                   // newest to oldest
            alpha[i] = rho[i] * next
            let last = k == pairs - 1
            // q -= alpha_i y_i; on the last pair also r = gamma q and take y_oldest . r for the second loop.
            next = VectorOps.update(q, adding: Float(-alpha[i]), times: yOf(i), scale: last ? Float(gamma) : 1,
                                    thenDotWith: last ? yOf(i) : sOf(order[k + 1]))
        }
        for k in stride(from: pairs - 1, through: 0, by: -1) {                               // oldest to newest
            let i = order[k]
            let beta = rho[i] * next
            // r += (alpha_i - beta) s_i, then y_{next newer} . r; the newest pair ends with d = -r.
            next = VectorOps.update(q, adding: Float(alpha[i] - beta), times: sOf(i), scale: k == 0 ? -1 : 1,
                                    thenDotWith: k == 0 ? nil : yOf(order[k - 1]))
        }
    }
}
