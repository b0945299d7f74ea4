import ArgumentParser
import Foundation
import Imaging
import NeuralCore
import StyleTransfer
import Visualization

/// The tutorial's picture: a layer's feature maps as a grid of grey images.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Draw a layer's feature maps as a grid, each map scaled to its own min-max.")

    @Argument(help: "The image (PNG or JPEG).")
    var image: String

    @Option(name: .long, help: "The layer, e.g. block1_conv1.")
    var layer: String = "block1_conv1"

    @Flag(name: .long, help: "One sheet per layer; -o is then a folder.")
    var all = false

    @Option(name: .long, help: "How many maps, from the first channel.")
    var count: Int = 40

    @Option(name: .long, help: "Maps per row.")
    var columns: Int = 8

    @Option(name: .long, help: "Colormap: \(Colormap.allCases.map(\.rawValue).joined(separator: ", ")).")
    var colormap: Colormap = .gray

    @Option(name: .long, help: "Square input size the image is resized to, as the tutorial's target_size.")
    var size: Int = 224

    @Flag(name: .long, help: "Write each map's channel number under it.")
    var labels = false

    @Option(name: [.short, .long], help: "Output PNG (a folder with --all).")
    var output: String = "features.png"

    @Option(name: .long, help: "Also write the raw activation (1, H, W, C) as float32 .npy (a folder with --all).")
    var npy: String?

    @OptionGroup var network: NetworkOptions

    func validate() throws {
        try checkInspectionSize(size)
        guard count >= 1, columns >= 1 else { throw CLIError("--count and --columns must be at least 1") }
        if !all { guard output.lowercased().hasSuffix(".png") else { throw CLIError("\(output): output must end in .png") } }
    }

    func run() throws {
        let weights = try network.loadWeights()
        let names = weights.architecture.layerNames(includeTop: false).filter { $0 != "input_1" }
        let layers = all ? names : [layer]
        for l in layers where !names.contains(l) {
            throw CLIError("unknown layer \"\(l)\" for \(weights.architecture.name) (layers: \(names.joined(separator: ", ")))")
        }
        if all {
            for folder in [output] + (npy.map { [$0] } ?? []) {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
        }
        let picture = try RGBImage(contentsOf: image).resized(width: size, height: size)
        FileHandle.standardError.write(Data("weights: \(weights.source)\n".utf8))
        let vgg = VGGNetwork(weights: weights)
        let outputs = vgg.forward(weights.preprocessing.apply(Tensor(picture)), outputs: layers)
        for l in layers {
            let t = outputs[l]!
            let shown = min(count, t.channels)
            let sheet = try FeatureMapGrid.render(tensor: t, count: shown, columns: columns, colormap: colormap, labels: labels,
                                                  title: "\(l): channels 0-\(shown - 1) of \(t.channels), \(t.height)x\(t.width)")
            let path = all ? (output as NSString).appendingPathComponent("\(l).png") : output
            try sheet.write(to: path)
            print("\(path): \(l), \(shown) maps")
            if let npy {
                let npyPath = all ? (npy as NSString).appendingPathComponent("\(l).npy") : npy
                try AtomicFile.write(NPY.encode(t), to: npyPath)
                print("\(npyPath): \(l) activation (1, \(t.height), \(t.width), \(t.channels)) float32")
            }
        }
    }
}
