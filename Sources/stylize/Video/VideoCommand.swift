import ArgumentParser
import Foundation
import Imaging
import SafeIO
import StyleTransfer
import Video

/// How each frame of a clip starts and what ties it to the previous one.
enum VideoMethod: String, ExpressibleByArgument, CaseIterable {
    /// Every frame on its own, from the photo, with the preset's scales.
    case independent
    /// `batch --frames`: from the previous result blended with the frame (`--frame-blend`, default 0.5).
    case blend
    /// Ruder et al.: from the previous result warped by optical flow, with the temporal loss.
    case flow
}

extension FlowMethod: ExpressibleByArgument {}

/// `stylize video`: a clip (or a folder of numbered frames) styled frame by frame into a clip (or a folder).
///
/// The frames run as a `stylize batch --frames` sequence (Batch/BatchRun.swift) in a work folder: its manifest,
/// records and skipping make a stopped run resume at the next frame; with `--method flow` each frame after the
/// first starts from `FlowStart` (Sources/Video) and carries its temporal target.
struct VideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Style a clip frame by frame, each frame tied to the previous one by optical flow.",
        discussion: """
        The content is a video file (anything ffmpeg reads) or a folder of numbered
        frames; the output is a video file (.mp4, .mkv or .mov, H.264 at the source's
        frame rate) or a folder. A video output keeps its frames in OUT.frames/ (a
        folder output holds them itself) with a batch manifest: Ctrl-C keeps every
        finished frame and a rerun resumes at the next one. The transfer settings
        (below) apply to each frame.
          stylize video --content images/vtest.avi --style images/starry_night.jpg \\
                        --size 256 --frames 48 -o vtest-starry.mp4
          stylize video --check --content images/vtest.avi -o vtest-starry.mp4
        Array jobs: --shard I/N (or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT)
        styles the I-th of N contiguous chunks; each chunk's first frame starts from,
        and is tied to, the frame before it, styled from the clip's first frame. When
        every shard is done, the same command with --merge instead of --shard joins them.
        """)

    @Option(name: .long, help: "The clip: a video file ffmpeg reads, or a folder of numbered frames (PNG or JPEG).")
    var content: String?

    @Option(name: .long, help: "The style image.")
    var style: String?

    @Option(name: [.short, .long], help: "Output: a video file (.mp4, .mkv, .mov) or a folder of frames.")
    var output: String?

    @Option(name: .long, help: ArgumentHelp("How each frame starts: flow (the previous result warped by optical flow, with the temporal loss), blend (the previous result blended with the frame, as batch --frames) or independent.", valueName: "flow|blend|independent"))
    var method: VideoMethod = .flow

    @Option(name: .long, help: ArgumentHelp("Optical flow of --method flow: OpenCV's DIS presets or Farneback.", valueName: "dis-ultrafast|dis-fast|dis-medium|farneback"))
    var flow: FlowMethod = .disMedium

    @Option(name: .long, help: "With --method blend: weight of the previous result in a frame's start, 0...1.")
    var frameBlend: Double = 0.5

    @Option(name: .long, help: "Style only the first N frames.")
    var frames: Int?

    @Option(name: .long, help: "Frame rate of a clip made from a folder of frames (a video's own rate is kept).")
    var frameRate: Double = 25

    @Option(name: .long, help: "Preset name or .json file.")
    var preset: String?

    @Flag(name: .long, help: "Measure a styled clip instead: the warping error (Lai et al.) and the flicker of static regions, per frame pair and in all.")
    var check = false

    @OptionGroup var shards: ShardOptions

    @Flag(name: .long, help: "Join the chunks that --shard styled: check that every frame is there and encode the video output.")
    var merge = false

    @Flag(name: .long, help: "Print only each frame's summary and the clip's.")
    var quiet = false

    @OptionGroup(title: "Transfer settings, for every frame (--size is the frames' longest edge: the clip is decoded at it)")
    var settings: TransferSettings

    /// Options of `stylize transfer` a clip's frames cannot take, with why (`UnknownNames` says it when one is given).
    static let refusedTransferOptions = BatchCommand.refusedTransferOptions.merging(
        ["--content-mask", "--region", "--style-mask", "--mask-feather"].map {
            ($0, "regions are not applied to a clip; style its frames with stylize batch --frames --content-mask")
        }) { a, _ in a }

    /// Extensions of a video output.
    static let videoExtensions = ["mp4", "mkv", "mov"]
    /// Frames are numbered with six digits, so that names sort by number up to this count.
    static let maxFrames = 999_999

    func validate() throws {
        _ = Interrupt.shared
        guard let content, !content.isEmpty else { throw CLIError("give --content CLIP|FOLDER") }
        guard let output, !output.isEmpty else { throw CLIError("give -o OUT.mp4|FOLDER") }
        if check && merge { throw CLIError("give --check or --merge, not both") }
        if merge && shards.isGiven { throw CLIError("--merge joins every shard's frames; give it without --shard and --shard-count") }
        if !check && !merge { guard style?.isEmpty == false else { throw CLIError("give --style FILE, the painting") } }
        if let frames { try checkRange(frames, 1...Self.maxFrames, option: "--frames") }
        if let size = settings.size { try checkSize(size) }
        guard (0 ... 1).contains(frameBlend) else { throw CLIError("--frame-blend must be in 0...1, not \(frameBlend)") }
        guard frameRate > 0, frameRate <= 1000 else { throw CLIError("--frame-rate must be in (0, 1000], not \(frameRate)") }
        guard FileManager.default.fileExists(atPath: content) else { throw CLIError("\(content): --content: no such file or folder") }
        let ext = (output as NSString).pathExtension
        if isVideoOutput {
            try OutputPath.checkFile(output, option: "-o", extensions: Self.videoExtensions)
        } else if !ext.isEmpty && !isFolder(output) {
            throw CLIError("\(output): -o must be a .mp4, .mkv or .mov file, or a folder for the frames (not a .\(ext) file)")
        } else {
            try OutputPath.checkFolder(output, option: "-o", why: "the styled frames, or give a .mp4, .mkv or .mov file")
            if isFolder(content), PathResolution.resolved(content) == PathResolution.resolved(output) {
                throw CLIError("\(output): -o is the folder of the input frames; give another folder")
            }
        }
    }

    /// Whether `-o` names a video file (else a folder of frames).
    var isVideoOutput: Bool { Self.videoExtensions.contains(((output ?? "") as NSString).pathExtension.lowercased()) }

    /// `--method flow`: a frame starts from the previous result warped by `FlowStart` and carries its temporal target;
    /// the seconds of optical flow go into `timing`.
    func flowStart(timing: VideoTiming?) -> (description: String, make: (BatchItem, BatchRun.PreviousFrame) throws -> (start: RGBImage, temporal: TemporalTarget)) {
        let flow = self.flow
        return (description: flow.rawValue, make: { item, previous in
            let made = try FlowStart.make(previousOutput: try RGBImage(contentsOf: previous.output),
                                          previousFrame: try RGBImage(contentsOf: previous.content),
                                          frame: try RGBImage(contentsOf: item.content), method: flow)
            timing?.record(item.name, flowSeconds: made.flowSeconds)
            let s = made.start
            return (s, TemporalTarget(width: s.width, height: s.height, warped: made.warped, weights: made.weights))
        })
    }

    /// The `stylize batch --frames` run of `content` (a list of frames) into `output`, as a whole batch.
    func batchJob(content: String, output: String, frameBlend: Double) -> BatchJob {
        var job = BatchJob(content: content, styles: [style!], presets: [preset], folder: output, settings: settings)
        job.frames = true
        job.frameBlend = frameBlend
        job.quiet = quiet
        return job
    }

    /// Where the styled frames and the batch's records go: the output folder, or `OUT.frames/` beside a video.
    var workFolder: String {
        let output = output!
        return isVideoOutput ? (output as NSString).deletingPathExtension + ".frames" : output
    }

    func run() throws {
        let source = try VideoSource(path: content!, workFolder: workFolder, limit: frames, size: settings.size,
                                     folderFrameRate: frameRate, quiet: quiet)
        if check {
            try VideoCheck(source: source, workFolder: workFolder, flow: flow, quiet: quiet).run()
            return
        }
        if isVideoOutput {
            var roles = FileRoles()
            roles.reads = [(content!, "--content")] + (style.map { [($0, "--style")] } ?? [])
            roles.writes = [(output!, "-o")]
            try roles.check()
        }
        if merge {
            try VideoShard.merge(workFolder: workFolder, output: output!, isVideoOutput: isVideoOutput, frameRate: source.frameRate)
            return
        }
        let frameList = source.listPath
        var job = batchJob(content: frameList, output: workFolder, frameBlend: method == .independent ? 0 : frameBlend)
        let (part, _) = try shards.resolve()
        job.shard = part
        try job.checkEveryItem()
        _ = try source.prepare()
        let run = BatchRun(job: job)
        run.chunked = true
        let timing = VideoTiming(folder: workFolder, shard: part)
        if method == .flow { run.flowStart = flowStart(timing: timing) }
        let started = Date()
        defer { timing.save() }
        if part.count > 1 {
            run.leadIn = try VideoShard.leadIn(shard: part, frames: try BatchContents.expand(frameList), method: method,
                                               workFolder: workFolder, batchJob: { content, output in
                batchJob(content: content, output: output, frameBlend: method == .independent ? 0 : frameBlend)
            }, configure: { leadIn in
                if method == .flow { leadIn.flowStart = flowStart(timing: nil) }
            })
        }
        try run.run()
        let seconds = Date().timeIntervalSince(started)
        if method == .flow, timing.total > 0 {
            Console.output(String(format: "video: optical flow (%@) took %.1f s of %.1f s (%.1f%%)\n", flow.rawValue, timing.total,
                                  seconds, 100 * timing.total / max(seconds, 1e-9)))
        }
        if part.count > 1 {
            let chunk = part.chunk(count: run.all.count)
            Console.output("video: shard \(part) " + (chunk.isEmpty ? "has no frame" : "styled frames \(chunk.lowerBound + 1)...\(chunk.upperBound)")
                           + " of \(run.all.count); when every shard is done, run the same command with --merge instead of the shard to join them\n")
        } else if isVideoOutput {
            let outputs = run.all.map { run.path($0.output) }
            try FFmpeg.encode(frames: outputs, frameRate: source.frameRate, to: output!)
            Console.output("video: \(output!): \(outputs.count) frames at \(source.frameRate) frames a second\n")
        }
    }
}

