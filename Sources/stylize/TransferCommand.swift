import ArgumentParser
import Foundation
import Imaging
import NeuralCore
import StyleTransfer

/// `stylize --content photo.jpg --style starry_night.jpg`: the main job.
struct TransferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Paint a content photo in the manner of one or more style images (the default command).",
        discussion: """
        Examples, from the repository or any folder (images/NAME not found here is
        read from the installed sample images):
          stylize --content images/building.jpg --style images/starry_night.jpg \\
                  --preset starry-night -o starry.png
          stylize --content images/building.jpg --style images/starry_night.jpg \\
                  --style images/baboon.jpg --style-blend 0.7,0.3 -o blend.jpg
        neural-style's single-dash flags (-content_image, -style_image,
        -num_iterations, -original_colors 1, ...) are read as these options.
        """)

    @Option(name: .long, help: "The content photo (PNG or JPEG).")
    var content: String

    @Option(name: .long, help: "Style image(s): comma-separated (a.jpg,b.jpg) or repeated (--style a.jpg --style b.jpg).")
    var style: [PathList] = []

    @Option(name: .long, help: "Blend weights of the style images, comma-separated (default: equal).")
    var styleBlend: NumberList<Double>?

    @Option(name: .long, help: presetHelp("style_scale"))
    var styleScale: Double?

    @Option(name: [.short, .long], help: "Output image, .png or .jpg, in an existing folder (default: output/CONTENT-STYLE.png, or CONTENT-STYLE-PRESET.png with --preset; output/ is created).")
    var output: String?

    @Option(name: .long, help: presetHelp("size"))
    var size: Int?

    @Option(name: .long, help: presetHelp("iterations"))
    var iterations: Int?

    @Option(name: .long, help: "Preset name (see `stylize presets`) or path to a preset .json file.")
    var preset: String = "default"

    @Option(name: .long, help: presetHelp("content_weight"))
    var contentWeight: Double?

    @Option(name: .long, help: presetHelp("style_weight"))
    var styleWeight: Double?

    @Option(name: .long, help: presetHelp("tv_weight"))
    var tvWeight: Double?

    @Option(name: .long, help: presetHelp("temporal_weight"))
    var temporalWeight: Double?

    @Option(name: .long, help: presetHelp("content_layer"))
    var contentLayer: String?

    @Option(name: .long, help: presetHelp("style_layers", naming: false))
    var styleLayer: [StyleLayerArgument] = []

    @Option(name: .long, help: ArgumentHelp("The only style layers, LAYER[=WEIGHT],... (weight 1 unless given), e.g. relu1_1,relu2_1=0.5; the preset's others are dropped.", valueName: "layers"))
    var styleLayers: StyleLayerList?

    @Option(name: .long, help: ArgumentHelp("Scale control: the style layers whose Gram targets come from one --style image, STYLE=LAYER,... (repeatable), e.g. a.jpg=relu4_1,relu5_1 --style-layers-of b.jpg=relu1_1,relu2_1,relu3_1 for the coarse layers of one painting and the fine of another; a style not named takes every style layer.", valueName: "style=layers"))
    var styleLayersOf: [StyleLayerGroupArgument] = []

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

    @Option(name: .long, help: "Write a numbered intermediate image every N steps.")
    var saveEvery: Int?

    @Option(name: .long, help: "Write one JSON line per step to this file (written when the run ends), or to standard output with - (the summary line then goes to standard error).")
    var log: String?

    @Option(name: .long, help: "Write a self-contained HTML run report (pictures, loss curves, Gram comparisons, settings).")
    var report: String?

    @Option(name: .long, help: "Keep the run's state in this file (written atomically on Ctrl-C, SIGTERM and every --checkpoint-every steps); continue with `stylize resume FILE`.")
    var checkpoint: String?

    @Option(name: .long, help: "Write the --checkpoint every N steps too.")
    var checkpointEvery: Int?

    @Flag(name: .long, help: "Print the plan, the peak memory and the estimated time, and write nothing (the first time on a machine it calibrates for a few seconds).")
    var dryRun = false

    @Flag(name: .long, help: "Measure this machine's speed again for the time estimates and keep the new measure (after a calibration made while the machine was busy).")
    var recalibrate = false

    @Flag(name: .long, help: "Lower the size until the run fits in the memory available now, and say so.")
    var fit = false

    @OptionGroup var network: NetworkOptions

    @OptionGroup var studio: StudioWatchOptions

    @OptionGroup(title: "Regions") var regions: RegionOptions

    @Flag(name: .long, help: "Print only the final summary.")
    var quiet = false

    // MARK: - Validation

    func validate() throws {
        _ = Interrupt.shared   // from the start: a signal while loading stops cleanly too
        if let list = styleLayer.first(where: \.isList) {
            throw CLIError("--style-layer \(list.text): --style-layer sets one layer's weight; to use only some"
                           + " layers, give them to --style-layers (e.g. --style-layers relu1_1,relu2_1=0.5)")
        }
        try regions.validate()
        guard !styleFiles.isEmpty || regions.contentMask != nil, !styleFiles.contains(where: \.isEmpty) else {
            throw CLIError("--style needs one or more image paths, comma-separated, e.g. a.jpg,b.jpg")
        }
        if let path = initialization?.path, !path.contains("/"), !path.contains("."), !FileManager.default.fileExists(atPath: path) {
            throw CLIError("--init \(path): give content, noise (or random), style, or the path of a PNG or JPEG file"
                           + (path == "image" ? " (neural-style's -init image is --init content)" : ""))
        }
        try OutputPath.checkFile(outputPath, option: "-o", extensions: ["png", "jpg", "jpeg"])
        if let report { try OutputPath.checkFile(report, option: "--report", extensions: ["html"]) }
        if let checkpoint { try OutputPath.checkFile(checkpoint, option: "--checkpoint", extensions: ["ckpt"]) }
    }

    /// Every file a run writes (output, report, log, checkpoint, numbered intermediates: `PlanRun.roles`) against
    /// every file it reads (content, styles, --init, the preset, the weights).
    func roles() -> FileRoles {
        var reads: [FileRoles.Role] = [(content, "--content")] + styleFiles.map { ($0, "--style") }
        if let i = initialization?.path { reads.append((i, "--init")) }
        reads += regions.reads
        if let file = Preset.file(of: preset) { reads.append((file, "--preset")) }
        if let weights = network.weightsPath {
            reads.append((weights, "--weights"))
        }
        var roles = PlanRun.roles(outputs, reads: reads)
        if output == nil { roles.madeFolders = [defaultOutputFolder] }
        return roles
    }

    /// The folder of the default output, created by the run.
    var defaultOutputFolder: String { "output" }

    /// Every `--style`, each split at its commas.
    var styleFiles: [String] {
        let given = style.flatMap(\.paths)
        return regions.request?.styleFiles(after: given) ?? given
    }

    var outputPath: String {
        if let output { return output }
        let c = URL(fileURLWithPath: content).deletingPathExtension().lastPathComponent
        let s = styleFiles.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }.joined(separator: "+")
        // A preset part, as in a batch, so that runs with two presets do not write one file.
        let p = preset == "default" ? "" : "-" + URL(fileURLWithPath: preset).deletingPathExtension().lastPathComponent
        return "\(defaultOutputFolder)/\(c)-\(s)\(p).png"
    }

    var outputs: RunOutputs {
        RunOutputs(image: outputPath, report: report, log: log, saveEvery: saveEvery, checkpoint: checkpoint,
                   checkpointEvery: checkpointEvery)
    }

    /// The flags as a request: the preset and every value given on the command line.
    func request(preset base: Preset) -> RunRequest {
        var r = RunRequest(preset: base, content: content, styles: styleFiles, outputs: outputs)
        r.blend = styleBlend?.values
        r.seed = seed
        r.pixelBox = !noBox
        r.preconditioned = !noPreconditioner
        r.historyPrecision = historyPrecision
        r.tiling = tile
        r.convolution = network.conv
        r.contentWeight = contentWeight
        r.styleWeight = styleWeight
        r.tvWeight = tvWeight
        r.temporalWeight = temporalWeight
        r.contentLayer = contentLayer
        if let only = styleLayers?.entries {
            let picked = Set(only.map { VGGArchitecture.kerasName($0.layer) })
            r.styleLayers = base.styleLayers.filter { !picked.contains($0.layer) }.map { .init(layer: $0.layer, weight: 0) } + only
        }
        r.styleLayers += styleLayer.map(\.entry)
        r.styleLayerGroups = styleLayersOf.map(\.group)
        r.iterations = iterations
        r.size = size
        r.scales = scales?.values
        r.scaleIterations = scaleIterations?.values
        r.normalization = normalization
        r.styleScale = styleScale
        r.history = history
        r.initialization = initialization
        r.originalColors = originalColors ? true : nil
        r.regions = regions.request
        color?.apply(to: &r)
        return r
    }

    // MARK: - Run

    func run() throws { try perform() }

    /// The whole transfer; `stylize batch` calls it once per item with its own `progress`. The files are checked
    /// first (`roles()`), before anything is read.
    /// - Parameter temporal: a video frame's warped previous result (`stylize video`), at the output size.
    /// - Returns: the result (nil for --dry-run); an interrupted run throws `ExitCode` after saving.
    @discardableResult
    func perform(progress: ProgressDisplay? = nil, interruptedHint: String? = nil, temporal: TemporalTarget? = nil) throws -> StylizeResult? {
        try roles().check()
        let request = request(preset: try Preset.find(preset))
        var inputs = try RunInputs.read(content: content, styles: styleFiles, initialization: initialization, using: readImage)
        inputs.temporal = temporal
        if let asked = regions.request {
            inputs.contentMask = try readImage(asked.contentMask)
            inputs.styleMasks = try asked.styleMaskFiles(for: styleFiles).map { try $0.map(readImage) }
        }
        let weights = try network.loadWeights()
        let plan: RunPlan
        do { plan = try RunPlan(request: request, inputs: inputs, architecture: weights.architecture) } catch {
            throw CLIError(error.description)
        }
        if output == nil && !dryRun { try OutputPath.makeFolder(defaultOutputFolder) }
        var run = PlanRun(plan: plan, inputs: inputs, weights: weights, network: network, quiet: quiet)
        run.progress = progress
        run.tiling = tile
        run.recalibrate = recalibrate
        run.interruptedHint = interruptedHint
        if studio.studio && !dryRun { return try studio.watch(run, request: request, preset: request.preset, fit: fit) }
        return try run.execute(dryRun: dryRun, fit: fit)
    }
}
