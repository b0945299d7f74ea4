import ArgumentParser
import Foundation
import Imaging
import NeuralCore
import SafeIO
import StyleTransfer

/// One process's part of a batch: each of its items skipped, computed by the transfer command, or recorded as failed.
///
/// Files in the output folder: the outputs, the manifest (or this shard's part), `reports/` with `--report`, and
/// `.stylize/`, which holds each finished item's record (`NAME.json`, what a rerun compares) and a frame's starting
/// image while it runs.
final class BatchRun {
    let job: BatchJob
    let folder: String
    let stateFolder: String
    let quiet: Bool
    /// Every item of the batch (all shards), in order.
    private(set) var all: [BatchItem] = []
    /// `stylize video --method flow` (Video/VideoCommand.swift): a frame's start and temporal target from the previous
    /// frame's output, by optical flow, instead of the blend; its description goes into the plan hashes.
    var flowStart: (description: String, make: (_ item: BatchItem, _ previous: PreviousFrame) throws -> (start: RGBImage, temporal: TemporalTarget))?
    /// `stylize video --shard`: shard I of N runs a contiguous chunk of the frames (`BatchShard.chunk`) instead of
    /// every Nth chain.
    var chunked = false
    /// `stylize video --shard`: the frame before this shard's chunk, styled in another folder (VideoShard.swift),
    /// which the chunk's first frame starts from instead of the frame before it here; its plan goes into that frame's
    /// plan.
    var leadIn: (frame: PreviousFrame, plan: String)?
    /// This run's records, in order, once `run` has ended.
    private(set) var records: [BatchRecord] = []
    /// The index of this run's first item.
    private var firstIndex: Int?

    /// The frame a frame starts from: its photo and the path of its output.
    struct PreviousFrame {
        var content: String
        var output: String
    }

    init(job: BatchJob) {
        self.job = job
        folder = job.folder
        stateFolder = (folder as NSString).appendingPathComponent(".stylize")
        quiet = job.quiet
    }

    func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
    func statePath(_ item: BatchItem) -> String { (stateFolder as NSString).appendingPathComponent(item.name + ".json") }
    func checkpointPath(_ item: BatchItem) -> String { (stateFolder as NSString).appendingPathComponent(item.name + ".ckpt") }
    /// Where an interrupted item's best picture so far is kept: never under the output's name, which means finished.
    func partialPath(_ item: BatchItem) -> String { (stateFolder as NSString).appendingPathComponent(item.name + ".partial.png") }
    func startPath(_ item: BatchItem) -> String { (stateFolder as NSString).appendingPathComponent(item.name + ".start.png") }
    func reportName(_ item: BatchItem) -> String { "reports/\(item.name).html" }

