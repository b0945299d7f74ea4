import ArgumentParser
import NeuralCore

/// `--model vgg19|vgg16`.
enum ModelChoice: String, ExpressibleByArgument, CaseIterable {
    case vgg19, vgg16
    var architecture: VGGArchitecture { self == .vgg19 ? .vgg19 : .vgg16 }
}
