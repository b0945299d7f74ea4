import Foundation
import StyleTransfer

/// The weights the page can change on a running transfer: α, β, γ and each style layer's w_l.
public struct StudioWeights: Sendable, Equatable, Codable {
    public var content: Double
    public var style: Double
    public var tv: Double
    /// Style layer (Keras name) to its weight w_l, ≥ 0 (0 drops the layer).
    public var layers: [String: Double]

    public init(content: Double, style: Double, tv: Double, layers: [String: Double]) {
        self.content = content
        self.style = style
        self.tv = tv
        self.layers = layers
    }

    /// The weights of a preset.
    public init(_ preset: Preset) {
        self.init(content: preset.contentWeight, style: preset.styleWeight, tv: preset.tvWeight,
                  layers: Dictionary(preset.styleLayers.map { ($0.layer, $0.weight) }, uniquingKeysWith: { $1 }))
    }

    /// `preset` with these weights; a layer the preset does not have is added (the caller checks the names).
    public func applied(to preset: Preset) -> Preset {
        var p = preset
        p.contentWeight = content
        p.styleWeight = style
        p.tvWeight = tv
        var layers = p.styleLayers.map { Preset.StyleLayerWeight(layer: $0.layer, weight: self.layers[$0.layer] ?? $0.weight) }
        for (name, weight) in self.layers.sorted(by: { $0.key < $1.key }) where !layers.contains(where: { $0.layer == name }) {
            layers.append(.init(layer: name, weight: weight))
        }
        p.styleLayers = layers
        return p
    }

    /// The weights' limits: every weight finite and ≥ 0, at most `maximum`, and not every style layer at 0 when β > 0.
    /// - Returns: one line naming the first bad field, or nil.
    public func problem(knownLayers: Set<String>) -> String? {
        for (name, value) in [("content_weight", content), ("style_weight", style), ("tv_weight", tv)] + layers.sorted(by: { $0.key < $1.key }).map({ ("style layer \($0.key)", $0.value) }) {
            if !value.isFinite || value < 0 || value > Self.maximum {
                return "\(name) must be a number in 0...\(Int(Self.maximum)), not \(value)"
            }
        }
        if let unknown = layers.keys.sorted().first(where: { !knownLayers.contains($0) }) {
            return "\(unknown) is not a style layer of this run (\(knownLayers.sorted().joined(separator: ", ")))"
        }
        return nil
    }

    /// The largest weight the page accepts: far above any useful one (the bundled presets' are at most 4), low
    /// enough that no loss overflows a Float.
    public static let maximum = 1e6
}

/// A run asked for from the page: names of images in the studio's folder (never paths), and the weights to start with.
public struct StudioJob: Sendable, Equatable, Codable {
    /// Assigned by the queue, from 1.
    public var id: Int
    public var content: String
    public var style: String
    /// The preset's name; nil: `default`.
    public var preset: String?
    /// Longest edge of the output, and the evaluations of every scale.
    public var size: Int
    public var iterations: Int
}

/// What the page asked of the running transfer since the last step.
public enum StudioControl: Sendable, Equatable {
    /// Stop as Ctrl-C does: the best image and the checkpoint are written.
    case stop
    /// Continue from the current image with these weights (a new objective).
    case apply(StudioWeights)
}

/// What the studio does that needs the command line's world: weights, plans, presets. The `stylize` tool gives one.
public protocol StudioEngine: Sendable {
    /// Runs `job` to its end, its stop or a failure, on the calling thread, reporting to `hub` (`StudioHub.runStarted`,
    /// `step`, `runEnded`). - Throws: an error with a one-line description.
    func run(_ job: StudioJob, hub: StudioHub) throws
    /// Writes `weights` over the running preset as the user's preset `name`, and returns the path written.
    /// - Throws: an error with a one-line description (a bad name, a bundled preset's name, an existing file).
    func savePreset(name: String, weights: StudioWeights, hub: StudioHub) throws -> String
    /// The presets the page may offer.
    func presetNames() -> [String]
}
