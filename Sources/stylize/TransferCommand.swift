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

    @Option(name: [.short, .long], help: "Output image, .png or .jpg, in an existing folder (default: output/CONTENT-STYLE.png, or CONTENT-STYLE-PRESET.png with --preset; output/ is created).")
    var output: String?

    @Option(name: .long, help: "Preset name (see `stylize presets`) or path to a preset .json file.")
    var preset: String = "default"

    @Option(name: .long, help: ArgumentHelp("Scale control: the style layers whose Gram targets come from one --style image, STYLE=LAYER,... (repeatable), e.g. a.jpg=relu4_1,relu5_1 --style-layers-of b.jpg=relu1_1,relu2_1,relu3_1 for the coarse layers of one painting and the fine of another; a style not named takes every style layer.", valueName: "style=layers"))
    var styleLayersOf: [StyleLayerGroupArgument] = []

    @Option(name: .long, help: "Write a numbered intermediate image every N steps.")
    var saveEvery: Int?

    @Option(name: .long, help: "Write one JSON line per step to this file (written when the run ends), or to standard output with - (the summary line then goes to standard error).")
    var log: String?

    @Option(name: .long, help: "Write a self-contained HTML run report (pictures, loss curves, Gram comparisons, settings).")
    var report: String?

    @Option(name: .long, help: "Keep the run's state in this file (written atomically on Ctrl-C, SIGTERM and every --checkpoint-every steps); continue with `stylize resume FILE`.")
    var checkpoint: String?

    @Flag(name: .long, help: "Print the plan, the peak memory and the estimated time, and write nothing (the first time on a machine it calibrates for a few seconds).")
    var dryRun = false

    @OptionGroup(title: "Transfer settings (shared with batch and video)") var settings: TransferSettings

    @OptionGroup var studio: StudioWatchOptions

    @OptionGroup(title: "Regions") var regions: RegionOptions

    @Flag(name: .long, help: "Print only the final summary.")
    var quiet = false

    // MARK: - Validation

    func validate() throws {
        _ = Interrupt.shared   // from the start: a signal while loading stops cleanly too
        try regions.validate()
        guard !styleFiles.isEmpty || regions.contentMask != nil, !styleFiles.contains(where: \.isEmpty) else {
            throw CLIError("--style needs one or more image paths, comma-separated, e.g. a.jpg,b.jpg")
        }
        try OutputPath.checkFile(outputPath, option: "-o", extensions: ["png", "jpg", "jpeg"])
        if let report { try OutputPath.checkFile(report, option: "--report", extensions: ["html"]) }
        if let checkpoint { try OutputPath.checkFile(checkpoint, option: "--checkpoint", extensions: ["ckpt"]) }
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
        return "\(defaultOutputFolder)/\(c)\(s.isEmpty ? "" : "-" + s)\(p).png"   // no style part: the preset's regions
    }

    /// The command line as one typed transfer.
    var job: TransferJob {
        var job = TransferJob(content: content, styles: styleFiles, preset: preset, settings: settings,
                              outputs: RunOutputs(image: outputPath, report: report, log: log, saveEvery: saveEvery,
                                                  checkpoint: checkpoint, checkpointEvery: settings.checkpointEvery))
        job.blend = styleBlend?.values
        job.styleLayerGroups = styleLayersOf.map(\.group)
        job.regions = regions.request
        job.quiet = quiet
        job.dryRun = dryRun
        if output == nil { job.madeFolder = defaultOutputFolder }
        return job
    }

    // MARK: - Run

    func run() throws { try job.perform(studio: studio) }
}

/// One transfer, typed: its files, its preset and the shared settings, from the inputs to the written files (the
/// files' roles, the images, the weights, the checked plan, then `TransferRunner`). The transfer command makes one
/// from its options; `stylize batch` one per item (a video frame is one too), with the item's files as fields.
struct TransferJob {
    var content: String
    var styles: [String]
    /// The preset as given: a name or a .json file (an input of the run).
    var preset: String
    var settings: TransferSettings
    var outputs: RunOutputs
    /// One weight per style; nil: equal weights.
    var blend: [Double]? = nil
    var styleLayerGroups: [StyleLayerGroup] = []
    var regions: RegionRequest? = nil
    /// A video frame's start: the previous result at the output size, run at that one scale from it (a coarse scale
    /// first would start from a shrunk copy and lose its strokes); it replaces the sizes and `--init`.
    var start: (path: String, edge: Int)? = nil
    var quiet = false
    var dryRun = false
    /// The folder the run creates for its output (the transfer's default `output/`).
    var madeFolder: String? = nil

