import ArgumentParser
import Foundation
import Imaging
import NeuralCore
import StyleTransfer
import Visualization

/// The style layers' Gram matrices as heatmaps, alone or compared with another image's.
struct GramCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gram",
        abstract: "Draw the Gram matrices of the style layers as heatmaps (and compare two images).",
        discussion: "Gram matrices are normalised as in the style loss: G = FᵀF / (C·H·W).")

    @Argument(help: "The image (PNG or JPEG), usually a style image.")
    var image: String

    @Option(name: .long, help: "Layers, comma-separated, Keras or reluB_N names (default: the style layers block1_conv1 ... block5_conv1).")
    var layers: String = Preset.defaultStyleLayers.joined(separator: ",")

    @Option(name: .long, help: "Compare with this image (e.g. a stylized result): both side by side and their difference.")
    var compare: String?

    @Option(name: .long, help: "Longest edge both images are resized to before the network, \(Preset.sizeRange.lowerBound)...\(Preset.sizeRange.upperBound) (default: the --compare image's own longest edge, else 512).")
    var size: Int?

    @Option(name: .long, help: "Value scale: log (six decades; the deep layers' few large entries would leave the rest black on a linear scale) or linear.")
    var scale: ValueScale = .log

    @Option(name: .long, help: "Colormap: \(colormapNames).")
    var colormap: Colormap = .viridis

    @Option(name: .long, help: "Channel order: none, or cluster (correlated channels together; the same order for both images).")
    var order: ChannelOrdering = .none

    @Flag(name: .long, help: "Also write each Gram matrix as float32 .npy, and with --order cluster the channel order as int64 (IMAGE-LAYER-order.npy).")
    var npy = false

    @Option(name: [.short, .long], help: "Output folder (gram writes several files).")
    var output: String = "grams"

    @OptionGroup var network: NetworkOptions

    func validate() throws {
        if let size { try checkSize(size) }
        guard !commaList(layers).isEmpty else { throw CLIError("--layers is empty") }
        try OutputPath.checkFolder(output, option: "-o", why: "gram writes one heatmap per layer and a sheet")
        try fileRoles().check()
    }

    /// Reads: the image, --compare and the weights. Writes: into the -o folder, files named after either image
    /// (STEM-LAYER.png, STEM-vs-OTHER-LAYER.png, STEM-LAYER.npy, STEM-gram-sheet.png...).
    func fileRoles() -> FileRoles {
        var roles = FileRoles()
        roles.reads = [(image, "image")] + (compare.map { [($0, "--compare")] } ?? []) + network.reads
        let stems = ([image] + (compare.map { [$0] } ?? [])).map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        roles.folders.append((output, "-o", { name in
            (name.hasSuffix(".png") || name.hasSuffix(".npy")) && stems.contains { name.hasPrefix($0 + "-") }
        }))
        return roles
    }

    func run() throws {
        let weights = try network.loadWeights()
        let chosen = commaList(layers).map(VGGArchitecture.kerasName)
        do { try weights.architecture.validate(layers: chosen) } catch {
            throw CLIError("--layers \(layers): \(error) (the weights in use: \(weights.source))")
        }
        let first = try readImage(image)
        let second = try compare.map { try readImage($0) }
        // Compared at the compared image's own size (a result is compared as it is), clamped to the accepted sizes.
        let size = self.size ?? second.map { min(max(max($0.width, $0.height), Preset.sizeRange.lowerBound), Preset.sizeRange.upperBound) } ?? 512
        try OutputPath.makeFolder(output)
        FileHandle.standardError.write(Data("weights: \(weights.source)\n".utf8))
        FileHandle.standardError.write(Data("size: \(size) px longest edge\(self.size == nil && compare != nil ? " (the compared image's)" : "")\n".utf8))
        let vgg = network.network(weights)
        let gramsA = GramCommand.grams(of: first, layers: chosen, size: size, network: vgg)
        let gramsB = second.map { GramCommand.grams(of: $0, layers: chosen, size: size, network: vgg) }
        let stemA = URL(fileURLWithPath: image).deletingPathExtension().lastPathComponent
        let stemB = compare.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        var pictures: [RGBImage] = []
        for layer in chosen {
            var a = gramsA[layer]!.matrix
            let n = gramsA[layer]!.n
            var b = gramsB?[layer]!.matrix
            if order == .cluster {
                let permutation = ChannelOrder.cluster(matrix: a, n: n)
                a = ChannelOrder.apply(permutation, to: a)
                b = b.map { ChannelOrder.apply(permutation, to: $0) }
                if npy {
                    // Row i of the written matrices is channel permutation[i] of the network.
                    let orderPath = (output as NSString).appendingPathComponent("\(stemA)-\(layer)-order.npy")
                    try AtomicFile.write(NPY.encode(permutation, shape: [n]), to: orderPath)
                    print("\(orderPath): channel order of the clustered matrices, \(n) indices (int64)")
                }
            }
            let picture: RGBImage
            let path: String
            if let b, let stemB {
                picture = try Heatmap.compare(a, b, n: n, names: (stemA, stemB), title: Heatmap.title(layer: layer, n: n),
                                              colormap: colormap, scale: scale, displaySize: 256)
                path = (output as NSString).appendingPathComponent("\(stemA)-vs-\(stemB)-\(layer).png")
                let error = RunReport.relativeFrobeniusError(reference: a, b)
                print("\(path): \(layer) \(n)x\(n), relative difference \(String(format: "%.3f", error))")
            } else {
                picture = try Heatmap.render(matrix: a, n: n, title: Heatmap.title(layer: layer, n: n), colormap: colormap,
                                             scale: scale, displaySize: 384)
                path = (output as NSString).appendingPathComponent("\(stemA)-\(layer).png")
                print("\(path): \(layer) \(n)x\(n)")
            }
            try picture.write(to: path)
            pictures.append(picture)
            if npy {
                for (stem, m) in [(stemA, a)] + (b.map { [(stemB!, $0)] } ?? []) {
                    let npyPath = (output as NSString).appendingPathComponent("\(stem)-\(layer).npy")
                    try AtomicFile.write(NPY.encode(m, shape: [n, n]), to: npyPath)
                    print("\(npyPath): Gram \(n)x\(n) float32")
                }
            }
        }
        let sheetName = stemB.map { "\(stemA)-vs-\($0)-gram-sheet.png" } ?? "\(stemA)-gram-sheet.png"
        let sheetPath = (output as NSString).appendingPathComponent(sheetName)
        let title = stemB.map { "Gram matrices: \(stemA) vs \($0)" } ?? "Gram matrices of \(stemA)"
        try ContactSheet.compose(pictures, columns: stemB == nil ? min(3, pictures.count) : 1, title: title).write(to: sheetPath)
        print("\(sheetPath): all layers")
    }

    /// The normalised Gram matrix (n x n) of each layer for an image fitted to `size`, as the style loss makes it.
    static func grams(of picture: RGBImage, layers: [String], size: Int, network: VGGNetwork) -> [String: (matrix: [Float], n: Int)] {
        StyleObjective.gramMatrices(network: network, image: Tensor(picture.resized(longestEdge: size)), layers: layers, tileCore: nil)
            .mapValues { ($0, Int(Double($0.count).squareRoot().rounded())) }
    }
}
