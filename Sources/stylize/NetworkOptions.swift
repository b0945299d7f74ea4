import ArgumentParser
import NeuralCore

/// Which network weights a command uses.
struct NetworkOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Weight file (Keras .h5, Keras 3 .weights.h5, safetensors) or random:SEED[:vgg16|vgg19].",
        discussion: "Default: a VGG19 found in ~/.keras/models, ~/.cache/torch/hub/checkpoints or the Hugging Face cache, else the bundled VGG16 in Weights/."))
    var weights: String?

    /// Loads the weights and says which on standard error.
    func loadWeights(preferred: VGGArchitecture? = nil) throws -> VGGWeights {
        try WeightsLoader.resolve(weights, projectRoot: ProjectPaths.root, preferred: preferred)
    }
}
