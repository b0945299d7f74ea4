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
        when --preset is given) and gets a line in OUTDIR/manifest.jsonl. Every other
        option is a `stylize transfer` option and applies to each item. A rerun skips
        the items whose output exists and was made with the same inputs and settings;
        a failing item is recorded and the batch goes on (exit status 1). --dry-run
        prints each item's plan, the whole batch's time and its peak memory.
          stylize batch --content 'images/bu*.jpg' --size 256 -o styled/ \\
                        --style images/starry_night.jpg,images/baboon.jpg
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

    @Option(name: .long, help: "Run part I of N (0-based), e.g. 0/4; N tasks with I = 0...N-1 cover every item once.")
    var shard: String?

    @Option(name: .long, help: "Task count for an index taken from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID.")
    var shardCount: Int?

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

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp(
        "Options of `stylize transfer` (--size, --iterations, --weights, --init, ...) applied to every item.",
        valueName: "transfer-options"))
    var transferOptions: [String] = []

    /// Transfer options a batch sets itself or cannot honour per item.
    static let refusedTransferOptions = [
        "--log": "a batch writes OUTDIR/manifest.jsonl instead",
        "--save-every": "a batch writes one image per item",
        "--style-blend": "each style of a batch is a separate item",
        "--checkpoint": "a batch's items are checkpointed in OUTDIR/.stylize/",
        "--content-mask": "regions are for one photo at a time: run stylize --content-mask for each photo, or stylize sweep",
        "--region": "regions are for one photo at a time: run stylize --content-mask for each photo, or stylize sweep",
        "--style-mask": "regions are for one photo at a time: run stylize --content-mask for each photo, or stylize sweep",
        "--mask-feather": "regions are for one photo at a time: run stylize --content-mask for each photo, or stylize sweep",
    ]

    // MARK: - Validation

    func validate() throws {
        _ = Interrupt.shared
        if let merge {
            guard content == nil, style.isEmpty, output == nil, shard == nil, transferOptions.isEmpty else {
                throw CLIError("--merge \(merge) joins a finished batch's manifest parts; give it alone (and --report)")
            }
            return
        }
        guard let content, !content.isEmpty else { throw CLIError("give --content DIR|GLOB|LIST.txt (or --merge OUTDIR)") }
        guard !styleFiles.isEmpty else { throw CLIError("give --style FILE[,FILE...]") }
        guard let output else { throw CLIError("give -o OUTDIR, the folder of the outputs and the manifest") }
        try OutputPath.checkFolder(output, option: "-o", why: "a batch writes one image per item and a manifest")
        try Self.checkShardOptions(shard: shard, shardCount: shardCount)
        guard (0...1).contains(frameBlend) else { throw CLIError("--frame-blend must be in 0...1, not \(frameBlend)") }
        for option in transferOptions {
            let name = String(option.split(separator: "=", maxSplits: 1).first ?? "")
            if let why = BatchCommand.refusedTransferOptions[name] {
                throw CLIError("\(name) is not a batch option: \(why)")
            }
        }
        try checkSharedOptions(output: output)
    }

    /// The transfer options checked once before the first item, as each item gets them (on stand-in file names):
    /// parsed, so that a typo stops the batch before it starts, and planned for each preset on square stand-in
    /// images with VGG19's layers, so that options no item can run with (`--size 32 --scales 32`) do too. A square
    /// is the largest image at a given longest edge and VGG19 has every layer of VGG16, so a problem found here is
    /// a problem of every item.
    func checkSharedOptions(output: String) throws {
        let square = RGBImage(width: 64, height: 64)
        for preset in presets {
            let item = ["--content", "content.png", "--style", "style.png", "-o", (output as NSString).appendingPathComponent("item.png"),
                        "--checkpoint", (output as NSString).appendingPathComponent(".stylize/item.ckpt")]
            let standIn: TransferCommand
            do { standIn = try TransferCommand.parse(item + (preset.map { ["--preset", $0] } ?? []) + transferOptions) } catch {
                throw CLIError(TransferCommand.message(for: error).replacingOccurrences(of: "\n", with: " "))
            }
            let request = standIn.request(preset: try Preset.find(standIn.preset))
            do { _ = try RunPlan(request: request, inputs: RunInputs(content: square, styles: [square]), architecture: .vgg19) } catch {
                throw CLIError("every item would fail: \(error)")
            }
        }
    }

    /// `--shard I/N` and `--shard-count N` as given (the batch's and the video's): each valid, not both.
    static func checkShardOptions(shard: String?, shardCount: Int?) throws {
        if let shard { _ = try BatchShard.parse(shard) }
        if let n = shardCount, n < 1 { throw CLIError("--shard-count must be at least 1") }
        if shard != nil && shardCount != nil { throw CLIError("give --shard I/N or --shard-count N, not both") }
    }

    /// Every `--style`, each split at its commas.
    var styleFiles: [String] { style.flatMap(commaList) }

    /// Every `--preset`, each split at its commas; `[nil]` (the transfer's default, no name part) when none.
    var presets: [String?] {
        let list = preset.flatMap(commaList)
        return list.isEmpty ? [nil] : list
    }

    /// The shard this process runs: `--shard`, else the scheduler's variables, else the whole batch.
    func resolvedShard(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (BatchShard, String?) {
        if let shard { return (try BatchShard.parse(shard), nil) }
        if let found = try BatchShard.fromEnvironment(environment, count: shardCount) {
            let source = environment["SLURM_ARRAY_TASK_ID"] != nil ? "SLURM_ARRAY_TASK_ID" : "JOB_COMPLETION_INDEX"
            return (found, source)
        }
        if shardCount != nil {
            throw CLIError("--shard-count needs JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID in the environment; else give --shard I/N")
        }
        return (.whole, nil)
    }

    func run() throws {
        if let merge {
            try BatchMerge.run(folder: merge, report: report)
            return
        }
        try BatchRun(command: self).run()
    }
}
