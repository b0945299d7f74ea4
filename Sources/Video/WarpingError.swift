import Imaging

/// The warping error of Lai, Huang, Wang, Shechtman, Yumer & Yang, "Learning Blind Video Temporal Consistency"
/// (ECCV 2018): how much a processed clip changes where the input says nothing moved.
public enum WarpingError {
    /// `E(O_t, O_{t+1}) = Σ_p M(p) ‖O_t(p) − Ô_{t+1}(p)‖² / Σ_p M(p)`: `Ô_{t+1}` is output t+1 warped back into frame t
    /// by the flow from input t to input t+1, `M` the non-occlusion mask of that flow (1 where the forward-backward
    /// check of `FlowConsistency` passes, before smoothing, else 0), pixels in 0...1 and the squared norm over the
    /// three channels, as Lai et al.'s `evaluate_WarpError.py`.
    /// - Parameters:
    ///   - outputs: output t and output t+1, one size.
    ///   - toNext: flow from input t to input t+1 at the outputs' size; `fromNext`: from t+1 to t.
    /// - Returns: the error and the number of pixels counted (nil when none is).
    public static func pair(outputs: (RGBImage, RGBImage), toNext: FlowField, fromNext: FlowField) -> (error: Double, pixels: Int)? {
        let (a, b) = outputs
        precondition(a.width == b.width && a.height == b.height && toNext.width == a.width && toNext.height == a.height,
                     "outputs and flows must have one size")
        let mask = FlowConsistency.unsmoothed(flow: toNext, reverse: fromNext)
        let warped = FlowWarp.backward(b.pixels.map { Float($0) / 255 }, width: b.width, height: b.height, channels: 3, flow: toNext)
        var sum = 0.0, pixels = 0
        for p in 0 ..< a.width * a.height where mask[p] >= 1 {
            for c in 0 ..< 3 {
                let d = Double(Float(a.pixels[3 * p + c]) / 255 - warped[3 * p + c])
                sum += d * d
            }
            pixels += 1
        }
        return pixels > 0 ? (sum / Double(pixels), pixels) : nil
    }
}
