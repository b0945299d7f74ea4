import Foundation

/// Where a flow can be trusted: the forward-backward check of Ruder, Dosovitskiy & Brox, "Artistic Style Transfer
/// for Videos" (GCPR 2016), as their `consistencyChecker/consistencyChecker.cpp` (manuelruder/artistic-videos)
/// computes it, which follows Sundaram, Brox & Keutzer (ECCV 2010).
public enum FlowConsistency {
    /// A disoccluded pixel's value before smoothing (the checker's −255 of 255): negative, so that the smoothing
    /// spreads the distrust outwards; the result is clipped to 0...1 afterwards.
    static let disoccluded: Float = -1
    /// A motion boundary's value (the checker's `MOTION_BOUNDARIE_VALUE`, 0).
    static let motionBoundary: Float = 0
    /// The checker's `SMOOTH_STRENGH` (a Gaussian's σ) and `CSmooth`'s precision: radius ⌈2 · 0.8⌉ = 2.
    static let smoothingSigma: Float = 0.8
    static let smoothingRadius = 2

    /// The per-pixel weight in 0...1 of the warped previous frame in frame t, before the smoothing step.
    ///
    /// With `w` the flow from t to t−1 at pixel p and `ŵ` the flow from t−1 to t at `p + w` (bilinear):
    /// - 0 where `p + w` leaves the image: where its 2×2 neighbourhood does not fit, so that with a zero flow the
    ///   last row and column get 0 too (the checker's `x2 >= xSize || y2 >= ySize`);
    /// - disoccluded (−1) where `|w + ŵ|² ≥ 0.01 (|w|² + |ŵ|²) + 0.5`;
    /// - a motion boundary (0) where `|∇w|² > 0.01 |w|² + 0.002`, the gradient by central differences
    ///   (`CDerivative(3)`, mirrored at the border) of both components in x and y;
    /// - else 1.
    /// The checker states both tests of the motion boundary on the flow it checks, `w` (its `flow1`).
    /// - Parameters:
    ///   - flow: the flow from frame t to frame t−1, (H, W, 2): the flow that warps frame t−1 into t (the checker's
    ///     first argument, artistic-videos' `backward_t_t-1.flo`).
    ///   - reverse: the flow from frame t−1 to frame t, (H, W, 2) (`forward_t-1_t.flo`).
    /// - Returns: (H, W), values −1, 0 or 1.
    public static func unsmoothed(flow: FlowField, reverse: FlowField) -> [Float] {
        precondition(flow.width == reverse.width && flow.height == reverse.height, "the two flows must have one size")
        let (width, height) = (flow.width, flow.height)
        var reliable = [Float](repeating: 1, count: width * height)
        let w = flow.data, r = reverse.data
        func mirrored(_ i: Int, _ n: Int) -> Int { i < 0 ? min(n - 1, -1 - i) : i >= n ? max(0, 2 * n - 1 - i) : i }
        for y in 0 ..< height {
            for x in 0 ..< width {
                let p = y * width + x
                let u2 = w[2 * p], v2 = w[2 * p + 1]
                let bx = Float(x) + u2, by = Float(y) + v2
                guard bx.isFinite, by.isFinite else { reliable[p] = 0; continue }
                let x1f = bx.rounded(.down), y1f = by.rounded(.down)
                guard x1f >= 0, y1f >= 0, x1f + 1 < Float(width), y1f + 1 < Float(height) else { reliable[p] = 0; continue }
                let x1 = Int(x1f), y1 = Int(y1f), x2 = x1 + 1, y2 = y1 + 1
                let ax = bx - x1f, ay = by - y1f
                func sample(_ c: Int) -> Float {
                    let a = (1 - ax) * r[2 * (y1 * width + x1) + c] + ax * r[2 * (y1 * width + x2) + c]
                    let b = (1 - ax) * r[2 * (y2 * width + x1) + c] + ax * r[2 * (y2 * width + x2) + c]
                    return (1 - ay) * a + ay * b
                }
                let u = sample(0), v = sample(1)
                // c − p = (b + ŵ) − p = w + ŵ
                let dx = bx + u - Float(x), dy = by + v - Float(y)
                if dx * dx + dy * dy >= 0.01 * (u2 * u2 + v2 * v2 + u * u + v * v) + 0.5 {
                    reliable[p] = disoccluded
                    continue
                }
                var edge: Float = 0
                for c in 0 ..< 2 {
                    let gx = 0.5 * (w[2 * (y * width + mirrored(x + 1, width)) + c] - w[2 * (y * width + mirrored(x - 1, width)) + c])
                    let gy = 0.5 * (w[2 * (mirrored(y + 1, height) * width + x) + c] - w[2 * (mirrored(y - 1, height) * width + x) + c])
                    edge += gx * gx + gy * gy
                }
                if edge > 0.01 * (u2 * u2 + v2 * v2) + 0.002 { reliable[p] = motionBoundary }
            }
        }
        return reliable
    }

    /// The consistency weight `c` in 0...1 of the temporal loss: `unsmoothed` smoothed by the checker's Gaussian
    /// (σ 0.8, 5 taps, mirrored at the border, x then y) and clipped to 0...1.
    /// - Returns: (H, W).
    public static func weights(flow: FlowField, reverse: FlowField) -> [Float] {
        var values = smoothed(unsmoothed(flow: flow, reverse: reverse), width: flow.width, height: flow.height)
        for i in values.indices { values[i] = min(max(values[i], 0), 1) }
        return values
    }

    /// The separable Gaussian of `CSmooth(0.8, 2)`, mirrored at the border as the checker's `NFilter::filter` does
    /// (index −1 reads 0, index W reads W−1).
    static func smoothed(_ values: [Float], width: Int, height: Int) -> [Float] {
        let r = smoothingRadius
        var taps = (-r ... r).map { i in Float(exp(Double(i * i) / (-2 * Double(smoothingSigma * smoothingSigma)))) }
        let sum = taps.reduce(0, +)
        taps = taps.map { $0 / sum }
        func mirrored(_ i: Int, _ n: Int) -> Int {
            var j = i
            while j < 0 || j >= n { j = j < 0 ? -1 - j : 2 * n - 1 - j }
            return j
        }
        var rows = [Float](repeating: 0, count: values.count)
        for y in 0 ..< height {
            for x in 0 ..< width {
                var s: Float = 0
                for i in -r ... r { s += taps[i + r] * values[y * width + mirrored(x + i, width)] }
                rows[y * width + x] = s
            }
        }
        var out = [Float](repeating: 0, count: values.count)
        for y in 0 ..< height {
            for x in 0 ..< width {
                var s: Float = 0
                for i in -r ... r { s += taps[i + r] * rows[mirrored(y + i, height) * width + x] }
                out[y * width + x] = s
            }
        }
        return out
    }
}
