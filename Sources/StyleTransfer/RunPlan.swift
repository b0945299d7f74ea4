import Foundation
import Imaging
import NeuralCore

/// Everything one style-transfer run needs, resolved from a preset, the caller's overrides and the inputs, and
/// checked once: the scales with their sizes, the style sizes and blend, the start, the loss layers and weights,
/// the optimizer settings, the seed, the output paths and the memory estimate.
///
/// Build it with `RunPlan(request:inputs:architecture:)`; `Stylizer.run(plan:...)`, the `transfer` and `resume`
/// commands, the run report and checkpoints take it as it is, and none of them re-derives its rules. It is
/// `Codable`, so a checkpoint can carry it.
public struct RunPlan: Sendable, Equatable, Codable {
    /// A width and a height in pixels.
    public struct Size: Sendable, Equatable, Codable, CustomStringConvertible {
        public var width: Int
        public var height: Int
        public var description: String { "\(width)x\(height)" }
        /// width · height · 3, the number of variables of an image of this size.
        public var values: Int { width * height * 3 }
    }

    /// One coarse-to-fine stage.
    public struct Scale: Sendable, Equatable, Codable {
        /// The longest edge asked for, and the output size it gives the content.
        public var longestEdge: Int
        public var output: Size
        /// Each style image's size at this scale (longest edge `max(16, longestEdge · style_scale)`).
        public var styles: [Size]
        /// The optimizer's evaluation budget at this scale.
        public var evaluations: Int
        /// The core edge of the tiles the images of this scale are evaluated in (`TileGrid`), or nil for whole
        /// images. Tiles give the whole image's loss and gradient; they bound the network's memory by the tile.
        public var tile: Int? = nil
    }

    /// How a request asks for tiles.
    public enum Tiling: Sendable, Equatable {
        /// Tiles at the scales whose whole-image network and optimizer would exceed `autoTileBytes`.
        case auto
        /// Whole images at every scale.
        case off
        /// Tiles with this core edge at every scale whose output is larger.
        case core(Int)
    }

    /// With `Tiling.auto`, what the network buffers and the optimizer of one scale may hold together: a scale whose
    /// whole-image network needs more than this less its optimizer is evaluated in tiles, each with the largest
    /// core that keeps its region within that (at least `minimumTileBudgetBytes`). Whole images are faster (a tiled
    /// evaluation runs the forward pass twice, and the halos again): with 4.5 GiB the bundled VGG16 runs 2048 px
    /// whole (4.4 GB peak) and tiles 4096 px within 6 GB (README, Print sizes).
    public static let autoTileBytes = 4608 << 20
    public static let minimumTileBudgetBytes = 512 << 20

    /// The longest image edge a plan may name at all (a plan from a checkpoint is checked too): 2²⁰ pixels, far
    /// beyond any size the limits allow (`Preset.sizeRange` and the style scale), so that products of sizes cannot
    /// overflow before the tighter checks run.
    static let largestImageEdge = 1 << 20

