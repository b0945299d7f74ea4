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

    @Option(name: .long, help: "The layer, e.g. block1_conv1 (or relu1_1).")
    var layer: String = "block1_conv1"

    @Flag(name: .long, help: "One sheet per layer; -o is then a folder.")
    var all = false

    @Option(name: .long, help: "How many maps, from the first channel.")
    var count: Int = 40

    @Option(name: .long, help: "Maps per row.")
    var columns: Int = 8

    @Option(name: .long, help: "Colormap: \(colormapNames).")
    var colormap: Colormap = .gray

    @OptionGroup var input: TutorialInput

    @Flag(name: .long, help: "Write each map's channel number under it.")
    var labels = false

    @Option(name: [.short, .long], help: "Output PNG (a folder with --all).")
    var output: String = "features.png"

    @Option(name: .long, help: "Also write the raw activation (1, H, W, C) as float32 .npy (a folder with --all).")
    var npy: String?

    @OptionGroup var network: NetworkOptions

    func validate() throws {
        guard count >= 1, columns >= 1 else { throw CLIError("--count and --columns must be at least 1") }
        if all {
            try OutputPath.checkFolder(output, option: "-o", why: "--all writes one sheet per layer")
            if let npy { try OutputPath.checkFolder(npy, option: "--npy", why: "--all writes one .npy per layer") }
        } else {
            try OutputPath.checkFile(output, option: "-o", extensions: ["png"])
            if let npy { try OutputPath.checkFile(npy, option: "--npy", extensions: ["npy"]) }
        }
        try fileRoles().check()
    }

    /// Reads: the image and the weights. Writes: the sheet and the .npy file, or with --all one of each per layer
    /// in the -o and --npy folders.
    func fileRoles() -> FileRoles {
        var roles = FileRoles()
        roles.reads = [(image, "image")] + network.reads
        if all {
            let layers = Set(VGGArchitecture.vgg19.layerNames(includeTop: false))
            roles.folders.append((output, "-o", { $0.hasSuffix(".png") && layers.contains(String($0.dropLast(4))) }))
            if let npy { roles.folders.append((npy, "--npy", { $0.hasSuffix(".npy") && layers.contains(String($0.dropLast(4))) })) }
        } else {
            roles.writes = [(output, "-o")] + (npy.map { [($0, "--npy")] } ?? [])
        }
        return roles
    }

    func run() throws {
        let weights = try network.loadWeights()
        let layers = all ? weights.architecture.lossLayerNames : [VGGArchitecture.kerasName(layer)]
        do { try weights.architecture.validate(layers: layers) } catch {
            throw CLIError("--layer \(layer): \(error) (the weights in use: \(weights.source))")
        }
        let (picture, note) = input.fit(try readImage(image), path: image)
        Console.error(note + "\n")
        if all {
            for folder in [output] + (npy.map { [$0] } ?? []) { try OutputPath.makeFolder(folder) }
        }
        FileHandle.standardError.write(Data("weights: \(weights.source)\n".utf8))
        let vgg = network.network(weights)
        let outputs = vgg.forward(weights.preprocessing.apply(Tensor(picture)), outputs: layers)
        for l in layers {
            let t = outputs[l]!
            let shown = min(count, t.channels)
            let sheet = try FeatureMapGrid.render(tensor: t, count: shown, columns: columns, colormap: colormap, labels: labels,
                                                  title: "\(l): channels 0-\(shown - 1) of \(t.channels), \(t.height)x\(t.width)")
            let path = all ? (output as NSString).appendingPathComponent("\(l).png") : output
            try sheet.write(to: path)
            Console.output("\(path): \(l), \(shown) maps\n")
            if let npy {
                let npyPath = all ? (npy as NSString).appendingPathComponent("\(l).npy") : npy
                try AtomicFile.write(NPY.encode(t), to: npyPath)
                Console.output("\(npyPath): \(l) activation (1, \(t.height), \(t.width), \(t.channels)) float32\n")
            }
        }
    }
}
