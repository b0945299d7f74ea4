/// The input transforms of the two VGG weight families: Keras' 'caffe' mode
/// (`keras.applications.vgg19.preprocess_input`) and torchvision's normalisation.
extension Preprocessing {
    /// Per-channel `(scale, offset)` so that `x[c] = rgb[source(c)] * scale[c] + offset[c]`.
    private var affine: (scale: [Float], offset: [Float]) {
        switch self {
        case .caffe:
            // x = BGR - mean(B, G, R)
            return ([1, 1, 1], [-103.939, -116.779, -123.68])
        case .torch:
            // x = (rgb / 255 - mean) / std
            let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
            return ((0 ..< 3).map { 1 / (255 * std[$0]) }, (0 ..< 3).map { -mean[$0] / std[$0] })
        }
    }

    /// Network channel `c` takes RGB channel `source(c)`: caffe swaps to BGR, torch keeps RGB.
    private func source(_ c: Int) -> Int { self == .caffe ? 2 - c : c }

    /// RGB image to network input.
    ///
    /// - Parameter rgb: `(H, W, 3)`, RGB in `0...255`.
    /// - Returns: `(H, W, 3)`; caffe: BGR minus `[103.939, 116.779, 123.68]`; torch:
    ///   `(rgb / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]`, RGB.
    public func apply(_ rgb: Tensor) -> Tensor {
        precondition(rgb.channels == 3, "preprocessing needs 3 channels, got \(rgb.channels)")
        var x = rgb
        rgb.data.withUnsafeBufferPointer { s in
            x.data.withUnsafeMutableBufferPointer { d in
                guard let s = s.baseAddress, let d = d.baseAddress else { return }
                apply(s, pixels: rgb.height * rgb.width, into: d)
            }
        }
        return x
    }

    /// Network input back to RGB in `0...255` (exact inverse of `apply`, no clamping).
    ///
    /// - Parameter x: `(H, W, 3)` network input.
    /// - Returns: `(H, W, 3)` RGB.
    public func invert(_ x: Tensor) -> Tensor {
        precondition(x.channels == 3, "preprocessing needs 3 channels, got \(x.channels)")
        let (scale, offset) = affine
        var rgb = x
        x.data.withUnsafeBufferPointer { s in
            rgb.data.withUnsafeMutableBufferPointer { d in
                for p in 0 ..< x.height * x.width {
                    for c in 0 ..< 3 { d[3 * p + source(c)] = (s[3 * p + c] - offset[c]) / scale[c] }
                }
            }
        }
        return rgb
    }

    /// Chain rule through `apply`: gradient w.r.t. the network input to gradient w.r.t. RGB
    /// `0...255` (`drgb[source(c)] = dx[c] * scale[c]`: the channel swap for caffe, the
    /// factor `1 / (255 * std)` for torch).
    ///
    /// - Parameter dx: `(H, W, 3)`, d(loss)/d(network input).
    /// - Returns: `(H, W, 3)`, d(loss)/d(rgb).
    public func backward(_ dx: Tensor) -> Tensor {
        precondition(dx.channels == 3, "preprocessing needs 3 channels, got \(dx.channels)")
        var drgb = dx
        dx.data.withUnsafeBufferPointer { s in
            drgb.data.withUnsafeMutableBufferPointer { d in
                guard let s = s.baseAddress, let d = d.baseAddress else { return }
                backward(s, pixels: dx.height * dx.width, into: d)
            }
        }
        return drgb
    }

    /// `apply` on raw buffers of `pixels` RGB pixels: `rgb` into `x` (they may not overlap).
    public func apply(_ rgb: UnsafePointer<Float>, pixels: Int, into x: UnsafeMutablePointer<Float>) {
        let (scale, offset) = affine
        let s = (0 ..< 3).map(source)
        for p in 0 ..< pixels {
            for c in 0 ..< 3 { x[3 * p + c] = rgb[3 * p + s[c]] * scale[c] + offset[c] }
        }
    }

    /// `backward` on raw buffers of `pixels` pixels: `dx` into `drgb` (they may not overlap).
    public func backward(_ dx: UnsafePointer<Float>, pixels: Int, into drgb: UnsafeMutablePointer<Float>) {
        let scale = inputScale
        let s = (0 ..< 3).map(source)
        for p in 0 ..< pixels {
            for c in 0 ..< 3 { drgb[3 * p + s[c]] = dx[3 * p + c] * scale[c] }
        }
    }

    /// d(network channel c)/d(its RGB source channel), per network channel: `[1, 1, 1]` for
    /// caffe, `1 / (255 * std)` for torch.
    public var inputScale: [Float] { affine.scale }
}
