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
        try fileRoles().check()
    }

    /// Reads: the image and the weights. Writes: the sheet and the .npy file, or with --all one of each per layer
    /// in the -o and --npy folders.
    func fileRoles() -> FileRoles {
        var roles = FileRoles()
        roles.reads = [(image, "image")]
        if let weights = try? WeightsLoader.locate(network.weights, projectRoot: ProjectPaths.root) {
            roles.reads.append((weights, "--weights"))
        }
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
        let picture = try readImage(image).resized(width: size, height: size)
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
            Console.output("\(path): \(l), \(shown) maps\n")
            if let npy {
                let npyPath = all ? (npy as NSString).appendingPathComponent("\(l).npy") : npy
                try AtomicFile.write(NPY.encode(t), to: npyPath)
                Console.output("\(npyPath): \(l) activation (1, \(t.height), \(t.width), \(t.channels)) float32\n")
            }
        }
    }
}
