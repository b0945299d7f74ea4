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

/// How the L-BFGS history stores its pairs.
public enum HistoryPrecision: String, Sendable, CaseIterable {
    /// 4 bytes per value.
    case float32
    /// 2 bytes per value: bfloat16, Float's range with 8 bits of precision (VectorOps+BFloat16.swift). Each vector
    /// is stored divided by its own norm (kept in Double), so that scaling the objective scales the norms and leaves
    /// the rounded values as they were: the run does not depend on the objective's scale. The pairs' dot products
    /// (rho, gamma) are taken on the stored values, so the two-loop recursion applies exactly the positive definite
    /// H of the stored pairs.
    case bfloat16
}

/// The last m curvature pairs of L-BFGS, s_i = x_{i+1} - x_i and y_i = g_{i+1} - g_i, with
/// rho_i = 1 / (y_i . s_i), and the two-loop recursion that applies the inverse-Hessian approximation H_k.
///
/// Storage: one buffer of m slots of n values for s and one for y (Float or bfloat16), slot j at offset j n, used as
/// a ring (the newest pair overwrites the oldest). Pages of slots never written are never touched, so a short run
/// uses memory for the pairs it made only. With bfloat16 a pair is written into two Float vectors first
/// (`pendingPair`), then rounded and packed by `commit`.
final class LBFGSHistory {
    /// n, the length of every vector.
    let count: Int
    /// m, the most pairs kept.
    let capacity: Int
    let precision: HistoryPrecision
    /// s and y slots: Floats for `.float32`, UInt16 for `.bfloat16`.
    let s: UnsafeMutableRawPointer
    let y: UnsafeMutableRawPointer
    /// The pair being written (bfloat16 only; Float32 writes straight into the next slot).
    private let pendingS: LBFGSVector?
    private let pendingY: LBFGSVector?
    var rho: [Double]
    var yy: [Double]
    /// bfloat16: the norms the slots' s and y were divided by (1 for Float32).
    var sNorm: [Double]
    var yNorm: [Double]
    private var alpha: [Double]
    /// Pairs held (at most m).
    var pairs = 0
    /// Slot of the newest pair (-1 before the first).
    var newest = -1

    init(count n: Int, capacity m: Int, precision: HistoryPrecision = .bfloat16) {
        let bytesPerValue = precision == .float32 ? MemoryLayout<Float>.stride : MemoryLayout<UInt16>.stride
        let (total, overflow) = n.multipliedReportingOverflow(by: m)
        let (bytes, overflow2) = max(total, 1).multipliedReportingOverflow(by: bytesPerValue)
        precondition(!overflow && !overflow2, "L-BFGS history of \(m) x \(n) values overflows")
        count = n
        capacity = m
        self.precision = precision
        s = .allocate(byteCount: bytes, alignment: 64)
        y = .allocate(byteCount: bytes, alignment: 64)
        pendingS = precision == .bfloat16 ? LBFGSVector(count: n) : nil
        pendingY = precision == .bfloat16 ? LBFGSVector(count: n) : nil
        rho = [Double](repeating: 0, count: m)
        yy = rho
        alpha = rho
        sNorm = [Double](repeating: 1, count: m)
        yNorm = sNorm
    }

    deinit {
        s.deallocate()
        y.deallocate()
    }

    /// Bytes of the stored pairs at full capacity (what a run at this size may come to hold), plus the pending pair.
    static func bytes(count n: Int, capacity m: Int, precision: HistoryPrecision) -> Int {
        precision == .float32 ? 2 * m * n * 4 : 2 * m * n * 2 + 2 * n * 4
    }

    /// Forgets every pair (the next direction is steepest descent).
    func clear() { pairs = 0 }

