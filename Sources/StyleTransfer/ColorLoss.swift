// The colour term of `--color match`. Matching the paintings to the photo before the transfer (ColorMatch.swift)
// gives them the photo's colour statistics, but the result's texture brings its own variance back: for
// starry_night.jpg the result's RGB covariance ends 23% of the photo's largest variance away from the photo's. This
// term holds the result's mean and covariance to the photo's while the picture forms:
//   L_col(X) = λ · (Σ_k (μ_k − μ̂_k)² / v + Σ_ab (S_ab − Ŝ_ab)² / v²)
// over the N pixels of X (RGB in 0...255), with μ and S its mean and covariance, μ̂ and Ŝ the photo's at the same
// size, and v the photo's largest variance (so both parts are relative and λ does not depend on the photo's
// contrast). Its gradient, since Σ_p (X_p − μ) = 0 removes the path through μ from S's derivative:
//   ∂L_col/∂X_p = λ · (2 (μ − μ̂) / (N v) + 4 (S − Ŝ)(X_p − μ) / (N v²))
import NeuralCore

public enum ColorLoss {
    /// λ when the preset gives none. On building.jpg in the manner of starry_night.jpg (96 px, the default VGG19
    /// weights), it brings the result's covariance within 5% of the photo's largest variance (ColorMatchTests).
    public static let defaultWeight = 10.0

    /// v: the photo's largest variance, floored (a flat photo would otherwise divide by 0).
    static func scale(_ target: ColorStatistics) -> Double {
        max((0 ..< 3).map { target.covariance[4 * $0] }.max()!, ColorMatch.covarianceFloor)
    }

    /// Returns L_col at `x` and adds its gradient (in `0...255` units) into `gradient`.
    /// - Parameters:
    ///   - x: (H, W, 3) flattened, RGB in `0...255`, `pixels` = H · W > 0.
    ///   - target: the photo's statistics at `x`'s size.
    ///   - weight: λ.
    ///   - gradient: (H, W, 3); accumulated into.
    public static func accumulate(_ x: UnsafePointer<Float>, pixels: Int, target: ColorStatistics, weight: Double,
                                  into gradient: UnsafeMutablePointer<Float>) -> Double {
        let s = ColorStatistics(x, pixels: pixels), v = scale(target)
        let n = Double(pixels)
        // g_p = a + B (X_p − μ), with a = 2λ (μ − μ̂) / (N v) and B = 4λ (S − Ŝ) / (N v²).
        let a = (0 ..< 3).map { Float(2 * weight * (s.mean[$0] - target.mean[$0]) / (n * v)) }
        let b = (0 ..< 9).map { Float(4 * weight * (s.covariance[$0] - target.covariance[$0]) / (n * v * v)) }
        let mu = s.mean.map { Float($0) }
        for p in 0 ..< pixels {
            let d0 = x[3 * p] - mu[0], d1 = x[3 * p + 1] - mu[1], d2 = x[3 * p + 2] - mu[2]
            gradient[3 * p] += a[0] + b[0] * d0 + b[1] * d1 + b[2] * d2
            gradient[3 * p + 1] += a[1] + b[3] * d0 + b[4] * d1 + b[5] * d2
            gradient[3 * p + 2] += a[2] + b[6] * d0 + b[7] * d1 + b[8] * d2
        }
        let mean = zip(s.mean, target.mean).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let covariance = zip(s.covariance, target.covariance).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        return weight * (mean / v + covariance / (v * v))
    }
}