    func run() throws {
        let interrupt = Interrupt.shared
        let found = try BatchContents.expand(job.content)
        let earlier = earlierOutputs(found)
        let contents = found.filter { !earlier.contains($0) }
        guard !contents.isEmpty else {
            throw CLIError("\(job.content): --content names only outputs of this batch (\(found.count)); give the photos to style")
        }
        all = try BatchItems.make(contents: contents, styles: job.itemStyles, presets: job.presets, frames: job.frames)
        try job.checkMasks(contents)
        try BatchItems.checkOutputs(all, folder: folder) { item in
            var inputs: [BatchItems.Input] = [(item.content, "--content"), (item.style, "--style")]
            if let preset = item.preset, let file = Preset.file(of: preset) { inputs.append((file, "--preset")) }
            if let regions = self.job.regions(for: item.content) {
                inputs += regions.reads + regions.styleFiles(after: []).map { ($0, "--region") }
            }
            return inputs
        }
        let (shard, source) = (job.shard, job.shardSource)
        let items = chunked ? Array(all[shard.chunk(count: all.count)]) : shard.items(all)
        let fingerprints = try BatchPlanFingerprints(job: job,
                                                     flow: flowStart?.description)
        if job.dryRun { return try dryRun(items, fingerprints: fingerprints, shard: shard) }
        try OutputPath.makeFolder(folder)
        try OutputPath.makeFolder(stateFolder)
        if job.report { try OutputPath.makeFolder(path("reports")) }
        let display = ProgressDisplay(quiet: quiet)
        let progress = BatchProgress(total: items.count)
        display.header = { progress.line(current: $0) }
        let manifest = path(BatchManifest.fileName(for: shard))
        display.line("batch: \(items.count) of \(all.count) items" + (shard.count > 1 ? " (shard \(shard)"
                     + (source.map { " from \($0)" } ?? "") + ")" : "") + " into \(folder.hasSuffix("/") ? folder : folder + "/")")

        var records: [BatchRecord] = []
        var previousPlan: [Int: String] = [:]        // chain → plan of its last item (frames)
        firstIndex = items.first?.index
        if let leadIn, let first = items.first { previousPlan[first.chain] = leadIn.plan }
        var chainComputed = Set<Int>()               // chains in which an item was computed in this run
        var stopStatus: Int32?
        var manifestWritten = Date.distantPast
        for item in items {
            if interrupt.isRequested { stopStatus = interrupt.exitStatus; break }
            let output = item.output
            var record = BatchRecord(item: item, of: all.count, output: output, plan: "", status: .failed, shard: shard)
            if job.frames { record.frame = item.position }
            let started = Date()
            do {
                let plan = try fingerprints.plan(item, previous: item.position > 0 ? previousPlan[item.chain] : nil)
                record.plan = plan
                previousPlan[item.chain] = plan
                if !chainComputed.contains(item.chain), let old = finishedRecord(item, plan: plan) {
                    record.status = .skipped
                    record.loss = old.loss
                    record.styleLoss = old.styleLoss
                    record.seconds = old.seconds
                    record.report = old.report
                } else {
                    progress.current = output
                    if !display.isTerminal { display.line(progress.line()) }
                    chainComputed.insert(item.chain)
                    // Recorded as started (interrupted until it is done): the output is about to change, and a rerun
                    // must not take an output this run leaves half-way (Ctrl-C saves the best image so far) as finished.
                    let resume = resumable(item, plan: plan)
                    var begun = record
                    begun.status = .interrupted
                    try StagedFile.write(Array((begun.jsonLine() + "\n").utf8), to: statePath(item))
                    let result = try transfer(item, output: output, resume: resume, display: display)
                    try? FileManager.default.removeItem(atPath: checkpointPath(item))
                    record.status = .done
                    record.loss = result.terms.total
                    record.styleLoss = result.terms.style
                    record.seconds = Date().timeIntervalSince(started)
                    if job.report { record.report = reportName(item) }
                    try StagedFile.write(Array((record.jsonLine() + "\n").utf8), to: statePath(item))
                }
                if job.frames, item.position > 0 { record.flicker = flicker(item) }
            } catch let exit as ExitCode where interrupt.isRequested {
                record.status = .interrupted
                record.error = "stopped by a signal; rerun the batch to compute it"
                stopStatus = exit.rawValue
                keepPartial(item, since: started)
            } catch {
                record.status = .failed
                record.error = message(error)
                record.seconds = Date().timeIntervalSince(started)
                Console.error("stylize: batch item \(item.name) failed: \(record.error!)\n")
            }
            display.finish()
            if record.status != .interrupted {
                try? FileManager.default.removeItem(atPath: startPath(item))
                try? FileManager.default.removeItem(atPath: partialPath(item))
            }
            progress.record(record.status, seconds: record.seconds)
            records.append(record)
            if record.status == .skipped && !quiet {
                Console.output("\(path(output)): skipped (made earlier with the same plan)\n")
            }
            // Rewritten after each computed item; skipped and failed ones take milliseconds, so that thousands of them
            // do not rewrite the file thousands of times, they are written with the next one or within a second.
            if record.status == .done || stopStatus != nil || Date().timeIntervalSince(manifestWritten) > 1 {
                try StagedFile.write(Array(BatchManifest.text(records).utf8), to: manifest)
                manifestWritten = Date()
            }
            if stopStatus != nil { break }
        }
        try StagedFile.write(Array(BatchManifest.text(records).utf8), to: manifest)
        self.records = records
        if job.report && shard.count == 1 {
            try BatchIndex.write(records: records, folder: folder)
        }
        let notStarted = items.count - records.count
        var summary = "batch: \(progress.done) done, \(progress.skipped) skipped, \(progress.failed) failed"
        if progress.interrupted > 0 { summary += ", \(progress.interrupted) interrupted" }
        summary += " of \(counted(items.count, "item"))" + (shard.count > 1 ? " (shard \(shard))" : "")
        if notStarted > 0 { summary += ", \(notStarted) not started" }
        if job.frames, case let f = records.compactMap(\.flicker), !f.isEmpty {
            summary += String(format: "; flicker %.2f", f.reduce(0, +) / Double(f.count))
        }
        summary += "; manifest \(manifest)"
        Console.output(summary + "\n")
        if let stopStatus { throw ExitCode(stopStatus) }
        if progress.failed > 0 { throw ExitCode(1) }
    }

