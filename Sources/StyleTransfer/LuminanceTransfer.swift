// Luminance-only transfer (Gatys, Ecker, Bethge, Hertzmann & Shechtman, "Controlling Perceptual Factors in Neural
// Style Transfer", CVPR 2017, section 5.1), the implementation of `--color keep` (`original_colors`): the optimised
// variable is the luminance, the photo's chroma stays fixed, so the image optimised is the image written.
//
// BT.601 luma Y = 0.299 R + 0.587 G + 0.114 B. Fixing the chroma (Cb ∝ B − Y, Cr ∝ R − Y) fixes every channel's
// offset from the luma, so with the photo's offsets o_c = photo_c − Y_photo the written picture is
//   RGB_c = y + o_c                                       (c = R, G, B)
// and RGB stays inside 0...255 exactly when y lies in [lo, hi], lo = max_c(−o_c), hi = min_c(255 − o_c), an
// interval that holds the photo's own luma. L-BFGS keeps one box for every variable, so each pixel's variable is
// t ∈ [0, 255] with
//   y = lo + (hi − lo) t / 255
// (a pixel of fully saturated colour has hi = lo: its luma cannot change without leaving the gamut). The map from
// t to RGB is linear and fixed, so the gradient is the chain rule through it:
//   ∂L/∂t = (hi − lo) / 255 · (∂L/∂R + ∂L/∂G + ∂L/∂B).
// Inside the pixel box every iterate is a valid picture, so the loss L-BFGS reports is the written file's (up to
// 8-bit rounding); without the box (`--no-box`) t may leave 0...255 and the picture is clamped on writing.
//
// The style images enter as their luminance, grey (R = G = B = Y), with the luminance's mean and standard
// deviation made the photo's, Y' = μ_c + σ_c / σ_s (Y − μ_s), as the paper does, so that the Gram targets describe
// strokes and texture in the photo's range of light, not the paintings' colours.
import NeuralCore

/// The luminance variable of one scale: the photo's chroma, and each pixel's interval of luma.
public struct LuminanceVariable: Sendable {
    /// BT.601 luma weights of R, G and B.
    public static let lumaWeights: (Float, Float, Float) = (0.299, 0.587, 0.114)

    public let width: Int
    public let height: Int
    /// o_c = photo_c − Y_photo, (H, W, 3).
    let offsets: [Float]
    /// lo and hi − lo per pixel, (H, W).
    let lower: [Float]
    let span: [Float]

    /// The variable of a photo `(H, W, 3)` in `0...255`: its chroma is the one every iterate keeps.
    public init(photo: Tensor) {
        precondition(photo.channels == 3, "the photo is RGB")
        (width, height) = (photo.width, photo.height)
        let pixels = photo.height * photo.width
        var offsets = [Float](repeating: 0, count: 3 * pixels)
        var lower = [Float](repeating: 0, count: pixels), span = [Float](repeating: 0, count: pixels)
        for p in 0 ..< pixels {
            let (r, g, b) = (photo.data[3 * p], photo.data[3 * p + 1], photo.data[3 * p + 2])
            let y = Self.luma(r, g, b)
            let o = (r - y, g - y, b - y)
            (offsets[3 * p], offsets[3 * p + 1], offsets[3 * p + 2]) = o
            let lo = max(-o.0, -o.1, -o.2), hi = min(255 - o.0, 255 - o.1, 255 - o.2)
            lower[p] = lo
            span[p] = max(0, hi - lo)
        }
        (self.offsets, self.lower, self.span) = (offsets, lower, span)
    }

    public static func luma(_ r: Float, _ g: Float, _ b: Float) -> Float {
        lumaWeights.0 * r + lumaWeights.1 * g + lumaWeights.2 * b
    }

    /// The picture of a variable: `rgb` (H, W, 3) ← y(t) + o, overwritten.
    /// - Parameter t: (H, W), the variable, in `0...255` inside the pixel box.
    public func rgb(_ t: UnsafeBufferPointer<Float>, into rgb: UnsafeMutableBufferPointer<Float>) {
        precondition(t.count == width * height && rgb.count == 3 * t.count, "the variable is (H, W), the picture (H, W, 3)")
        for p in 0 ..< t.count {
            let y = lower[p] + span[p] * (t[p] / 255)
            for c in 0 ..< 3 { rgb[3 * p + c] = y + offsets[3 * p + c] }
        }
    }

    /// The picture of a variable, as a tensor (H, W, 3).
    public func rgb(_ t: [Float]) -> Tensor {
        var out = Tensor(height: height, width: width, channels: 3)
        t.withUnsafeBufferPointer { t in out.data.withUnsafeMutableBufferPointer { rgb(t, into: $0) } }
        return out
    }

    /// The gradient of the variable from the picture's: `dt` (H, W) ← (hi − lo)/255 · Σ_c `dRGB`_c, overwritten.
    public func pullBack(_ dRGB: UnsafeBufferPointer<Float>, into dt: UnsafeMutableBufferPointer<Float>) {
        precondition(dt.count == width * height && dRGB.count == 3 * dt.count, "the variable is (H, W), the picture (H, W, 3)")
        for p in 0 ..< dt.count {
            dt[p] = span[p] / 255 * (dRGB[3 * p] + dRGB[3 * p + 1] + dRGB[3 * p + 2])
        }
    }

    /// The variable whose picture has `image`'s luma, clamped into each pixel's interval: a start (the photo itself,
    /// noise, a coarser scale's result) in the photo's colours.
    /// - Parameter image: (H, W, 3) at this variable's size.
    public func variable(of image: Tensor) -> [Float] {
        precondition(image.width == width && image.height == height && image.channels == 3, "the image is (H, W, 3) at the variable's size")
        return (0 ..< width * height).map { p in
            let y = Self.luma(image.data[3 * p], image.data[3 * p + 1], image.data[3 * p + 2])
            return span[p] > 0 ? min(max((y - lower[p]) / span[p] * 255, 0), 255) : 0
        }
    }

    /// A style image as the luminance transfer sees it: its luma with the photo's mean and standard deviation,
    /// Y' = μ_c + σ_c / σ_s (Y − μ_s), as a grey image (H', W', 3), in float (not clamped to 8 bits, like
    /// `ColorTransform`).
    public static func matchedLuminance(of style: Tensor, to photo: Tensor) -> Tensor {
        func lumas(_ t: Tensor) -> [Float] { (0 ..< t.height * t.width).map { luma(t.data[3 * $0], t.data[3 * $0 + 1], t.data[3 * $0 + 2]) } }
        func moments(_ v: [Float]) -> (mean: Double, deviation: Double) {
            let n = Double(max(1, v.count))
            let mean = v.reduce(0.0) { $0 + Double($1) } / n
            let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
            return (mean, variance.squareRoot())
        }
        let y = lumas(style), (ms, ss) = moments(y), (mc, sc) = moments(lumas(photo))
        // A flat style (σ_s = 0) stays flat, at the photo's mean.
        let gain = ss > 0 ? sc / ss : 0
        var out = Tensor(height: style.height, width: style.width, channels: 3)
        for p in 0 ..< y.count {
            let v = Float(mc + gain * (Double(y[p]) - ms))
            for c in 0 ..< 3 { out.data[3 * p + c] = v }
        }
        return out
    }
}
