import Imaging

/// Frame sequences (`stylize batch --frames`): where each frame's optimisation starts, and how much the result
/// flickers.
///
/// Each frame starts from the previous frame's result blended with the frame itself, so that the strokes found for
/// the previous frame are kept where the picture did not change (Ruder, Dosovitskiy & Brox, "Artistic style transfer
/// for videos", 2016, start from the previous result warped by optical flow; without a flow, the blend with the
/// frame brings moving parts back towards the new content).
public enum FrameSequence {
    /// The starting image of a frame: `weight` · previous result + (1 − weight) · frame, the frame resized to the
    /// result's size. Weight 0 starts from the frame alone (independent frames), 1 from the previous result alone.
    /// - Parameters:
    ///   - previous: the previous frame's output.
    ///   - frame: this frame's content image, any size.
    public static func start(previous: RGBImage, frame: RGBImage, weight: Double) -> RGBImage {
        let fitted = frame.width == previous.width && frame.height == previous.height
            ? frame : frame.resized(width: previous.width, height: previous.height)
        var out = RGBImage(width: previous.width, height: previous.height)
        let w = Float(weight)
        for i in 0..<out.pixels.count {
            let v = w * Float(previous.pixels[i]) + (1 - w) * Float(fitted.pixels[i])
            out.pixels[i] = UInt8(max(0, min(255, v.rounded())))
        }
        return out
    }

    /// Largest channel difference (0...255) at which two input frames count as alike at a pixel: JPEG noise of a
    /// still camera stays under it, any real change goes over it.
    public static let staticThreshold = 8

    /// Flicker between two consecutive outputs: the mean absolute difference (0...255, over the three channels)
    /// of the outputs over the static pixels, those whose input frames differ by at most `staticThreshold` in every
    /// channel there and at the 8 neighbours. Nil when the two outputs differ in size or no pixel is static.
    /// - Parameters:
    ///   - outputs: the previous and this frame's outputs, (H, W, 3) each.
    ///   - frames: the previous and this frame's content images (resized to the outputs' size when they differ).
    public static func flicker(outputs: (RGBImage, RGBImage), frames: (RGBImage, RGBImage)) -> (mean: Double, pixels: Int)? {
        let (a, b) = outputs
        guard a.width == b.width, a.height == b.height, a.width > 0, a.height > 0 else { return nil }
        let fit = { (f: RGBImage) in f.width == a.width && f.height == a.height ? f : f.resized(width: a.width, height: a.height) }
        let (fa, fb) = (fit(frames.0), fit(frames.1))
        let w = a.width, h = a.height
        var changed = [Bool](repeating: false, count: w * h)
        for p in 0..<(w * h) {
            for c in 0..<3 where abs(Int(fa.pixels[3 * p + c]) - Int(fb.pixels[3 * p + c])) > staticThreshold { changed[p] = true }
        }
        var sum = 0, pixels = 0
        for y in 0..<h {
            for x in 0..<w {
                var moving = false
                for dy in -1...1 {
                    for dx in -1...1 {
                        let yy = y + dy, xx = x + dx
                        if yy >= 0, yy < h, xx >= 0, xx < w, changed[yy * w + xx] { moving = true }
                    }
                }
                if moving { continue }
                let p = y * w + x
                for c in 0..<3 { sum += abs(Int(a.pixels[3 * p + c]) - Int(b.pixels[3 * p + c])) }
                pixels += 1
            }
        }
        guard pixels > 0 else { return nil }
        return (Double(sum) / Double(3 * pixels), pixels)
    }
}