    /// The effective preset: the preset's values with every override applied (loss weights and layers,
    /// evaluations, style scale, history, colours). Its `size` and `scales` are those of `scales` below.
    public var preset: Preset
    /// The content photo and the style images, as given.
    public var content: String
    public var styles: [String]
    /// One weight per style, each ≥ 0, not all 0 (the objective normalises them to sum 1).
    public var blend: [Double]
    public var initialization: Initialization
    /// Seeds the noise start (`Initialization.noise`).
    public var seed: UInt64
    /// The stages, smallest first; the last is the output.
    public var scales: [Scale]
    /// Optimise inside the pixel box `0...255` (L-BFGS with bounds), so that the written file is the optimised
    /// image up to 8-bit rounding; off: pixels may leave the box and are clamped only on writing.
    public var pixelBox: Bool
    /// How L-BFGS stores its history (`HistoryPrecision`).
    public var historyPrecision: HistoryPrecision
    /// L-BFGS seeds its inverse Hessian with the pyramid smoothing (`PyramidPreconditioner.standard`), which
    /// lengthens its steps along broad changes of the image. true in new plans unless switched off; nil in plans
    /// read from checkpoints written before it existed, which ran without it.
    public var preconditioned: Bool?
    public var outputs: RunOutputs
    /// The network the plan was checked against (`vgg16`, `vgg19`).
    public var architecture: String
    /// The inputs' sizes as read (after EXIF orientation): content, styles, and the `--init` image if any.
    public var contentSize: Size
    public var styleSizes: [Size]
    public var initializationSize: Size?
    /// The regions of a content mask, each with its own style or none (RunPlan+Regions.swift); nil: one style over
    /// the whole image. Absent from checkpoints written before regions existed.
    public var regions: RegionMap? = nil
    /// The style images' colours made the photo's (mean and covariance) before the transfer (ColorMatch.swift); nil:
    /// the paintings' own colours.
    public var colorMatch: ColorMatch? = nil
    /// Per style image, the style layers whose targets it makes (Keras names; nil: all), from `--style-layers-of`
    /// (RunPlan+StyleLayerGroups.swift); nil: every style at every layer.
    public var styleLayerGroups: [[String]?]? = nil

    /// The output: the last scale's size.
    public var outputSize: Size { scales[scales.count - 1].output }

    /// L-BFGS settings at scale `index`.
    public func optimizerOptions(scale index: Int) -> LBFGSOptions {
        var options = LBFGSOptions()
        options.historySize = preset.history
        options.historyPrecision = historyPrecision
        options.maxEvaluations = scales[index].evaluations
        options.stopsOnNonFiniteValue = true   // the loss is finite for finite weights and images (`StylizeResult.stop`)
        if pixelBox { options.bounds = 0 ... 255 }
        if preconditioned == true {
            options.preconditioner = .standard(width: scales[index].output.width, height: scales[index].output.height,
                                               channels: valuesPerPixel)
        }
        return options
    }

    /// The optimizer's variables per pixel: RGB, or with `original_colors` the luminance alone (LuminanceTransfer.swift).
    public var valuesPerPixel: Int { preset.originalColors ? 1 : 3 }

    /// The loss layers in use: the style layers with a weight above 0 and the content layer.
    public var lossLayers: [String] {
        var names = preset.styleLayers.filter { $0.weight > 0 }.map(\.layer)
        if !names.contains(preset.contentLayer) { names.append(preset.contentLayer) }
        return names
    }
}

/// Where a run writes.
public struct RunOutputs: Sendable, Equatable, Codable {
    /// The image, `.png` or `.jpg`.
    public var image: String
    /// The HTML run report and the JSON-lines log, if asked for.
    public var report: String?
    public var log: String?
    /// A numbered intermediate image every N steps.
    public var saveEvery: Int?
    /// A checkpoint file, written every `checkpointEvery` steps (when set) and when the run is interrupted.
    public var checkpoint: String?
    public var checkpointEvery: Int?

    public init(image: String, report: String? = nil, log: String? = nil, saveEvery: Int? = nil,
                checkpoint: String? = nil, checkpointEvery: Int? = nil) {
        self.image = image
        self.report = report
        self.log = log
        self.saveEvery = saveEvery
        self.checkpoint = checkpoint
        self.checkpointEvery = checkpointEvery
    }
}

/// What a caller asks for: a preset, the values that override it (nil keeps the preset's), the inputs' paths
/// and the outputs. `RunPlan(request:inputs:architecture:)` resolves and checks it.
public struct RunRequest: Sendable, Equatable {
    public var preset: Preset
    public var content: String
    public var styles: [String]
    /// One weight per style; nil: equal weights.
    public var blend: [Double]?
    public var seed: UInt64 = 0
    public var pixelBox = true
    public var historyPrecision: HistoryPrecision = .bfloat16
    /// Seed L-BFGS with the pyramid preconditioner (`RunPlan.preconditioned`); off for comparisons.
    public var preconditioned = true
    public var tiling: RunPlan.Tiling = .auto
    /// How the network computes its convolutions: its memory plan, and so `Tiling.auto`, depends on it.
    public var convolution: ConvAlgorithm = .auto
    public var outputs: RunOutputs

