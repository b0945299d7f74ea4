import NeuralCore
import XCTest

/// Central finite differences, the reference for every hand-written gradient here.
enum GradientCheck {
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
