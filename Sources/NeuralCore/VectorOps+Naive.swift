/// Plain-loop twins of `VectorOps`, one thread, Double accumulation: the references the tests hold the
/// BLAS / two-core versions to.
extension VectorOps {
    /// `a . b` summed in Double.
    public static func dotNaive(_ a: [Float], _ b: [Float]) -> Double {
        var s = 0.0
        for i in a.indices { s += Double(a[i]) * Double(b[i]) }
        return s
    }

    /// `y = scale (y + alpha x)`, then `z . y` (z nil: 0).
    public static func updateNaive(_ y: inout [Float], adding alpha: Float, times x: [Float], scale: Float = 1,
                                   thenDotWith z: [Float]?) -> Double {
        for i in y.indices { y[i] = scale * (y[i] + alpha * x[i]) }
        return z.map { dotNaive($0, y) } ?? 0
    }

    /// `max_i |v_i|`.
    public static func maxAbsNaive(_ v: [Float]) -> Float { v.reduce(0) { max($0, abs($1)) } }

    /// `(P(x + a d), path)` of `projectedStep`.
    public static func projectedStepNaive(x: [Float], step a: Float, direction d: [Float], lower: Float, upper: Float)
        -> (point: [Float], path: [Float]) {
        let t = x.indices.map { x[$0] + a * d[$0] }
        return (t.map { min(max($0, lower), upper) }, t.indices.map { t[$0] > lower && t[$0] < upper ? d[$0] : 0 })
    }

    /// max |g_i| over the variables not held at a bound.
    public static func freeGradientMaxAbsNaive(gradient g: [Float], x: [Float], lower: Float, upper: Float) -> Float {
        x.indices.reduce(0) { m, i in
            let held = (x[i] <= lower && g[i] > 0) || (x[i] >= upper && g[i] < 0)
            return max(m, held ? 0 : abs(g[i]))
        }
    }
}
