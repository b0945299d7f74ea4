/// Keras layer names, kinds, output shapes and parameter counts of the VGG networks
/// (Simonyan & Zisserman, ICLR 2015; Keras `applications.vgg16` / `vgg19`).

/// What a VGG layer does.
public enum LayerKind: String, Sendable, Equatable {
    case input = "InputLayer"
    case conv = "Conv2D"
    case pool = "MaxPooling2D"
    case flatten = "Flatten"
    case dense = "Dense"
}

/// One row of the `layers` listing, as Keras' `model.summary()` shows it.
public struct LayerInfo: Sendable, Equatable {
    /// Keras layer name, e.g. `block3_conv2`.
    public let name: String
    public let kind: LayerKind
    /// Keras output shape with the batch dimension first; `nil` for free dimensions.
    public let shape: [Int?]
    /// Number of parameters (weights + biases).
    public let params: Int

    public init(name: String, kind: LayerKind, shape: [Int?], params: Int) {
        self.name = name
        self.kind = kind
        self.shape = shape
        self.params = params
    }

    /// The shape as Keras prints it: `(None, 224, 224, 64)`.
    public var shapeDescription: String {
        "(" + shape.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + ")"
    }
}

/// A layer name the network does not have, or cannot compute.
public struct VGGLayerError: Error, CustomStringConvertible, Equatable {
    public let layer: String
    public let architecture: String
    public let reason: String

    public var description: String { "\(architecture): layer '\(layer)' \(reason)" }
}

extension VGGArchitecture {
    /// One computed layer of the convolutional part, in order after `input_1`.
    public enum Step: Sendable, Equatable {
        /// Index into `convolutions`.
        case conv(Int)
        /// Max-pool closing block `b` (1-based).
        case pool(Int)
    }

    /// The computed layers in order: conv, conv, pool, conv, ... (no `input_1`, no top).
    public var steps: [(name: String, step: Step)] {
        var result: [(String, Step)] = []
        var index = 0
        for (b, depth) in depths.enumerated() {
            for i in 0 ..< depth {
                result.append(("block\(b + 1)_conv\(i + 1)", .conv(index)))
                index += 1
            }
            result.append(("block\(b + 1)_pool", .pool(b + 1)))
        }
        return result
    }

    /// Names of the fully connected top, listed only (never computed here).
    public static let topLayerNames = ["flatten", "fc1", "fc2", "predictions"]

    /// Keras layer names in order: `input_1`, `block1_conv1`, ..., `block5_pool` and, with the
    /// top, `flatten`, `fc1`, `fc2`, `predictions`. 22 (VGG19) or 19 (VGG16) without the top.
    public func layerNames(includeTop: Bool) -> [String] {
        ["input_1"] + steps.map(\.name) + (includeTop ? Self.topLayerNames : [])
    }

    /// Whether `name` is a layer `VGGNetwork.forward` can return (`input_1`, a conv or a pool).
    public func isLayerName(_ name: String) -> Bool {
        name == "input_1" || steps.contains { $0.name == name }
    }

    /// Throws a `VGGLayerError` for the first name that `VGGNetwork.forward` cannot return.
    public func validate(layers: [String]) throws {
        for name in layers where !isLayerName(name) {
            if Self.topLayerNames.contains(name) {
                throw VGGLayerError(layer: name, architecture: self.name,
                                    reason: "belongs to the fully connected top, which is listed but not computed; use block1_conv1 ... block5_pool")
            }
            throw VGGLayerError(layer: name, architecture: self.name,
                                reason: "does not exist; valid names are input_1, block1_conv1 ... block5_pool (see `stylize layers`)")
        }
    }

    /// Position of a computable layer: 0 for `input_1`, then 1... along `steps`; nil if unknown.
    func layerIndex(_ name: String) -> Int? {
        if name == "input_1" { return 0 }
        return steps.firstIndex { $0.name == name }.map { $0 + 1 }
    }

    /// The Keras summary: name, kind, output shape and parameter count of every layer.
    ///
    /// - Parameters:
    ///   - includeTop: add `flatten`, `fc1` (25088 -> 4096), `fc2` (4096 -> 4096) and
    ///     `predictions` (4096 -> 1000); Keras then fixes the input at 224x224.
    ///   - inputSize: `(height, width)` of the input, or nil for free dimensions (`None`).
    ///     With the top and no size, 224x224 is used.
    public func layerSummary(includeTop: Bool, inputSize: (Int, Int)?) -> [LayerInfo] {
        let size = inputSize ?? (includeTop ? (224, 224) : nil)
        var h: Int? = size?.0, w: Int? = size?.1
        var result = [LayerInfo(name: "input_1", kind: .input, shape: [nil, h, w, 3], params: 0)]
        let convs = convolutions
        var channels = 3
        for (name, step) in steps {
            switch step {
            case .conv(let i):
                let conv = convs[i]
                channels = conv.outChannels
                result.append(LayerInfo(name: name, kind: .conv, shape: [nil, h, w, channels],
                                        params: 9 * conv.inChannels * conv.outChannels + conv.outChannels))
            case .pool:
                h = h.map { $0 / 2 }
                w = w.map { $0 / 2 }
                result.append(LayerInfo(name: name, kind: .pool, shape: [nil, h, w, channels], params: 0))
            }
        }
        if includeTop {
            let flat = (h ?? 7) * (w ?? 7) * channels
            result.append(LayerInfo(name: "flatten", kind: .flatten, shape: [nil, flat], params: 0))
            result.append(LayerInfo(name: "fc1", kind: .dense, shape: [nil, 4096], params: flat * 4096 + 4096))
            result.append(LayerInfo(name: "fc2", kind: .dense, shape: [nil, 4096], params: 4096 * 4096 + 4096))
            result.append(LayerInfo(name: "predictions", kind: .dense, shape: [nil, 1000], params: 4096 * 1000 + 1000))
        }
        return result
    }
}
