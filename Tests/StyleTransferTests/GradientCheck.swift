import NeuralCore
import XCTest

/// Central finite differences, the reference for every hand-written gradient here.
enum GradientCheck {
    /// Directional derivatives `(f(x + h v) − f(x − h v)) / 2h` against `g · v` for `directions` directions `v`
    /// mixing the gradient itself (normalised) with seeded noise: a purely random direction is nearly orthogonal to
    /// g, so its derivative drowns in float32 rounding.
    /// - Returns: the worst relative error `|numeric − analytic| / |analytic|`.
    static func worstDirectionalError(x: [Float], gradient: [Float], directions: Int = 3, h: Float = 0.03,
                                      seed: UInt64 = 99, f: ([Float]) -> Double) -> Double {
        var rng = SplitMix64(seed: seed)
        var worst = 0.0
        for _ in 0 ..< directions {
            let gmax = gradient.map { abs($0) }.max()!
            let v = gradient.map { $0 / gmax + 0.5 * Float(rng.nextNormal()) }
            let numeric = (f(zip(x, v).map { $0 + h * $1 }) - f(zip(x, v).map { $0 - h * $1 })) / Double(2 * h)
            let analytic = zip(gradient, v).map { Double($0) * Double($1) }.reduce(0, +)
            worst = max(worst, abs(numeric - analytic) / abs(analytic))
        }
        return worst
    }

    /// Compares `analytic` with `(f(x + h e_i) − f(x − h e_i)) / 2h` at `samples` random coordinates.
    /// - Returns: the worst relative error `|a − n| / max(|a|, |n|, floor)`.
    static func worstRelativeError(x: [Float], analytic: [Float], samples: Int, h: Float, floor: Double,
                                   seed: UInt64 = 7, f: ([Float]) -> Double) -> (error: Double, index: Int) {
        var rng = SplitMix64(seed: seed)
        var worst = (error: 0.0, index: -1)
        let indices = x.count <= samples ? Array(0..<x.count) : (0..<samples).map { _ in Int(rng.next() % UInt64(x.count)) }
        for i in indices {
            var xp = x, xm = x
            xp[i] += h
            xm[i] -= h
            let numeric = (f(xp) - f(xm)) / Double(2 * h)
            let a = Double(analytic[i])
            let err = abs(a - numeric) / max(abs(a), abs(numeric), floor)
            if err > worst.error { worst = (err, i) }
        }
        return worst
    }

    static func randomTensor(_ h: Int, _ w: Int, _ c: Int, seed: UInt64, scale: Double = 1, offset: Double = 0) -> Tensor {
        var rng = SplitMix64(seed: seed)
        var t = Tensor(height: h, width: w, channels: c)
        for i in 0..<t.count { t.data[i] = Float(offset + scale * rng.nextNormal()) }
        return t
    }
}