    /// The run asked for, on the preset `base` (`Preset.find(preset)`).
    func request(preset base: Preset) -> RunRequest {
        var r = RunRequest(preset: base, content: content, styles: styles, outputs: outputs)
        settings.apply(to: &r)
        r.blend = blend
        r.styleLayerGroups = styleLayerGroups
        r.regions = regions
        if let start {
            r.size = nil
            r.scales = [start.edge]
            r.initialization = .image(path: start.path)
        }
        return r
    }

    /// The images `request` names, decoded: the content, the styles, an `--init` image, and the regions' masks.
    func readInputs(_ request: RunRequest) throws -> RunInputs {
        var inputs = try RunInputs.read(content: content, styles: styles, initialization: request.initialization, using: readImage)
        if let regions {
            inputs.contentMask = try readImage(regions.contentMask)
            inputs.styleMasks = try regions.styleMaskFiles(for: styles).map { try $0.map(readImage) }
        }
        return inputs
    }

    /// Every file a run writes (output, report, log, checkpoint, numbered intermediates: `TransferRunner.roles`)
    /// against every file it reads (content, styles, --init, masks, the preset, the weights).
    func roles() -> FileRoles {
        var reads: [FileRoles.Role] = [(content, "--content")] + styles.map { ($0, "--style") }
        if let i = start?.path ?? settings.initialization?.path { reads.append((i, "--init")) }
        reads += regions?.reads ?? []
        if let file = Preset.file(of: preset) { reads.append((file, "--preset")) }
        reads += settings.network.reads
        var roles = TransferRunner.roles(outputs, reads: reads)
        if let madeFolder { roles.madeFolders = [madeFolder] }
        return roles
    }

    /// The whole transfer; the files are checked first (`roles()`), before anything is read.
    /// - Parameters:
    ///   - progress: the display to use (a batch's own), nil for a new one.
    ///   - temporal: a video frame's warped previous result (`stylize video`), at the output size.
    ///   - studio: `--studio`: the run is watched and steered from a web page.
    /// - Returns: the result (nil for --dry-run); an interrupted run throws `ExitCode` after saving.
    @discardableResult
    func perform(progress: ProgressDisplay? = nil, interruptedHint: String? = nil, temporal: TemporalTarget? = nil,
                 studio: StudioWatchOptions? = nil) throws -> StylizeResult? {
        let base = try Preset.find(preset)
        // A content mask given without `--region` takes `base`'s regions: its colours and styles, the styles added
        // to the run's.
        var job = self
        if let filled = regions?.filled(from: base) { (job.regions, job.styles) = (filled, filled.styleFiles(after: styles)) }
        return try job.perform(base, progress: progress, interruptedHint: interruptedHint, temporal: temporal, studio: studio)
    }

    private func perform(_ base: Preset, progress: ProgressDisplay?, interruptedHint: String?, temporal: TemporalTarget?,
                         studio: StudioWatchOptions?) throws -> StylizeResult? {
        try roles().check()
        let request = request(preset: base)
        var inputs = try readInputs(request)
        inputs.temporal = temporal
        let weights = try settings.network.loadWeights()
        let plan = try RunPlan(checking: request, inputs: inputs, architecture: weights.architecture)
        if let madeFolder, !dryRun { try OutputPath.makeFolder(madeFolder) }
        var run = TransferRunner(plan: plan, inputs: inputs, weights: weights, network: settings.network, quiet: quiet)
        run.progress = progress
        run.tiling = settings.tile
        run.recalibrate = settings.recalibrate
        run.interruptedHint = interruptedHint
        if let studio, studio.studio, !dryRun { return try studio.watch(run, request: request, preset: request.preset, fit: settings.fit) }
        return try run.execute(dryRun: dryRun, fit: settings.fit)
    }
}
