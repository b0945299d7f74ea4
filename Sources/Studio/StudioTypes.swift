import Foundation
import StyleTransfer

/// The weights the page can change on a running transfer: α, β, γ and each style layer's w_l.
public struct StudioWeights: Sendable, Equatable, Codable {
    public var content: Double
    public var style: Double
    public var tv: Double
    /// Style layer (Keras name) to its weight w_l, ≥ 0 (0 drops the layer).
    public var layers: [String: Double]
}

extension StudioWeights {
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

    /// The weights' limits: every weight as a preset's (`Preset.Limits.weightProblem`), at most `maximum`, and not every style layer at 0 when β > 0.
    /// - Returns: one line naming the first bad field, or nil.
    public func problem(knownLayers: Set<String>) -> String? {
        for (name, value) in [("content_weight", content), ("style_weight", style), ("tv_weight", tv)] + layers.sorted(by: { $0.key < $1.key }).map({ ("style layer \($0.key)", $0.value) }) {
            if let problem = Preset.Limits.weightProblem(value) { return "\(name) \(problem)" }
            if value > Self.maximum { return "\(name) must be at most \(Int(Self.maximum)), not \(value)" }
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

/// What the page's controls set on a running transfer: the weights, the style scale, the colour mode and the output
/// size. Applying them continues the run from its current picture (`StudioControl.apply`).
public struct StudioSettings: Sendable, Equatable, Codable {
    public var weights: StudioWeights
    /// The style images' size relative to the output (`style_scale`).
    public var styleScale: Double
    public var color: ColorMode
    /// The output's longest edge.
    public var size: Int
}

extension StudioSettings {
    enum CodingKeys: String, CodingKey { case weights, styleScale, color, size }

    /// Decodes the settings; an unknown colour mode is named with the modes there are, a size that is no whole number
    /// as such.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        weights = try c.decode(StudioWeights.self, forKey: .weights)
        styleScale = try c.decode(Double.self, forKey: .styleScale)
        // Decoded as a number and then checked whole, so that 96.5 is named as the size (not as bad JSON).
        let pixels = try c.decode(Double.self, forKey: .size)
        guard let whole = Int(exactly: pixels) else {
            throw DecodingError.dataCorruptedError(forKey: .size, in: c, debugDescription: "must be a whole number of pixels, not \(pixels)")
        }
        size = whole
        let name = try c.decode(String.self, forKey: .color)
        guard let mode = ColorMode(rawValue: name) else {
            throw DecodingError.dataCorruptedError(forKey: .color, in: c, debugDescription:
                "must be one of \(ColorMode.allCases.map(\.rawValue).joined(separator: ", ")), not \(name.debugDescription)")
        }
        color = mode
    }

    /// The settings' limits: the weights' (`StudioWeights.problem`), the style scale's as a preset's
    /// (`Preset.Limits.styleScaleProblem`), and the size a run started from the page may have (`sizeRange`).
    /// - Returns: one line naming the first bad field, or nil.
    public func problem(knownLayers: Set<String>) -> String? {
        if let problem = weights.problem(knownLayers: knownLayers) { return problem }
        if let problem = Preset.Limits.styleScaleProblem(styleScale) { return "style_scale \(problem)" }
        if let problem = Preset.Limits.rangeProblem(size, Self.sizeRange) { return "size \(problem)" }
        return nil
    }

    /// The output sizes the studio runs: a preset's smallest, up to a size that a page shows and a continuation
    /// reaches within seconds to minutes on a CPU.
    public static let sizeRange = Preset.sizeRange.lowerBound...1024

    /// The coarse-to-fine schedule that continues a run at output size `size`: the scales still to run (`edges`,
    /// the first the current one) scaled by `size` over their last, so that the last is `size`; a scale that the
    /// scaling makes no larger than the one before it (at the smallest size) is dropped with its evaluations.
    /// - Parameters:
    ///   - edges: the longest edges of the current scale and the finer ones, increasing.
    ///   - evaluations: the evaluations of each (the current one's: those left).
    /// - Returns: the scales' longest edges and evaluations, increasing, the last `size`.
    public static func continuedScales(edges: [Int], evaluations: [Int], size: Int) -> (edges: [Int], evaluations: [Int]) {
        precondition(!edges.isEmpty && edges.count == evaluations.count, "one evaluation budget per scale")
        let factor = Double(size) / Double(edges[edges.count - 1])
        var scaled = edges.map { max(Preset.sizeRange.lowerBound, Int((Double($0) * factor).rounded())) }
        scaled[scaled.count - 1] = size
        var kept: [(Int, Int)] = []
        for (edge, budget) in zip(scaled, evaluations).reversed() where kept.last.map({ edge < $0.0 }) ?? true {
            kept.append((edge, budget))
        }
        return (kept.reversed().map(\.0), kept.reversed().map(\.1))
    }
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
    /// Continue from the current image with these settings (a new objective; new style targets and sizes as they say).
    case apply(StudioSettings)
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
