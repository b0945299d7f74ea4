import Foundation
import Imaging

/// Where a video frame's optimisation starts and what its temporal loss ties it to (Ruder, Dosovitskiy & Brox,
/// "Artistic Style Transfer for Videos", GCPR 2016): the previous frame's result warped into this frame by the
/// optical flow between the two input frames, trusted where the forward-backward check passes.
public struct FlowStart: Sendable {
    /// `c · warped + (1 − c) · frame`, rounded: the warped previous result where the flow is trusted, the photo where
    /// it is not (disoccluded pixels, motion boundaries, pixels whose flow leaves the picture), a mix in between.
    public var start: RGBImage
    /// The previous result warped into this frame, (H, W, 3) in `0...255`.
    public var warped: [Float]
    /// The consistency weight c, (H, W) in `0...1` (`FlowConsistency.weights`).
    public var weights: [Float]
    /// Seconds spent computing the two flows.
    public var flowSeconds: Double

    /// - Parameters:
    ///   - previousOutput: the previous frame's result; its size is the output size.
    ///   - previousFrame: the previous input frame, any size (resized to the output's).
    ///   - frame: this input frame, any size (resized to the output's).
    ///   - method: the flow method.
    /// - Throws: `FlowError` when OpenCV fails.
    public static func make(previousOutput: RGBImage, previousFrame: RGBImage, frame: RGBImage, method: FlowMethod) throws -> FlowStart {
        let (w, h) = (previousOutput.width, previousOutput.height)
        func fitted(_ image: RGBImage) -> RGBImage { image.width == w && image.height == h ? image : image.resized(width: w, height: h) }
        let (before, now) = (fitted(previousFrame), fitted(frame))
        let started = Date()
        // The flow from this frame to the previous one warps the previous result here; the reverse checks it.
        let backward = try FlowField.compute(from: now, to: before, method: method)
        let forward = try FlowField.compute(from: before, to: now, method: method)
        let flowSeconds = Date().timeIntervalSince(started)
        let weights = FlowConsistency.weights(flow: backward, reverse: forward)
        let warped = FlowWarp.backward(previousOutput.pixels.map(Float.init), width: w, height: h, channels: 3, flow: backward)
        var start = RGBImage(width: w, height: h)
        for p in 0 ..< w * h {
            let c = weights[p]
            for k in 0 ..< 3 {
                let v = c * warped[3 * p + k] + (1 - c) * Float(now.pixels[3 * p + k])
                start.pixels[3 * p + k] = UInt8(max(0, min(255, v.rounded())))
            }
        }
        return FlowStart(start: start, warped: warped, weights: weights, flowSeconds: flowSeconds)
    }
}