    /// The contents that an earlier run of this batch wrote: files in the output folder whose item's record in
    /// `.stylize/` (written when the item starts) names them as its output. They are results, not photos to style
    /// again (`a-s-s.png` from `a-s.png`), and a rerun skips their items instead.
    func earlierOutputs(_ contents: [String]) -> Set<String> {
        let resolvedFolder = PathResolution.resolved(folder)
        return Set(contents.filter { content in
            let name = (content as NSString).lastPathComponent
            guard name.hasSuffix(".png"),
                  PathResolution.resolved((content as NSString).deletingLastPathComponent) == resolvedFolder else { return false }
            let state = (stateFolder as NSString).appendingPathComponent(String(name.dropLast(4)) + ".json")
            return Self.record(at: state)?.output == name
        })
    }

    /// Moves the picture an interrupted item wrote under its output's name (the best image so far) to `partialPath`,
    /// so that the output folder holds finished pictures only; an output older than `since` is another run's, kept.
    func keepPartial(_ item: BatchItem, since: Date) {
        let output = path(item.output)
        guard let written = (try? FileManager.default.attributesOfItem(atPath: output))?[.modificationDate] as? Date,
              written >= since.addingTimeInterval(-1) else { return }
        try? FileManager.default.removeItem(atPath: partialPath(item))
        try? FileManager.default.moveItem(atPath: output, toPath: partialPath(item))
    }

    /// The record of the item's finished run when its output is there and was made by `plan` (with its run report
    /// when `--report` asks for one: a report is written by the run it describes), else nil.
    func finishedRecord(_ item: BatchItem, plan: String) -> BatchRecord? {
        guard FileManager.default.fileExists(atPath: path(item.output)), let record = Self.record(at: statePath(item)),
              record.plan == plan, record.status == .done else { return nil }
        if job.report, record.report.map({ !FileManager.default.fileExists(atPath: path($0)) }) ?? true { return nil }
        return record
    }

    /// The record an item's file in `.stylize/` holds, or nil when there is none that reads.
    static func record(at state: String) -> BatchRecord? {
        guard let data = FileManager.default.contents(atPath: state) else { return nil }
        return try? BatchRecord.parse(String(decoding: data, as: UTF8.self), path: state).first
    }

    /// Whether an earlier run of the same plan started the item and left its checkpoint (a signal stopped it).
    func resumable(_ item: BatchItem, plan: String) -> Bool {
        guard let old = Self.record(at: statePath(item)) else { return false }
        return old.status == .interrupted && old.plan == plan && FileManager.default.fileExists(atPath: checkpointPath(item))
    }