    func floats(_ base: UnsafeMutableRawPointer, _ j: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: base.assumingMemoryBound(to: Float.self) + j * count, count: count)
    }

    func halves(_ base: UnsafeMutableRawPointer, _ j: Int) -> UnsafeMutablePointer<UInt16> {
        base.assumingMemoryBound(to: UInt16.self) + j * count
    }

    /// Where the next pair is written, as Floats: the next slot itself (Float32), after the newest, which is the
    /// oldest pair's when the ring is full; or the pending vectors (bfloat16). `commit` says whether it is kept.
    func nextSlot() -> (s: UnsafeMutableBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>) {
        if let pendingS, let pendingY { return (pendingS.buffer, pendingY.buffer) }
        let next = (newest + 1) % capacity
        return (floats(s, next), floats(y, next))
    }

    /// Keeps the pair just written into `nextSlot()` when s . y > eps |s| |y| (eps = Float.ulpOfOne): the
    /// curvature condition that keeps H positive definite, tested on the cosine so that it does not depend on
    /// the scale of f, and on the values as stored. Returns whether the pair was kept.
    func commit() -> Bool {
        let next = (newest + 1) % capacity
        let (ps, py) = nextSlot()
        let (sv, yv) = (UnsafeBufferPointer(ps), UnsafeBufferPointer(py))
        var sigmaS = 1.0, sigmaY = 1.0
        if precision == .bfloat16 {
            sigmaS = VectorOps.dot(sv, sv).squareRoot()
            sigmaY = VectorOps.dot(yv, yv).squareRoot()
            guard sigmaS > 0, sigmaY > 0, sigmaS.isFinite, sigmaY.isFinite else { return false }
            VectorOps.update(ps, adding: 0, times: sv, scale: Float(1 / sigmaS), thenDotWith: nil)
            VectorOps.update(py, adding: 0, times: yv, scale: Float(1 / sigmaY), thenDotWith: nil)
            VectorOps.roundToBFloat16(ps)
            VectorOps.roundToBFloat16(py)
        }
        let sy = VectorOps.dot(sv, yv) * sigmaS * sigmaY, pairYY = VectorOps.dot(yv, yv) * sigmaY * sigmaY
        let ss = VectorOps.dot(sv, sv) * sigmaS * sigmaS
        guard sy.isFinite, pairYY.isFinite, sy > Double(Float.ulpOfOne) * (ss * pairYY).squareRoot() else {
            if pairs == capacity && precision == .float32 { pairs = capacity - 1 }   // the slot held the oldest pair: it is gone
            return false
        }
        if precision == .bfloat16 {
            VectorOps.encodeBFloat16(sv, into: halves(s, next))
            VectorOps.encodeBFloat16(yv, into: halves(y, next))
        }
        rho[next] = 1 / sy
        yy[next] = pairYY
        sNorm[next] = sigmaS
        yNorm[next] = sigmaY
        newest = next
        pairs = min(pairs + 1, capacity)
        return true
    }

    /// Two-loop recursion (Nocedal & Wright, Algorithm 7.4), then negation: q <- -H_k q.
    ///
    ///     q = g
    ///     for i = k-1 down to k-m:  alpha_i = rho_i s_i . q;   q = q - alpha_i y_i
    ///     r = gamma_k q,  gamma_k = s_{k-1} . y_{k-1} / y_{k-1} . y_{k-1}     (eq. 7.20: H_k^0 = gamma_k I)
    ///         or r = gamma_k M q with a preconditioner M (H_k^0 = gamma_k M)
    ///     for i = k-m up to k-1:    beta = rho_i y_i . r;      r = r + (alpha_i - beta) s_i
    ///     d = -r
    ///
    /// Each step is one `VectorOps.update` that also takes the dot product the next step needs, so a step reads
    /// one s and one y once and syncs the cores once: 2m + 1 passes, 4 m n multiply-adds (a preconditioner adds its
    /// own pass and one dot product).
    /// - Precondition: pairs > 0.
    func applyNegativeInverseHessian(_ q: UnsafeMutableBufferPointer<Float>, preconditioner: PyramidPreconditioner? = nil) {
        precondition(pairs > 0 && q.count == count)
        let order = (0 ..< pairs).map { (newest - $0 + capacity) % capacity }   // newest first
        let gamma = 1 / (rho[newest] * yy[newest])
        let compact = precision == .bfloat16
        func norm(_ base: UnsafeMutableRawPointer, _ j: Int) -> Double { base == s ? sNorm[j] : yNorm[j] }
        func dot(_ base: UnsafeMutableRawPointer, _ j: Int) -> Double {
            compact ? norm(base, j) * VectorOps.dot(UnsafeBufferPointer(q), bfloat16: halves(base, j))
                    : VectorOps.dot(UnsafeBufferPointer(floats(base, j)), UnsafeBufferPointer(q))
        }
        // q = scale (q + a x_j), then z_k . q (x and z are s or y slots; stored vectors times their norms).
        func update(_ a: Double, _ x: UnsafeMutableRawPointer, _ j: Int, scale: Float,
                    then z: (base: UnsafeMutableRawPointer, slot: Int)?) -> Double {
            if compact {
                let d = VectorOps.update(q, adding: Float(a * norm(x, j)), timesBFloat16: halves(x, j), scale: scale,
                                         thenDotWithBFloat16: z.map { halves($0.base, $0.slot) })
                return z.map { d * norm($0.base, $0.slot) } ?? 0
            }
            return VectorOps.update(q, adding: Float(a), times: UnsafeBufferPointer(floats(x, j)), scale: scale,
                                    thenDotWith: z.map { UnsafeBufferPointer(floats($0.base, $0.slot)) })
        }
        var next = dot(s, order[0])                                                          // s_newest . q
        for (k, i) in order.enumerated() {                                                   // newest to oldest
            alpha[i] = rho[i] * next
            let last = k == pairs - 1
            // q -= alpha_i y_i; on the last pair also r = gamma q and take y_oldest . r for the second loop.
            if last, let preconditioner {
                _ = update(-alpha[i], y, i, scale: Float(gamma), then: nil)
                preconditioner.apply(q)
                next = dot(y, i)
            } else {
                next = update(-alpha[i], y, i, scale: last ? Float(gamma) : 1, then: last ? (y, i) : (s, order[k + 1]))
            }
        }
        for k in stride(from: pairs - 1, through: 0, by: -1) {                               // oldest to newest
            let i = order[k]
            let beta = rho[i] * next
            // r += (alpha_i - beta) s_i, then y_{next newer} . r; the newest pair ends with d = -r.
            next = update(alpha[i] - beta, s, i, scale: k == 0 ? -1 : 1, then: k == 0 ? nil : (y, order[k - 1]))
        }
    }
}