    // Overrides of the preset's fields.
    public var contentWeight: Double?
    public var styleWeight: Double?
    public var tvWeight: Double?
    /// λ_t of a video frame's temporal loss.
    public var temporalWeight: Double?
    /// λ of `--color match`'s colour term.
    public var colorWeight: Double?
    /// Keras or classic (`relu5_2`) name.
    public var contentLayer: String?
    /// Per style layer (Keras or classic name) a weight; 0 drops the layer.
    public var styleLayers: [Preset.StyleLayerWeight] = []
    public var iterations: Int?
    /// The output's longest edge; with a preset's `scales`, those below it are kept and it becomes the last.
    public var size: Int?
    public var scales: [Int]?
    /// One evaluation budget per scale (an `iterations` override alone clears the preset's).
    public var scaleIterations: [Int]?
    public var normalization: LossNormalization?
    public var styleScale: Double?
    public var history: Int?
    public var initialization: Initialization?
    public var originalColors: Bool?
    /// A content mask with a style per region; its styles must be among `styles` (`RegionRequest.styleFiles(after:)`).
    public var regions: RegionRequest?
    /// Match the style images' colours to the photo's before the transfer.
    public var colorMatch: ColorMatch?
    /// Scale control: the style layers of some style images (`StyleLayerGroup`).
    public var styleLayerGroups: [StyleLayerGroup] = []

    public init(preset: Preset, content: String, styles: [String], outputs: RunOutputs) {
        self.preset = preset
        self.content = content
        self.styles = styles
        self.outputs = outputs
    }
}

/// The decoded inputs of a run: the content photo, the style images and the `--init` image, as the plan names them.
public struct RunInputs: Sendable {
    public var content: RGBImage
    public var styles: [RGBImage]
    public var initialization: RGBImage?
    /// A video frame's warped previous result (`stylize video`), at the output size: the last scale's objective adds
    /// the temporal loss against it.
    public var temporal: TemporalTarget?
    /// The content mask and, per style image, its mask, when the plan has regions (`readMasks(for:using:)`).
    public var contentMask: RGBImage? = nil
    public var styleMasks: [RGBImage?] = []

    public init(content: RGBImage, styles: [RGBImage], initialization: RGBImage? = nil) {
        self.content = content
        self.styles = styles
        self.initialization = initialization
    }

    /// Reads the images a request or plan names with `read` (`RGBImage(contentsOf:)` by default).
    /// - Throws: the first error of `read`, which names the file.
    public static func read(content: String, styles: [String], initialization: Initialization?,
                            using read: (String) throws -> RGBImage = { try RGBImage(contentsOf: $0) }) throws -> RunInputs {
        RunInputs(content: try read(content), styles: try styles.map(read), initialization: try initialization?.path.map(read))
    }

    var contentSize: RunPlan.Size { .init(width: content.width, height: content.height) }
    var styleSizes: [RunPlan.Size] { styles.map { .init(width: $0.width, height: $0.height) } }
    var initializationSize: RunPlan.Size? { initialization.map { .init(width: $0.width, height: $0.height) } }
}

/// A run that cannot be planned: one line per problem, each naming the setting (the command-line option when
/// the value came from one, else the preset's field) and what to do.
public struct RunPlanError: Error, CustomStringConvertible, Equatable {
    public let problems: [String]
    public init(_ problems: [String]) { self.problems = problems }
    /// The problems on one line, separated by "; ".
    public var description: String { problems.joined(separator: "; ") }
}