    /// Runs the transfer command on one item (its own option parsing and validation, then `perform`), writing into
    /// the output folder; everything the item leaves besides its output and report is under `.stylize/NAME.*`.
    /// - Parameter resume: continue from the item's checkpoint (see `resumable`); a checkpoint that cannot be used
    ///   is reported and the item starts again.
    func transfer(_ item: BatchItem, output: String, resume: Bool, display: ProgressDisplay) throws -> StylizeResult {
        // A flow frame's checkpoint lacks its temporal target: such a frame starts again (the same start, the same result).
        if resume && flowStart == nil {
            do {
                if let result = try ResumeCommand.parse([checkpointPath(item)] + (quiet ? ["--quiet"] : []))
                    .perform(progress: display, interruptedHint: interruptedHint(item)) {
                    return result
                }
            } catch let exit as ExitCode where Interrupt.shared.isRequested {
                throw exit
            } catch {
                display.line("stylize: \(item.name): cannot resume (\(message(error))); starting again")
            }
        }
        let start = try frameStart(item)
        var transfer = itemJob(item, output: output)
        transfer.start = start.map { ($0.path, $0.edge) }
        guard let result = try transfer.perform(progress: display, interruptedHint: interruptedHint(item), temporal: start?.temporal) else {
            throw CLIError("--dry-run computes nothing")
        }
        return result
    }

    /// What an item writes: `output`, its report with `--report`, and its checkpoint in `.stylize/`.
    func itemOutputs(_ item: BatchItem, output: String) -> RunOutputs {
        RunOutputs(image: path(output), report: job.report ? path(reportName(item)) : nil, checkpoint: checkpointPath(item),
                   checkpointEvery: job.settings.checkpointEvery)
    }

    /// An item as a transfer: its files as fields, the batch's settings.
    func itemJob(_ item: BatchItem, output: String) -> TransferJob {
        let regions = job.regions(for: item.content)
        var transfer = TransferJob(content: item.content, styles: regions?.styleFiles(after: []) ?? [item.style],
                                   preset: item.preset ?? "default", settings: job.settings,
                                   outputs: itemOutputs(item, output: output))
        transfer.regions = regions
        transfer.quiet = quiet
        return transfer
    }

    /// `--dry-run`: the plan of every item this shard would compute (an item finished earlier with the same plan
    /// costs nothing), the time of them all and the peak memory of the largest; nothing is computed or written.
    /// A chained frame is planned as it runs: one scale at the output size.
    func dryRun(_ items: [BatchItem], fingerprints: BatchPlanFingerprints, shard: BatchShard) throws {
        var previousPlan: [Int: String] = [:], chainComputed = Set<Int>()
        var earlier = 0, failing = 0, seconds = 0.0, peak = 0
        var loaded: (weights: VGGWeights, network: VGGNetwork, calibration: TimeCalibration)?
        var lines: [String] = []
        for item in items {
            let fingerprint = try fingerprints.plan(item, previous: item.position > 0 ? previousPlan[item.chain] : nil)
            previousPlan[item.chain] = fingerprint
            if !chainComputed.contains(item.chain), finishedRecord(item, plan: fingerprint) != nil {
                earlier += 1
                continue
            }
            chainComputed.insert(item.chain)
            do {
                let transfer = itemJob(item, output: item.output)
                let preset = try Preset.find(transfer.preset)
                var request = transfer.request(preset: preset)
                let inputs = try transfer.readInputs(request)
                if loaded == nil {
                    let weights = try job.settings.network.loadWeights()
                    let vgg = job.settings.network.network(weights)
                    let calibration = TransferRunner.calibration(weights: weights, network: vgg, preset: preset, measure: true, again: false,
                                                                 progress: ProgressDisplay(quiet: quiet))!
                    loaded = (weights, vgg, calibration)
                }
                let architecture = loaded!.weights.architecture
                if job.frames, job.frameBlend > 0, item.position > 0 {
                    // A chained frame runs as `frameStart` makes it: one scale at the output size.
                    let edge = try RunPlan(request: request, inputs: inputs, architecture: architecture).outputSize
                    (request.size, request.scales) = (nil, [max(edge.width, edge.height)])
                }
                let plan = try RunPlan(request: request, inputs: inputs, architecture: architecture)
                let time = plan.estimatedSeconds(loaded!.calibration, architecture: architecture)
                let bytes = plan.memoryEstimate(architecture: architecture, convolution: job.settings.network.conv).bytes
                seconds += time
                peak = max(peak, bytes)
                lines.append("  \(item.output): \(plan.outputSize), about \(durationText(time)), \(memoryText(bytes))")
            } catch {
                failing += 1
                lines.append("  \(item.output): would fail: \(message(error))")
            }
        }
        let computed = items.count - earlier - failing
        var text = "batch (dry run: nothing is computed or written): \(counted(items.count, "item"))"
            + (shard.count > 1 ? " of shard \(shard)" : "") + ", \(earlier) finished earlier (skipped), \(computed) to compute"
            + (failing > 0 ? ", \(failing) failing" : "") + "\n"
        if !quiet { text += lines.map { $0 + "\n" }.joined() }
        text += "time: about \(durationText(seconds)) on this machine for the \(counted(computed, "item")) to compute"
            + " (every evaluation budget used up)\n"
        text += "memory: about \(memoryText(peak)) at the peak (the largest item); \(memoryText(AvailableMemory.bytes)) available\n"
        Console.output(text)
        if failing > 0 { throw ExitCode(1) }
    }

