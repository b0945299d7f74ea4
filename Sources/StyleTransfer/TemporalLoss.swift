import NeuralCore

/// What the temporal loss ties a video frame to: the previous frame's result warped into this frame by optical flow,
/// and how far each pixel's warp can be trusted.
///
/// Ruder, Dosovitskiy & Brox, "Artistic Style Transfer for Videos" (GCPR 2016), eq. 7: the short-term temporal loss.
public struct TemporalTarget: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// The warped previous result, (H, W, 3), RGB in `0...255`.
    public var warped: [Float]
    /// The consistency weight c per pixel, (H, W), in `0...1` (0: disoccluded or on a motion boundary).
    public var weights: [Float]

    public init(width: Int, height: Int, warped: [Float], weights: [Float]) {
        precondition(warped.count == width * height * 3 && weights.count == width * height,
                     "a temporal target is (H, W, 3) and its weights (H, W)")
        self.width = width
        self.height = height
        self.warped = warped
        self.weights = weights
    }
}

/// The temporal loss and its gradient.
///
/// `L_t(x) = (λ_t / N) Σ_i c_i (x_i − w_i)²` over the N = H · W · 3 values, with x and w the image and the warped
/// previous result in `0...1` (the objective's `0...255` divided by 255, so that λ_t does not depend on the pixel
/// scale), and c the pixel's consistency weight for each of its channels.
/// `∂L_t/∂x_i = (2 λ_t / N) c_i (x_i − w_i)` in `0...1` units, that is `(2 λ_t / (N · 255²)) c_i (X_i − W_i)` for
/// `0...255` values X and W.
public enum TemporalLoss {
    /// λ_t when the preset gives none. On 8 frames of vtest.avi at 128 px, 5000 gave the same warping error and a
    /// style term 0.7% higher (README, Video); not tuned further.
    public static let defaultWeight = 1000.0

    /// L_t at `x`.
    /// - Parameters:
    ///   - x: (H, W, 3), RGB in `0...255`.
    ///   - target: the warped previous result and the weights, at `x`'s size.
    ///   - weight: λ_t.
    public static func value(_ x: UnsafePointer<Float>, target: TemporalTarget, weight: Double) -> Double {
        let pixels = target.width * target.height
        var sum = 0.0
        for p in 0 ..< pixels {
            let c = Double(target.weights[p])
            for k in 0 ..< 3 {
                let d = Double(x[3 * p + k] - target.warped[3 * p + k]) / 255
                sum += c * d * d
            }
        }
        return weight * sum / Double(max(1, 3 * pixels))
    }

    /// Returns L_t at `x` and adds its gradient with respect to `x` (in `0...255` units) into `gradient`
    /// (accumulates: the caller has already written the other terms' gradient there).
    /// - Parameters:
    ///   - x: (H, W, 3), RGB in `0...255`.
    ///   - gradient: (H, W, 3); accumulated into.
    public static func accumulate(_ x: UnsafePointer<Float>, target: TemporalTarget, weight: Double,
                                  into gradient: UnsafeMutablePointer<Float>) -> Double {
        let pixels = target.width * target.height
        let n = Double(max(1, 3 * pixels))
        // d/dX of (λ/N) c ((X − W)/255)² = (2λ / (N · 255²)) c (X − W)
        let scale = Float(2 * weight / (n * 255 * 255))
        var sum = 0.0
        target.warped.withUnsafeBufferPointer { w in
            target.weights.withUnsafeBufferPointer { c in
                for p in 0 ..< pixels {
                    let cp = c[p]
                    var local: Float = 0
                    for k in 0 ..< 3 {
                        let i = 3 * p + k
                        let d = x[i] - w[i]
                        local += d * d
                        gradient[i] += scale * cp * d
                    }
                    sum += Double(cp * local)
                }
            }
        }
        return weight * sum / (n * 255 * 255)
    }
}
