import ArgumentParser
import Foundation
import Imaging
import NeuralCore
import StyleTransfer

/// The tutorial's "feed the image through every layer and print each output's shape".
struct ShapesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shapes",
        abstract: "Feed an image through every layer and print each layer's output shape.")

    @Argument(help: "The image (PNG or JPEG).")
    var image: String

    @Option(name: .long, help: "Square input size the image is resized to, as the tutorial's target_size.")
    var size: Int = 224

    @OptionGroup var network: NetworkOptions

    func validate() throws {
        try checkInspectionSize(size)
    }

    func run() throws {
        let picture = try readImage(image).resized(width: size, height: size)
        let weights = try network.loadWeights()
        FileHandle.standardError.write(Data("weights: \(weights.source)\n".utf8))
        let vgg = VGGNetwork(weights: weights)
        let names = weights.architecture.layerNames(includeTop: false)
        let outputs = vgg.forward(weights.preprocessing.apply(Tensor(picture)), outputs: names)
        for name in names {
            let t = outputs[name]!
            print("\(name) (1, \(t.height), \(t.width), \(t.channels))")
        }
    }
}
