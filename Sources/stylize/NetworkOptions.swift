import ArgumentParser
import NeuralCore

/// Which network weights a command uses.
struct NetworkOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Weight file (Keras .h5, Keras 3 .weights.h5, safetensors, PyTorch .pth) or random:SEED[:vgg16|vgg19].",
        discussion: "Default: a VGG19 found in ~/.keras/models, ~/.cache/torch/hub/checkpoints or the Hugging Face cache, else the bundled VGG16 in the data folder's Weights/ (see `stylize presets` for where that is)."))
    var weights: String?

    @Option(name: .long, help: ArgumentHelp(
        "How 3x3 convolutions are computed: winograd (default, a quarter of the multiplies) or im2col (the reference).",
        discussion: "Both give the same result within float rounding; im2col is there to compare speed and numbers."))
    var conv: ConvAlgorithm = .winograd

    /// A network on `weights` computing its convolutions as `--conv` says.
    func network(_ weights: VGGWeights) -> VGGNetwork {
        let network = VGGNetwork(weights: weights)
        network.convolution = conv
        return network
    }

    /// Loads the weights (`ProjectPaths` says where the bundled ones are). When none are found, the message
    /// names every place searched.
    func loadWeights(preferred: VGGArchitecture? = nil) throws -> VGGWeights {
        do {
            return try WeightsLoader.resolve(weights, projectRoot: ProjectPaths.root ?? ProjectPaths.sharedFolder,
                                             preferred: preferred)
        } catch {
            guard error.kind == .notFound else { throw error }
            let bundled = ProjectPaths.root.map { "\($0)/\(WeightsLoader.bundledPath)" } ?? ProjectPaths.searched
            throw CLIError("no VGG weights found: looked in the Keras, torch and Hugging Face caches and \(bundled); "
                           + "run scripts/setup in the checkout, \(ProjectPaths.setupHint), or give --weights FILE")
        }
    }
}

extension ConvAlgorithm: ExpressibleByArgument {}
