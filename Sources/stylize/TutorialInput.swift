import ArgumentParser
import Imaging
import StyleTransfer

/// The input size of `features` and `shapes`: the tutorial's square `target_size` by default (224 squashes any
/// photo to 224x224, as Keras' `load_img(target_size=(224, 224))` does, so the shapes are the tutorial's), or with
/// `--keep-aspect` the longest edge at `--size` and the photo's shape kept, as `gram` and the transfer do.
struct TutorialInput: ParsableArguments {
    @Option(name: .long, help: "Input size: the image is resized to SIZExSIZE, as the tutorial's target_size, or with --keep-aspect its longest edge is (\(Preset.sizeRange.lowerBound)...\(Preset.sizeRange.upperBound)).")
    var size: Int = 224

    @Flag(name: .long, help: "Keep the image's shape (longest edge --size) instead of squashing it to a square.")
    var keepAspect = false

    func validate() throws {
        try checkSize(size)
    }

    /// The image at the network's input size, and one line saying what was done to it (for standard error).
    func fit(_ image: RGBImage, path: String) -> (image: RGBImage, note: String) {
        let from = "\(image.width)x\(image.height)"
        if keepAspect {
            let fitted = image.resized(longestEdge: size)
            return (fitted, "input: \(path) \(from) resized to \(fitted.width)x\(fitted.height) (shape kept)")
        }
        let squashed = image.resized(width: size, height: size)
        let note = image.width == image.height
            ? "input: \(path) \(from) resized to \(size)x\(size)"
            : "input: \(path) \(from) squashed to \(size)x\(size), as the tutorial's target_size (--keep-aspect keeps its shape)"
        return (squashed, note)
    }
}
