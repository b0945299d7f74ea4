import Imaging
import NeuralCore

extension Stylizer {
    /// The picture of an iterate as the run writes it: the tensor clamped to 8-bit RGB and, with
    /// `original_colors`, given the content's chroma, for the final image and every intermediate alike.
    /// - Parameters:
    ///   - x: the iterate, (H, W, 3) in `0...255`.
    ///   - content: the content photo at the iterate's size.
    public func outputImage(_ x: Tensor, content: RGBImage) -> RGBImage {
        let image = RGBImage(x)
        return preset.originalColors ? OriginalColors.apply(stylized: image, content: content) : image
    }
}