/// Seconds of optical flow per frame, kept in the work folder for `--check`: `video-timing.json`, or one
/// `video-timing-part-I-of-N.json` per shard.
final class VideoTiming {
    let path: String
    private(set) var flowSeconds: [String: Double]
    private(set) var total = 0.0

    init(folder: String, shard: BatchShard) {
        path = (folder as NSString).appendingPathComponent(shard.count == 1 ? "video-timing.json" : "video-timing-part-\(shard.index)-of-\(shard.count).json")
        flowSeconds = Self.read(path)
    }

    private static func read(_ path: String) -> [String: Double] {
        let data = FileManager.default.contents(atPath: path) ?? Data()
        return ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["flow_seconds"] as? [String: Double] ?? [:]
    }

    /// The flow seconds of every frame in `folder`, from every shard's file.
    static func all(in folder: String) -> [String: Double] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasPrefix("video-timing") && $0.hasSuffix(".json") }.sorted()
        return names.reduce(into: [:]) { all, name in
            all.merge(read((folder as NSString).appendingPathComponent(name))) { _, new in new }
        }
    }

    func record(_ name: String, flowSeconds seconds: Double) {
        flowSeconds[name] = seconds
        total += seconds
    }

    func save() {
        guard let data = try? JSONSerialization.data(withJSONObject: ["flow_seconds": flowSeconds], options: [.sortedKeys]) else { return }
        try? StagedFile.write(Array(data), to: path)
    }
}
