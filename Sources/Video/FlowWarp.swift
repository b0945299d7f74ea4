/// Backward warping: an image moved by a flow, each output pixel fetched from where the flow points.
public enum FlowWarp {
    /// `out(x, y) = image(x + u, y + v)` by bilinear sampling, where `(u, v)` is `flow` at `(x, y)`; a point outside the
    /// image takes the nearest border sample (clamped coordinates). With the flow from frame t to frame t−1 this
    /// brings frame t−1 (or its stylised result) into frame t's place.
    /// - Parameters:
    ///   - image: (H, W, C), row-major, any value range.
    ///   - flow: (H, W, 2), the size of `image`.
    /// - Returns: (H, W, C).
    public static func backward(_ image: [Float], width: Int, height: Int, channels: Int, flow: FlowField) -> [Float] {
        precondition(flow.width == width && flow.height == height, "the flow must have the image's size")
        precondition(image.count == width * height * channels, "image data does not match \(width)x\(height)x\(channels)")
        var out = [Float](repeating: 0, count: image.count)
        guard width > 0, height > 0 else { return out }
        image.withUnsafeBufferPointer { src in
            flow.data.withUnsafeBufferPointer { f in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in 0 ..< height {
                        for x in 0 ..< width {
                            let p = y * width + x
                            let sample = bilinear(x: Float(x) + f[2 * p], y: Float(y) + f[2 * p + 1], width: width, height: height)
                            for c in 0 ..< channels {
                                dst[p * channels + c] = sample.w00 * src[sample.i00 * channels + c] + sample.w10 * src[sample.i10 * channels + c]
                                    + sample.w01 * src[sample.i01 * channels + c] + sample.w11 * src[sample.i11 * channels + c]
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The four pixel indices around `(x, y)` (clamped to the image) and their bilinear weights.
    @inline(__always)
    static func bilinear(x: Float, y: Float, width: Int, height: Int)
        -> (i00: Int, i10: Int, i01: Int, i11: Int, w00: Float, w10: Float, w01: Float, w11: Float) {
        // A non-finite coordinate (no flow OpenCV returns has one) reads the border pixel, never traps.
        let cx = x.isFinite ? min(max(x, 0), Float(width - 1)) : 0, cy = y.isFinite ? min(max(y, 0), Float(height - 1)) : 0
        let x0 = min(Int(cx), width - 1), y0 = min(Int(cy), height - 1)
        let x1 = min(x0 + 1, width - 1), y1 = min(y0 + 1, height - 1)
        let ax = cx - Float(x0), ay = cy - Float(y0)
        return (y0 * width + x0, y0 * width + x1, y1 * width + x0, y1 * width + x1,
                (1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay)
    }
}
