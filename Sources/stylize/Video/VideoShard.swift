import Foundation
import SafeIO
import StyleTransfer

/// `stylize video --shard I/N` (or a Slurm array's `SLURM_ARRAY_TASK_ID` of `SLURM_ARRAY_TASK_COUNT`, read as
/// `stylize batch --shard` reads them): N processes style one clip in N contiguous chunks, and `--merge` joins them.
///
/// How the chunks join: shard I owns frames `BatchShard.chunk` (I·F/N ..< (I+1)·F/N of F). Every shard after the
/// first also styles the frame before its chunk, the lead-in, in `OUT.frames/.stylize/lead-in-I-of-N/` as a
/// two-frame sequence: the clip's first frame (styled as the first shard styles it, to the same bytes), then the
/// lead-in, started from that first frame's result warped to it by one flow (or blended) and, with `--method flow`,
/// tied to it by the temporal loss. The chunk's first frame starts from, and is tied to, the lead-in, as every later
/// frame is to the one before. A lead-in styled on its own from its photo would not do: the strokes of two stylings
/// of nearly the same photo differ everywhere, which puts the warping error of independent frames at every seam; tied
/// to the clip's first frame, the lead-in keeps the strokes that the chunk before it carried along wherever the flow
/// from the first frame holds (everywhere the camera keeps seeing the same thing).
/// The lead-ins are never part of the clip: each frame of the joined clip is the output of the shard that owns it, and
/// every output frame sits in the one folder, so `--merge` only joins the manifest parts and encodes the clip.
enum VideoShard {
    /// Styles the lead-in of `shard` (the frame before its chunk) in its own folder, a two-frame sequence from the
    /// clip's first frame (which a rerun skips when it finds it made by the same plan), and returns what the chunk's
    /// first frame starts from.
    /// - Parameter configure: sets the lead-in batch up as the clip's own (the flow start, for `--method flow`).
    /// - Returns: nil for the first shard, a shard without frames, or `--method independent` (nothing to start from).
    static func leadIn(shard: BatchShard, frames: [String], method: VideoMethod, workFolder: String,
                       batchJob: (_ content: String, _ output: String) -> BatchJob,
                       configure: (BatchRun) -> Void) throws -> (frame: BatchRun.PreviousFrame, plan: String)? {
        let chunk = shard.chunk(count: frames.count)
        guard chunk.lowerBound > 0, !chunk.isEmpty, method != .independent else { return nil }
        let stateFolder = (workFolder as NSString).appendingPathComponent(".stylize")
        let name = "lead-in-\(shard.index)-of-\(shard.count)"
        let folder = (stateFolder as NSString).appendingPathComponent(name)
        let list = (stateFolder as NSString).appendingPathComponent(name + ".txt")
        let frame = frames[chunk.lowerBound - 1]
        try OutputPath.makeFolder(stateFolder)
        try StagedFile.write(Array(Set([frames[0], frame]).sorted().map { $0 + "\n" }.joined().utf8), to: list)
        // The whole batch (not this process's shard of it): the clip's first frame, then the lead-in.
        let run = BatchRun(job: batchJob(list, folder))
        configure(run)
        try run.run()
        guard let item = run.all.last, let record = run.records.last, record.index == item.index else {
            throw CLIError("\(folder): the lead-in frame \(frame) was not styled")
        }
        return (BatchRun.PreviousFrame(content: item.content, output: run.path(item.output)), record.plan)
    }

    /// `stylize video --merge`: joins the shards' manifest parts in the work folder into its `manifest.jsonl`
    /// (`stylize batch --merge`, which fails when a frame is missing or unfinished) and encodes a video output.
    static func merge(workFolder: String, output: String, isVideoOutput: Bool, frameRate: String) throws {
        try BatchMerge.run(folder: workFolder, report: false)
        guard isVideoOutput else { return }
        let manifest = (workFolder as NSString).appendingPathComponent(BatchManifest.fileName)
        let bytes = try InputFile.contents(of: manifest, limit: InputLimits.listBytes, what: "manifests")
        let records = try BatchRecord.parse(String(decoding: bytes, as: UTF8.self), path: manifest).sorted { $0.index < $1.index }
        let outputs = records.map { (workFolder as NSString).appendingPathComponent($0.output) }
        try FFmpeg.encode(frames: outputs, frameRate: frameRate, to: output)
        Console.output("video: \(output): \(outputs.count) frames at \(frameRate) frames a second\n")
    }
}
