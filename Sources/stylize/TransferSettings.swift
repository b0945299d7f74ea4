import ArgumentParser
import Foundation
import NeuralCore
import StyleTransfer

/// The options of a transfer that every command running transfers shares (`transfer`, `batch`, `video`): the
/// preset's overrides, the optimizer's and the network's settings, tiling and the time and memory switches. Each
/// command adds what is its own (its inputs, its outputs, `--preset`, `--dry-run`, `--quiet`) and applies these to
/// every request it makes (`apply(to:)`), so a batch item or a video frame gets typed values, never argv.
struct TransferSettings: ParsableArguments {
    @Option(name: .long, help: presetHelp("size"))
    var size: Int?

    @Option(name: .long, help: presetHelp("iterations"))
    var iterations: Int?

    @Option(name: .long, help: presetHelp("style_scale"))
    var styleScale: Double?

    @Option(name: .long, help: presetHelp("content_weight"))
    var contentWeight: Double?

    @Option(name: .long, help: presetHelp("style_weight"))
    var styleWeight: Double?

    @Option(name: .long, help: presetHelp("tv_weight"))
    var tvWeight: Double?

    @Option(name: .long, help: presetHelp("temporal_weight"))
    var temporalWeight: Double?

    @Option(name: .long, help: presetHelp("color_weight"))
    var colorWeight: Double?

    @Option(name: .long, help: presetHelp("content_layer"))
    var contentLayer: String?

    @Option(name: .long, help: presetHelp("style_layers", naming: false))
    var styleLayer: [StyleLayerArgument] = []

    @Option(name: .long, help: ArgumentHelp("The only style layers, LAYER[=WEIGHT],... (weight 1 unless given), e.g. relu1_1,relu2_1=0.5; the preset's others are dropped.", valueName: "layers"))
    var styleLayers: StyleLayerList?

    @Option(name: .customLong("init"), help: presetHelp("init"))
    var initialization: Initialization?

    @Option(name: .long, help: "Seed of the noise initialisation, a whole number 0...\(UInt64.max).")
    var seed: UInt64 = 0

    @Flag(name: .long, help: presetHelp("original_colors"))
    var originalColors = false

    @Option(name: .long, help: ArgumentHelp("Whose colours the result has: style (the paintings'), keep (the photo's: its luminance is optimised under the photo's chroma, as --original-colors), match (the paintings' matched to the photo's mean and covariance before the transfer), match-cholesky.", valueName: "style|keep|match"))
    var color: ColorMode?

    @Option(name: .long, help: presetHelp("scales"))
    var scales: NumberList<Int>?

    @Option(name: .long, help: presetHelp("scale_iterations"))
    var scaleIterations: NumberList<Int>?

    @Option(name: .long, help: presetHelp("history"))
    var history: Int?

    @Option(name: .long, help: presetHelp("normalization", valueName: "relative|gatys"))
    var normalization: LossNormalization?

    @Option(name: .long, help: ArgumentHelp("How L-BFGS stores its history: bfloat16 (half the memory) or float32.", valueName: "bfloat16|float32"))
    var historyPrecision: HistoryPrecision = .bfloat16

    @Option(name: .long, help: ArgumentHelp("Evaluate large scales in tiles of N pixels plus a halo, with the same loss and gradient as whole images and far less memory: auto (tiles where one evaluation and the optimizer would need over \(memoryText(RunPlan.autoTileBytes))), off, or N pixels (at least \(RunPlan.minimumTile)).", valueName: "auto|off|N"))
    var tile: RunPlan.Tiling = .auto

    @Flag(name: .long, help: "Let the optimizer move pixels outside 0...255 (clamped only when written), for comparisons with unbounded optimizers.")
    var noBox = false

    @Flag(name: .long, help: "Seed L-BFGS with the identity instead of the image-pyramid preconditioner (slower; for comparisons with other L-BFGS implementations).")
    var noPreconditioner = false

    @Option(name: .long, help: "Write the checkpoint every N steps too (a transfer's --checkpoint; a batch item's, in OUTDIR/.stylize/).")
    var checkpointEvery: Int?

    @Flag(name: .long, help: "Measure this machine's speed again for the time estimates and keep the new measure (after a calibration made while the machine was busy).")
    var recalibrate = false

    @Flag(name: .long, help: "Lower the size until the run fits in the memory available now, and say so.")
    var fit = false

    @OptionGroup var network: NetworkOptions

    func validate() throws {
        if let list = styleLayer.first(where: \.isList) {
            throw CLIError("--style-layer \(list.text): --style-layer sets one layer's weight; to use only some"
                           + " layers, give them to --style-layers (e.g. --style-layers relu1_1,relu2_1=0.5)")
        }
        if let path = initialization?.path, !path.contains("/"), !path.contains("."), !FileManager.default.fileExists(atPath: path) {
            throw CLIError("--init \(path): give content, noise (or random), style, or the path of a PNG or JPEG file"
                           + (path == "image" ? " (neural-style's -init image is --init content)" : ""))
        }
    }

    /// Sets every value given here on `r` (whose preset is the base the values override) and the run's switches.
    func apply(to r: inout RunRequest) {
        r.seed = seed
        r.pixelBox = !noBox
        r.preconditioned = !noPreconditioner
        r.historyPrecision = historyPrecision
        r.tiling = tile
        r.convolution = network.conv
        r.outputs.checkpointEvery = checkpointEvery
        r.contentWeight = contentWeight
        r.styleWeight = styleWeight
        r.tvWeight = tvWeight
        r.temporalWeight = temporalWeight
        r.colorWeight = colorWeight
        r.contentLayer = contentLayer
        if let only = styleLayers?.entries {
            let picked = Set(only.map { VGGArchitecture.kerasName($0.layer) })
            r.styleLayers = r.preset.styleLayers.filter { !picked.contains($0.layer) }.map { .init(layer: $0.layer, weight: 0) } + only
        }
        r.styleLayers += styleLayer.map(\.entry)
        r.iterations = iterations
        r.size = size
        r.scales = scales?.values
        r.scaleIterations = scaleIterations?.values
        r.normalization = normalization
        r.styleScale = styleScale
        r.history = history
        r.initialization = initialization
        r.originalColors = originalColors ? true : nil
        color?.apply(to: &r)
    }
}
