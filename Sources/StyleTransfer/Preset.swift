import Foundation
import NeuralCore

/// The weights and choices of one style-transfer run, as a preset file gives them.
///
/// Schema of `Presets/NAME.json` (every field optional; a missing field keeps the built-in default shown in
/// `Preset.builtIn`; each field is a row of `Preset.settings`, Preset+Settings.swift; the accepted ranges are
/// `Preset.Limits`):
/// ```json
/// {
///   "description": "one line shown by `stylize presets`",
///   "content_weight": 1.0,            // α, ≥ 0
///   "style_weight": 100.0,            // β, ≥ 0, multiplies Σ_l w_l E_l
///   "tv_weight": 1.0,                 // γ, ≥ 0
///   "content_layer": "block5_conv2",
///   "style_layers": {"block1_conv1": 1, "block2_conv1": 1, ...},   // w_l ≥ 0
///   "iterations": 500,                // evaluation budget of the optimizer, > 0
///   "size": 512,                      // longest edge of the output in pixels, 32...4096
///   "style_scale": 1.0,               // style image size relative to the output, > 0
///   "init": "content",                // content | noise (or random) | style (`Initialization`)
///   "original_colors": false,
///   "scales": [256, 512],             // coarse-to-fine sizes, increasing; empty: just `size`
///   "scale_iterations": [200, 100],   // evaluation budget per scale (one per scale); absent: `iterations` each
///   "history": 100,                   // L-BFGS history length, 1...1000
///   "normalization": "relative",      // relative (default) | gatys: how the loss terms are scaled (LossNormalization)
///   "temporal_weight": 1000,          // λ_t of a video frame's temporal loss, ≥ 0; absent: TemporalLoss.defaultWeight
///   "color_weight": 10,               // λ of --color match's colour term, ≥ 0; absent: ColorLoss.defaultWeight
///   "regions": {"white": "starry_night.jpg", "#000": "none"}   // a style per colour of --content-mask, STYLE[:WEIGHT] or none
/// }
/// ```
public struct Preset: Sendable, Equatable, Codable {
    public var name: String
    public var description: String
    public var contentWeight: Double
    public var styleWeight: Double
    public var tvWeight: Double
    public var contentLayer: String
    /// Style layers with their weights, in network order.
    public var styleLayers: [StyleLayerWeight]
    public var iterations: Int
    public var size: Int
    public var styleScale: Double
    public var initialization: Initialization
    public var originalColors: Bool
    public var scales: [Int]
    public var history: Int
    public var normalization: LossNormalization = .relative
    /// Evaluation budget of each scale in `scales` (same count); empty: `iterations` at every scale.
    public var scaleIterations: [Int] = []
    /// λ_t of the temporal loss of a video frame (`stylize video`, TemporalLoss.swift); nil: `TemporalLoss.defaultWeight`.
    /// Optional so that the plans kept in checkpoints written before this field still decode.
    public var temporalWeight: Double?
    /// λ of the colour term of `--color match` (ColorLoss.swift); nil: `ColorLoss.defaultWeight` (and in checkpoints
    /// written before the field).
    public var colorWeight: Double?
    /// A style per colour of a run's `--content-mask` (`RunRequest.regions` when the command line names none); a
    /// relative style path is relative to the preset's file. Nil: none (and in checkpoints written before the field).
    public var regions: [RegionRequest.Region]? = nil

    /// The evaluation budget of scale `index` of a run with `count` scales.
    public func evaluationBudget(scale index: Int, of count: Int) -> Int {
        scaleIterations.count == count && index < count ? scaleIterations[index] : iterations
    }

    public struct StyleLayerWeight: Sendable, Equatable, Codable {
        public var layer: String
        public var weight: Double
        public init(layer: String, weight: Double) {
            self.layer = layer
            self.weight = weight
        }
    }

    /// Gatys' layers: `block1_conv1` ... `block5_conv1`, equal weights.
    public static let defaultStyleLayers = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]

    /// The defaults every preset starts from.
    public static let builtIn = Preset(
        name: "built-in", description: "built-in defaults",
        contentWeight: 1, styleWeight: 100, tvWeight: 1, contentLayer: "block5_conv2",
        styleLayers: defaultStyleLayers.map { StyleLayerWeight(layer: $0, weight: 1) },
        iterations: 500, size: 512, styleScale: 1, initialization: .content, originalColors: false,
        scales: [], history: 100)

    /// Accepted sizes (longest edge, pixels) of an output, a scale or an inspected image, for every command and preset.
    /// 32 leaves block5 at least one pixel for any image up to 2:1 (four pools halve 32 to 2, the short side to 1);
    /// 4096 refuses absurd sizes before any allocation.
    public static let sizeRange = 32...4096

    /// The longest edges of the coarse-to-fine stages: `scales`, or `size` alone.
    public var scaleEdges: [Int] { scales.isEmpty ? [size] : scales }
}

/// How the objective scales its content and style terms (Losses.swift has the unscaled formulas).
public enum LossNormalization: String, Sendable, Equatable, CaseIterable, Codable {
    /// Each term relative to its target: `L_c = Σ (F − P)² / Σ P²` and `E_l = Σ (G − A)² / Σ A²`. Every term is 0
    /// at a perfect match and about 1 when the match is lost, whatever the layer's activation scale, so α, β and the
    /// per-layer weights trade off directly: β = 1 weighs a lost style match like a lost content match.
    case relative
    /// Gatys' absolute terms as written in Losses.swift, `L_c = Σ (F − P)² / (2 C M)` and `E_l = ¼ Σ (G − A)²`
    /// (the objective of the PyTorch comparison in the README). Deep layers' large activations make the style term
    /// outweigh the content term by about 10⁶ at equal weights, so β only matters below about 10⁻³.
    case gatys
}

/// A preset file that cannot be used; the description is one line naming the file and the field.
public struct PresetError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}
