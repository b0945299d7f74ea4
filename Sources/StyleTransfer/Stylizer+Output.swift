import Imaging
import NeuralCore

extension Stylizer {
    /// The picture of an iterate as the run writes it: the tensor clamped to 8-bit RGB, for the final image and every
    /// intermediate alike (with `original_colors` the iterate already has the photo's chroma, LuminanceTransfer.swift).
    /// - Parameter x: the iterate's picture, (H, W, 3) in `0...255`.
    public func outputImage(_ x: Tensor) -> RGBImage { RGBImage(x) }
}
