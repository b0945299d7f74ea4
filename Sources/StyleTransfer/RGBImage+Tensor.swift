import Imaging
import NeuralCore

extension Tensor {
    /// The image's pixels as floats in `0...255`, (H, W, 3), RGB.
    public init(_ image: RGBImage) {
        self.init(height: image.height, width: image.width, channels: 3, data: image.pixels.map { Float($0) })
    }
}

extension RGBImage {
    /// The tensor's values rounded and clamped to `0...255`.
    /// - Parameter tensor: (H, W, 3), RGB in `0...255`.
    public init(_ tensor: Tensor) {
        precondition(tensor.channels == 3, "an RGB image needs 3 channels, not \(tensor.channels)")
        let pixels = tensor.data.map { v -> UInt8 in
            guard v.isFinite else { return 0 }
            return UInt8(Swift.max(0, Swift.min(255, v.rounded())))
        }
        self.init(width: tensor.width, height: tensor.height, pixels: pixels)
    }
}
