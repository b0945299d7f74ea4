/// Vector operations of box-constrained optimisation: every variable kept in `lower ... upper`
/// (projected quasi-Newton methods; Bertsekas 1982, Byrd, Lu, Nocedal & Zhu 1995).
///
/// A variable is *held* at x when it sits on a bound and the gradient pushes it outward
/// (`x <= lower` and `g > 0`, or `x >= upper` and `g < 0`): a descent step cannot move it.
extension VectorOps {
    /// `v = P(v)`: every element clamped into `lower ... upper`.
    public static func project(_ v: UnsafeMutableBufferPointer<Float>, lower: Float, upper: Float) {
        guard let p = v.baseAddress else { return }
        forEachPart(v.count) { range in
            for i in range { p[i] = min(max(p[i], lower), upper) }
        }
    }

    /// The projected path at step a: `out = P(x + a d)`, and `path = d` where `x + a d` lies strictly inside
    /// the box, 0 where it is clamped, so that the derivative of `f(P(x + a d))` in a is `g(out) . path`.
    public static func projectedStep(_ out: UnsafeMutableBufferPointer<Float>, path: UnsafeMutableBufferPointer<Float>,
                                     x: UnsafeBufferPointer<Float>, step a: Float, direction d: UnsafeBufferPointer<Float>,
                                     lower: Float, upper: Float) {
        precondition(out.count == x.count && path.count == x.count && d.count == x.count, "vectors of different lengths")
        guard let po = out.baseAddress, let pp = path.baseAddress, let px = x.baseAddress, let pd = d.baseAddress else { return }
        forEachPart(out.count) { range in
            for i in range {
                let t = px[i] + a * pd[i]
                let inside = t > lower && t < upper
                po[i] = min(max(t, lower), upper)
                pp[i] = inside ? pd[i] : 0
            }
        }
    }

    /// `out = g` with the held variables set to 0 (the gradient restricted to the free variables).
    public static func freeGradient(_ out: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                                    x: UnsafeBufferPointer<Float>, lower: Float, upper: Float) {
        precondition(out.count == x.count && g.count == x.count, "vectors of different lengths")
        guard let po = out.baseAddress, let pg = g.baseAddress, let px = x.baseAddress else { return }
        forEachPart(out.count) { range in
            for i in range {
                let held = (px[i] <= lower && pg[i] > 0) || (px[i] >= upper && pg[i] < 0)
                po[i] = held ? 0 : pg[i]
            }
        }
    }

    /// Sets `d` to 0 where a variable is held or sits on a bound with `d` pointing out of the box. The projected
    /// path then leaves x along d itself, and g . d only loses terms g_i d_i >= 0 (a descent direction stays one).
    public static func clipDirection(_ d: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                                     x: UnsafeBufferPointer<Float>, lower: Float, upper: Float) {
        precondition(d.count == x.count && g.count == x.count, "vectors of different lengths")
        guard let pd = d.baseAddress, let pg = g.baseAddress, let px = x.baseAddress else { return }
        forEachPart(d.count) { range in
            for i in range {
                if px[i] <= lower {
                    pd[i] = pg[i] > 0 ? 0 : max(pd[i], 0)
                } else if px[i] >= upper {
                    pd[i] = pg[i] < 0 ? 0 : min(pd[i], 0)
                }
            }
        }
    }

    /// max |g_i| over the variables that are not held: the infinity norm of the projected gradient. (Unlike
    /// `||P(x - g) - x||_inf` of L-BFGS-B it scales with f, so a test relative to its first value is scale-free.)
    public static func freeGradientMaxAbs(gradient g: UnsafeBufferPointer<Float>, x: UnsafeBufferPointer<Float>,
                                          lower: Float, upper: Float) -> Float {
        precondition(g.count == x.count, "vectors of different lengths")
        guard let pg = g.baseAddress, let px = x.baseAddress else { return 0 }
        return Float(reduce(g.count, combine: { max($0, $1) }) { range in
            var m: Float = 0
            for i in range {
                let held = (px[i] <= lower && pg[i] > 0) || (px[i] >= upper && pg[i] < 0)
                m = max(m, held ? 0 : abs(pg[i]))
            }
            return Double(m)
        })
    }
}
