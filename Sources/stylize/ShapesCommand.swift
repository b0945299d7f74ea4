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

    @OptionGroup var input: TutorialInput

    @OptionGroup var network: NetworkOptions

    func run() throws {
        let (picture, note) = input.fit(try readImage(image), path: image)
        FileHandle.standardError.write(Data((note + "\n").utf8))
        let weights = try network.loadWeights()
        FileHandle.standardError.write(Data("weights: \(weights.source)\n".utf8))
        let vgg = network.network(weights)
        let names = weights.architecture.layerNames(includeTop: false)
        let outputs = vgg.forward(weights.preprocessing.apply(Tensor(picture)), outputs: names)
        for name in names {
            let t = outputs[name]!
            print("\(name) (1, \(t.height), \(t.width), \(t.channels))")
        }
    }
}
