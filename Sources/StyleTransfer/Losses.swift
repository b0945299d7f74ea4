// The three terms of the style-transfer objective and their gradients
// (Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural Networks", CVPR 2016;
// total variation as in Mahendran & Vedaldi, "Understanding Deep Image Representations by
// Inverting Them", CVPR 2015).
//
// Notation: a feature map F is (H, W, C), seen as a matrix of M = H * W rows and C columns.
//   content  L_c = Σ (F − P)² / (2 C M)              dL_c/dF = (F − P) / (C M)
//   style    E_l = ¼ Σ_ij (G_ij − A_ij)²,  G = Fᵀ F / (C M)     dE_l/dG = ½ (G − A)
//   TV       L_tv = Σ ((x_{y+1,x} − x_{y,x})² + (x_{y,x+1} − x_{y,x})²) / (3 H W · 255²)
// Every term is a mean over its map, so weights carry over between image sizes; the style term
// is Gatys' E_l exactly (his 1 / (4 N² M²) with N = C is the 1 / (C M) inside G, squared).
import NeuralCore

/// A loss value with its gradient.
public struct LossGradient {
    public var value: Double
    /// Same shape as the loss's input.
    public var gradient: Tensor
}

/// Content loss `L_c = Σ (F − P)² / (2 C M)`.
public enum ContentLoss {
    /// - Parameters:
    ///   - features: F, (H, W, C), the current image's activation.
    ///   - target: P, (H, W, C), the content image's activation.
    public static func evaluate(_ features: Tensor, target: Tensor) -> LossGradient {
        precondition(features.shape == target.shape, "content target shape differs from the features")
        let n = features.count
        let scale = 1 / Double(max(n, 1))
        var grad = Tensor(height: features.height, width: features.width, channels: features.channels)
        var sum = 0.0
        features.data.withUnsafeBufferPointer { f in
            target.data.withUnsafeBufferPointer { p in
                grad.data.withUnsafeMutableBufferPointer { g in
                    let s = Float(scale)
                    for i in 0..<n {
                        let d = f[i] - p[i]
                        sum += Double(d * d)
                        g[i] = d * s
                    }
                }
            }
        }
        return LossGradient(value: 0.5 * sum * scale, gradient: grad)
    }
}

/// Style loss at one layer, `E_l = ¼ Σ (G − A)²` with the normalised Gram matrix `G = Fᵀ F / (C M)`.
public enum StyleLoss {
    /// - Parameters:
    ///   - features: F, (H, W, C).
    ///   - target: A, (C, C), the style's Gram matrix (already blended over several styles).
    public static func evaluate(_ features: Tensor, target: [Float]) -> LossGradient {
        let c = features.channels
        precondition(target.count == c * c, "style target must be (C, C)")
        let gram = Gram.matrix(features)
        var dG = [Float](repeating: 0, count: c * c)
        var sum = 0.0
        for i in 0..<(c * c) {
            let d = gram[i] - target[i]
            sum += Double(d) * Double(d)
            dG[i] = 0.5 * d
        }
        return LossGradient(value: 0.25 * sum, gradient: Gram.backward(features, gramGradient: dG))
    }
}

/// Total variation of an RGB image in `0...255`, normalised to a mean over pixels and channels
/// in units of full intensity: `L_tv = Σ ((x_{y+1,x} − x_{y,x})² + (x_{y,x+1} − x_{y,x})²) / (3 H W · 255²)`.
public enum TotalVariation {
    /// - Parameter image: (H, W, C) in `0...255`.
    public static func evaluate(_ image: Tensor) -> LossGradient {
        var grad = Tensor(height: image.height, width: image.width, channels: image.channels)
        let value = image.data.withUnsafeBufferPointer { x in
            grad.data.withUnsafeMutableBufferPointer { g in
                guard let x = x.baseAddress, let g = g.baseAddress else { return 0.0 }
                return accumulate(x, height: image.height, width: image.width, channels: image.channels,
                                  gradientScale: 1, into: g)
            }
        }
        return LossGradient(value: value, gradient: grad)
    }
}

extension TotalVariation {
    /// `L_tv` of `x (H, W, C)` in `0...255`, ADDING `gradientScale · dL_tv/dx` to `gradient`, without allocating
    /// (the objective's form; `evaluate` wraps it).
    /// - Returns: the unweighted `L_tv`.
    static func accumulate(_ x: UnsafePointer<Float>, height h: Int, width w: Int, channels c: Int,
                           gradientScale: Float, into gradient: UnsafeMutablePointer<Float>) -> Double {
        let scale = 1 / (Double(max(h * w * c, 1)) * 255 * 255)
        let s2 = Float(2 * scale) * gradientScale
        var sum = 0.0
        // Gradient of pixel i: differences with its right and lower neighbours (as their left/upper
        // end) and with its left and upper neighbours (as their right/lower end).
        for y in 0 ..< h {
            for xx in 0 ..< w {
                for k in 0 ..< c {
                    let i = (y * w + xx) * c + k
                    var g: Float = 0
                    if y + 1 < h { let d = x[i + w * c] - x[i]; sum += Double(d * d); g -= d }
                    if xx + 1 < w { let d = x[i + c] - x[i]; g -= d; sum += Double(d * d) }
                    if y > 0 { g += x[i] - x[i - w * c] }
                    if xx > 0 { g += x[i] - x[i - c] }
                    gradient[i] += s2 * g
                }
            }
        }
        return sum * scale
    }
}
