import ArgumentParser
import Foundation
import Imaging
import NeuralCore
import StyleTransfer

/// `stylize batch`: every content × style × preset into one folder, resumable, in shards for array jobs.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Style many images: every content × style × preset into one folder; reruns skip finished items.",
        discussion: """
        Each item is written to OUTDIR/CONTENT-STYLE[-PRESET].png (the preset part
        when --preset is given) and gets a line in OUTDIR/manifest.jsonl. The transfer
        settings (below) apply to each item. A rerun skips the items whose output
        exists and was made with the same inputs and settings; a failing item is
        recorded and the batch goes on (exit status 1). --dry-run prints each item's
        plan, the whole batch's time and its peak memory.
          stylize batch --content 'images/bu*.jpg' --size 256 -o styled/ \\
                        --style images/starry_night.jpg,images/baboon.jpg
        With --content-mask and --region the regions name the styles, and each photo
        gets its mask by name from a mask folder (or one mask file serves every photo).
        Array jobs: --shard I/N, or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or
        JOB_COMPLETION_INDEX with --shard-count N; then stylize batch --merge OUTDIR.
        """)

    @Option(name: .long, help: ArgumentHelp(
        "Content images: a folder, a glob (quoted: 'photos/*.jpg'), a .txt list or a numbered pattern (frames/%05d.png).",
        discussion: "A list has one path a line, relative to the list's folder; # starts a comment."))
    var content: String?

    @Option(name: .long, help: "Style image(s), comma-separated or repeated; each one is a separate item.")
    var style: [String] = []

    @Option(name: .long, help: "Preset name(s) or .json file(s), comma-separated or repeated; each one is a separate item.")
    var preset: [String] = []

    @Option(name: [.short, .long], help: "Output folder (created when missing).")
    var output: String?

    @OptionGroup var shards: ShardOptions

    @Flag(name: .long, help: "The contents are the frames of a video, in order: each frame starts from the previous frame's result.")
    var frames = false

    @Option(name: .long, help: "With --frames: weight of the previous frame's result in a frame's starting image, 0...1 (0: independent frames).")
    var frameBlend: Double = 0.5

    @Flag(name: .long, help: "Write each item's HTML report to OUTDIR/reports/ and OUTDIR/index.html with thumbnails linking them (with shards: at --merge).")
    var report = false

    @Option(name: .long, help: "Join the manifest parts of a sharded batch's folder into its manifest.jsonl (and index.html with --report), then stop.")
    var merge: String?

    @Flag(name: .long, help: "Print only each item's summary line and the batch's.")
    var quiet = false

    @Flag(name: .long, help: "Print each item's plan, the whole batch's time and its peak memory; compute and write nothing.")
    var dryRun = false

    @OptionGroup(title: "Transfer settings, for every item") var settings: TransferSettings

    @OptionGroup(title: "Regions (--content-mask: one mask for every photo, or a folder with a mask per photo, NAME.png for NAME.jpg)")
    var regions: RegionOptions

    /// Options of `stylize transfer` a batch sets itself or cannot honour per item, with why (`UnknownNames` says
    /// it when one is given).
    static let refusedTransferOptions = [
        "--log": "a batch writes OUTDIR/manifest.jsonl instead",
        "--save-every": "a batch writes one image per item",
        "--style-blend": "each style of a batch is a separate item",
        "--checkpoint": "a batch's items are checkpointed in OUTDIR/.stylize/",
        "--style-layers-of": "each style of a batch is a separate item",
        "--studio": "a batch runs unattended; watch one transfer with stylize --studio, or start runs in stylize studio",
    ]

    // MARK: - Validation

    func validate() throws {
        _ = Interrupt.shared
        if let merge {
            guard content == nil, style.isEmpty, output == nil, !shards.isGiven, !dryRun else {
                throw CLIError("--merge \(merge) joins a finished batch's manifest parts; give it alone (and --report)")
            }
            return
        }
        guard let content, !content.isEmpty else { throw CLIError("give --content DIR|GLOB|LIST.txt (or --merge OUTDIR)") }
        if regions.contentMask != nil {
            guard styleFiles.isEmpty else {
                throw CLIError("--style with --content-mask: in a batch the regions name the styles (--region COLOR=STYLE); drop --style")
            }
        } else {
            guard !styleFiles.isEmpty else { throw CLIError("give --style FILE[,FILE...]") }
        }
        guard let output else { throw CLIError("give -o OUTDIR, the folder of the outputs and the manifest") }
        try OutputPath.checkFolder(output, option: "-o", why: "a batch writes one image per item and a manifest")
        guard (0...1).contains(frameBlend) else { throw CLIError("--frame-blend must be in 0...1, not \(frameBlend)") }
        try job().checkEveryItem()
    }

    /// Every `--style`, each split at its commas.
    var styleFiles: [String] { style.flatMap(commaList) }

    /// Every `--preset`, each split at its commas; `[nil]` (the transfer's default, no name part) when none.
    var presets: [String?] {
        let list = preset.flatMap(commaList)
        return list.isEmpty ? [nil] : list
    }

    /// The command line as a typed batch.
    func job() throws -> BatchJob {
        var job = BatchJob(content: content!, styles: styleFiles, presets: presets, folder: output!, settings: settings)
        (job.shard, job.shardSource) = try shards.resolve()
        job.frames = frames
        job.frameBlend = frameBlend
        job.report = report
        job.quiet = quiet
        job.dryRun = dryRun
        job.regions = regions.request
        if let asked = job.regions {
            // No --region: the presets' regions, one map for every item.
            let filled = try presets.map { asked.filled(from: try Preset.find($0 ?? "default")) }
            guard let first = filled.first, !first.regions.isEmpty, filled.allSatisfy({ $0 == first }) else {
                throw CLIError("--content-mask needs --region COLOR=STYLE for each colour of the masks"
                               + (filled.count > 1 ? " (the presets' regions differ)" : ", or a --preset with \"regions\""))
            }
            guard !first.styleFiles(after: []).isEmpty else { throw CLIError("--region: give at least one region a style") }
            job.regions = first
        }
        return job
    }

    func run() throws {
        if let merge {
            try BatchMerge.run(folder: merge, report: report)
            return
        }
        try BatchRun(job: try job()).run()
    }
}