    /// With `--frames` and a weight above 0 (or `flowStart`): the starting image of a frame after the first, written to
    /// `.stylize/`, its longest edge and, by flow, the temporal target (nil for the first frame, or when the previous
    /// frame has no output).
    func frameStart(_ item: BatchItem) throws -> (path: String, edge: Int, temporal: TemporalTarget?)? {
        guard job.frames, job.frameBlend > 0 || flowStart != nil, let previous = previousFrame(item),
              FileManager.default.fileExists(atPath: previous.output) else { return nil }
        if let flowStart {
            let made = try flowStart.make(item, previous)
            try made.start.write(to: startPath(item))
            return (startPath(item), max(made.start.width, made.start.height), made.temporal)
        }
        let start = FrameSequence.start(previous: try RGBImage(contentsOf: previous.output),
                                        frame: try RGBImage(contentsOf: item.content), weight: job.frameBlend)
        try start.write(to: startPath(item))
        return (startPath(item), max(start.width, start.height), nil)
    }

    /// What an interrupted item's summary says: where its picture so far is, and that a rerun continues it.
    func interruptedHint(_ item: BatchItem) -> String {
        "the best image so far is kept in \(partialPath(item)); rerun the batch to continue the item"
    }

    /// The frame before `item` in its sequence, or nil for a first frame.
    func previousItem(_ item: BatchItem) -> BatchItem? {
        item.position > 0 ? all[item.index - 1] : nil
    }

    /// What a frame starts from: the frame before it (the lead-in for a chunk's first frame), or nil for a first frame.
    func previousFrame(_ item: BatchItem) -> PreviousFrame? {
        guard let previous = previousItem(item) else { return nil }
        if let leadIn, item.index == firstIndex { return leadIn.frame }
        return PreviousFrame(content: previous.content, output: path(previous.output))
    }

    /// The flicker between this frame's output and the previous one's (see `FrameSequence.flicker`), or nil.
    func flicker(_ item: BatchItem) -> Double? {
        guard let previous = previousItem(item),
              let a = try? RGBImage(contentsOf: path(previous.output)),
              let b = try? RGBImage(contentsOf: path(item.output)),
              let fa = try? RGBImage(contentsOf: previous.content),
              let fb = try? RGBImage(contentsOf: item.content) else { return nil }
        return FrameSequence.flicker(outputs: (a, b), frames: (fa, fb))?.mean
    }

    /// One line for an item's error: the argument parser's own message for its errors, else the description.
    func message(_ error: Error) -> String {
        if error is CLIError || error is ImageError || error is FileAccessError || error is BatchError {
            return String(describing: error)
        }
        return TransferCommand.message(for: error).replacingOccurrences(of: "\n", with: " ")
    }
}
