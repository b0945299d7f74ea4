import ArgumentParser
import Foundation
import Imaging
import NeuralCore
import SafeIO
import StyleTransfer

extension RunPlan {
    /// `RunPlan(request:inputs:architecture:)` with its problems as the command line's error.
    init(checking request: RunRequest, inputs: RunInputs, architecture: VGGArchitecture) throws {
        do { try self.init(request: request, inputs: inputs, architecture: architecture) } catch { throw CLIError(error.description) }
    }
}

/// Runs a checked `RunPlan` for a command: the memory check (and `--fit`), `--dry-run`, the time estimate, the
/// progress display, the log, intermediates, checkpoints, the output image and the report. The one door into a
/// run: `transfer`, `resume`, batch and video items, the studio and the sweep's cells (`writesFiles` off) all
/// come through it, with a plan built by `RunPlan(request:inputs:architecture:)`.
struct TransferRunner {
    var plan: RunPlan
    let inputs: RunInputs
    let weights: VGGWeights
    let network: NetworkOptions
    let quiet: Bool
    /// The checkpoint being resumed, if any.
    var resume: Checkpoint? = nil
    /// The display to use (`stylize batch` passes its own); nil makes one.
    var progress: ProgressDisplay? = nil
    /// How the request asked for tiles (`--tile`), which the plans `--fit` tries keep.
    var tiling: RunPlan.Tiling = .auto
    /// What the summary of an interrupted run says instead of "continue with: stylize resume CHECKPOINT" (a batch
    /// item: how the batch continues it).
    var interruptedHint: String? = nil
    /// Calibrate the time estimate again even when one is cached (`--recalibrate`).
    var recalibrate = false
    /// Sees every step and the current image (H, W, 3) after the log (the studio, `StudioDrive`); returns true to
    /// stop after this step as Ctrl-C does: the checkpoint and the best image are written, and the result returned.
    var onStep: ((StylizeProgress, Tensor) -> Bool)? = nil
    /// Off: the result is only returned (a sweep's cell): no image, log, report, intermediates, checkpoint or
    /// summary line, whatever the plan's outputs name.
    var writesFiles = true
    /// The network to run on (a sweep's cells share one); nil makes one from `weights`.
    var sharedNetwork: VGGNetwork? = nil

    /// The one write set of a run, for `transfer` and `resume` alike: the image, the report, the log (unless it goes
    /// to standard output, `-`), the checkpoint and the folder of the numbered intermediates, against `reads`.
    static func roles(_ o: RunOutputs, reads: [FileRoles.Role]) -> FileRoles {
        var roles = FileRoles()
        roles.reads = reads
        roles.writes = [(o.image, "-o")] + [(o.report, "--report"), (o.log == JSONLineLog.standardOutput ? nil : o.log, "--log"),
                                             (o.checkpoint, "--checkpoint")]
            .compactMap { path, option in path.map { ($0, option) } }
        if o.saveEvery != nil {
            let stem = ((o.image as NSString).deletingPathExtension as NSString).lastPathComponent, ext = (o.image as NSString).pathExtension
            let folder = (o.image as NSString).deletingLastPathComponent
            roles.folders.append((folder.isEmpty ? "." : folder, "--save-every", { $0.hasPrefix(stem + "-") && $0.hasSuffix("." + ext) }))
        }
        return roles
    }

    /// The numbered intermediate of `image` at a step: `OUT-0010.png`, or `OUT-s2-0010.png` when there are scales.
    static func intermediatePath(_ image: String, scale: Int, of scales: Int, iteration: Int) -> String {
        let stem = (image as NSString).deletingPathExtension, ext = (image as NSString).pathExtension
        return String(format: "%@-%@%04d.%@", stem, scales > 1 ? "s\(scale + 1)-" : "", iteration, ext)
    }

    /// Checks that the longest name `--save-every` can give fits the file system, before the run: an intermediate
    /// that fails later is only a warning, and a name too long would fail every one of them.
    func checkIntermediateNames() throws {
        guard let n = plan.outputs.saveEvery else { return }
        let steps = plan.scales.map(\.evaluations).reduce(0, +)
        let longest = TransferRunner.intermediatePath(plan.outputs.image, scale: plan.scales.count - 1, of: plan.scales.count, iteration: steps)
        do { try WriteTarget.check(longest) } catch {
            throw CLIError("\(error) (--save-every \(n) writes names like this one)")
        }
    }

    /// Checks memory, then either prints the plan (`dryRun`) or runs it to the end, an interruption or a failure.
    /// - Throws: `CLIError` for a run that does not fit, a write that fails, and `ExitCode` 130/143 when interrupted.
    /// - Returns: the result (nil for a dry run).
    @discardableResult
    mutating func execute(dryRun: Bool, fit: Bool) throws -> StylizeResult? {
        let interrupt = Interrupt.shared
        let architecture = weights.architecture
        let progress = self.progress ?? ProgressDisplay(quiet: quiet)
        let available = AvailableMemory.bytes
        var memory = plan.memoryEstimate(architecture: architecture, convolution: network.conv)
        if memory.bytes > available {
            guard fit, resume == nil else {
                throw CLIError("\(plan.outputSize) needs about \(memoryText(memory.bytes)) of memory, more than the \(memoryText(available))"
                               + " available now; choose a smaller --size, --style-scale or --history, or add --fit")
            }
            let asked = plan.outputSize, askedBytes = memory.bytes
            (plan, memory) = plan.fitted(to: available, tiling: tiling, inputs: inputs, architecture: architecture, convolution: network.conv)
            guard memory.bytes <= available else {
                let whole = tiling == .off ? " in whole images (--tile off; without it --fit may use tiles)" : ""
                throw CLIError("even \(plan.outputSize) needs about \(memoryText(memory.bytes)) of memory\(whole), more than the \(memoryText(available)) available now")
            }
            progress.line("--fit: \(asked) would need \(memoryText(askedBytes)), \(memoryText(available)) available; lowered to \(plan.outputSize) (\(memoryText(memory.bytes)))")
        }
        let weightsFingerprint = Fingerprint.of(weights)
        let vgg = sharedNetwork ?? network.network(weights)
        let calibration = TransferRunner.calibration(weights: weights, network: vgg, preset: plan.preset, measure: dryRun || recalibrate,
                                              again: recalibrate, progress: progress)
        if dryRun {
            printDryRun(memory: memory, available: available, seconds: plan.estimatedSeconds(calibration!, architecture: architecture))
            return nil
        }
        if writesFiles { try checkIntermediateNames() }
        let estimate = calibration.map { plan.estimatedSeconds($0, architecture: architecture) }
        progress.line("weights: \(weights.source)")
        let p = plan.preset
        // The budget of each scale (`--iterations` sets every one of them): "150+80 evaluations at scales [256, 512]".
        let budgets = plan.scales.map { "\($0.evaluations)" }.joined(separator: "+")
        progress.line("preset: \(p.name) (content \(p.contentWeight), style \(p.styleWeight), tv \(p.tvWeight), \(budgets) evaluations"
                      + (plan.scales.count == 1 ? ", \(plan.outputSize))" : " at scales \(plan.scales.map(\.longestEdge)))")
                      + "; memory about \(memoryText(memory.bytes))" + (estimate.map { ", time about \(durationText($0))" } ?? ""))
        if let resume {
            let s = resume.state
            progress.line("resuming at scale \(s.scaleIndex + 1)/\(plan.scales.count), step \(s.optimizer.iterations), "
                          + "\(s.optimizer.evaluations) evaluations, \(durationText(s.elapsed)) in")
        }
        let outputs = writesFiles ? plan.outputs : RunOutputs(image: plan.outputs.image)
        let logger = try outputs.log.map { try JSONLineLog(path: $0, styleWeight: p.styleWeight) }
        for record in resume?.state.history ?? [] { logger?.write(record) }
        if interrupt.isRequested {
            if writesFiles { Console.error("stylize: stopped without saving (interrupted before the first step)\n") }
            throw ExitCode(interrupt.exitStatus)
        }
        let inputsFingerprint = Fingerprint.of(inputs)
        // The one checkpoint of this run at a state: at a step, and at the end.
        let checkpoint = { [plan, network] (state: StylizerState) in
            Checkpoint(plan: plan, state: state, weights: weightsFingerprint, inputs: inputsFingerprint,
                       weightsSpec: network.weights, convolution: network.conv.rawValue)
        }
        let stylizer = Stylizer(network: vgg, plan: plan)
        stylizer.onTile = { pass, tile, tiles in progress.tile(pass: pass, index: tile, count: tiles) }
        let out = plan.outputs.image
        var failure: Error?
        var checkpointed: Int?
        progress.estimate = estimate
        // The objective's seconds against the calibration's, to correct a kept calibration that is far off.
        var timing = (observed: 0.0, predicted: 0.0, evaluations: 0, scale: -1, last: 0)
        let perEvaluation = calibration.map { c in
            plan.scales.map { plan.evaluationSeconds(c, architecture: architecture, size: $0.output, tile: $0.tile) }
        }
        let loadBefore = MachineLoad.read()
        let result = stylizer.run(inputs: inputs, resumingFrom: resume?.state) { p, x, snapshot in
            if let perEvaluation {
                if p.scaleIndex != timing.scale { timing.scale = p.scaleIndex; timing.last = 0 }
                let done = p.evaluations - timing.last
                timing.last = p.evaluations
                timing.observed += p.objectiveSeconds
                timing.predicted += Double(done) * perEvaluation[p.scaleIndex]
                timing.evaluations += done
            }
            progress.step(p)
            logger?.write(p)
            if let n = outputs.saveEvery, p.iteration > 0, p.iteration % n == 0 {
                let name = TransferRunner.intermediatePath(out, scale: p.scaleIndex, of: p.scaleCount, iteration: p.iteration)
                // An intermediate is a by-product: one that cannot be written is reported and the run goes on to its result.
                // It is the iterate's picture as the result is written (RGBImage(_:): clamped to 8-bit RGB).
                do { try RGBImage(x).write(to: name) } catch { progress.warning("stylize: warning: \(error); the run goes on") }
            }
            let stopping = (onStep?(p, x) ?? false) || interrupt.isRequested
            if let path = outputs.checkpoint,
               stopping || (p.iteration > 0 && outputs.checkpointEvery.map({ p.iteration % $0 == 0 }) ?? false) {
                do { try checkpoint(snapshot()).write(to: path) } catch { failure = error; return false }
                checkpointed = p.iteration
            }
            return !stopping
        } onFinish: { snapshot in
            // The last state, so that the checkpoint always holds the latest one (resuming a finished run rewrites
            // its result). An interrupted run wrote it in the report above already.
            guard let path = outputs.checkpoint, failure == nil, !interrupt.isRequested else { return }
            do { try checkpoint(snapshot()).write(to: path) } catch { failure = error }
        }
        progress.finish()
        if let failure { throw failure }
        // A kept calibration (not one measured by this run) that this run's timing contradicts is corrected. A
        // resumed run reports its first step with the evaluations before it, so it is not judged.
        if let kept = calibration, !recalibrate, resume == nil, writesFiles, let path = TimeCalibration.cachePath,
           let better = kept.corrected(observed: timing.observed, predicted: timing.predicted, evaluations: timing.evaluations,
                                       othersShare: TransferRunner.othersShare(since: loadBefore)),
           better.store(key: TimeCalibration.key(weights: weightsFingerprint, convolution: vgg.convolution)) {
            progress.line(String(format: "time estimate: this run's evaluations took %.2fx the time calibrated for them, so the "
                                 + "calibration of this machine in %@ is corrected for the next estimates (--dry-run --recalibrate measures it again)",
                                 timing.observed / timing.predicted, path))
        }
        guard writesFiles else {
            if case .cancelled = result.stop, interrupt.isRequested { throw ExitCode(interrupt.exitStatus) }
            return result
        }
        if case .nonFiniteValue(let evaluation) = result.stop {
            // The run cannot go on: keep the best finite image so far (if any) and the log, and fail.
            if result.isResult {
                try result.image.write(to: out)
                try logger?.finish()
            }
            throw CLIError("\(out): the loss or its gradient is not finite at evaluation \(evaluation), so the run stopped"
                           + (result.isResult ? " (the best image before it was written)" : " (nothing written)")
                           + "; check the loss weights (--content-weight, --style-weight, --tv-weight, the preset's style_layers:"
                           + " very large ones overflow) and the weight file")
        }
        try result.image.write(to: out)
        try logger?.finish()
        if let report = plan.outputs.report {
            let page = try TransferReport.make(result: result, plan: plan, inputs: inputs, weights: weights,
                                               estimate: estimate, stopReason: stopReason(result.stop, checkpointed: nil))
            try AtomicFile.write(Array(try page.html().utf8), to: report)
            progress.line("report: \(report)")
        }
        var reason = stopReason(result.stop, checkpointed: checkpointed)
        if case .cancelled = result.stop, result.image.width != plan.outputSize.width || result.image.height != plan.outputSize.height {
            reason += " (stopped at a coarser scale: the picture is \(result.image.width)x\(result.image.height), not \(plan.outputSize))"
        }
        let t = result.terms
        // With the log on standard output (`--log -`), the summary goes to standard error, after the last JSON line.
        let summary = plan.outputs.log == JSONLineLog.standardOutput ? Console.error : Console.output
        // The terms only some runs have: a video frame's temporal term, --color match's colour term.
        let occasional = (t.temporal > 0 ? String(format: ", temporal %.4g", t.temporal) : "")
            + (t.color > 0 ? String(format: ", colour %.4g", t.color) : "")
        summary(String(format: "%@: %dx%d, %@, %@, %.1f s%@; loss %.4g (content %.4g, style %.4g, tv %.4g%@); %@\n",
                              out, result.image.width, result.image.height, counted(result.evaluations, "evaluation"),
                              counted(result.iterations, "step"), result.seconds,
                              estimate.map { " (estimated \(durationText($0)))" } ?? "", t.total, t.content, t.style, t.tv,
                              occasional, reason))
        if case .cancelled = result.stop, interrupt.isRequested { throw ExitCode(interrupt.exitStatus) }
        return result
    }

    /// The time calibration of this machine and weights: the kept one, else (with `measure`) a new one, measured and
    /// kept (`again`: measured even when one is kept, for `--recalibrate`); nil when none is kept and `measure` is off.
    /// - Parameter preset: whose layers the calibration evaluates.
    static func calibration(weights: VGGWeights, network vgg: VGGNetwork, preset: Preset, measure: Bool, again: Bool,
                            progress: ProgressDisplay) -> TimeCalibration? {
        let key = TimeCalibration.key(weights: Fingerprint.of(weights), convolution: vgg.convolution)
        let cached = TimeCalibration.cached(key: key)
        if let warning = cached.warning { Console.error("stylize: warning: \(warning)\n") }
        if let kept = cached.calibration, !again { return kept }
        guard measure || again else { return nil }
        let kept = TimeCalibration.cachePath.map { "kept in \($0)" } ?? "not kept: neither HOME nor XDG_CACHE_HOME names an absolute folder"
        progress.line("calibrating this machine (a few seconds, once per machine and weights or on --recalibrate; \(kept))")
        let before = MachineLoad.read()
        let measured = TimeCalibration.measure(network: vgg, preset: preset)
        let others = othersShare(since: before)
        if let others, others > MachineLoad.busyShare {
            // Used for this run, not kept: a later run on a quiet machine measures again.
            progress.line("calibration not kept: other programs took \(Int((others * 100).rounded()))% of the processors "
                          + "while it ran, so this run's time estimate may be long; the next run measures again")
        } else {
            measured.store(key: key)
        }
        return measured
    }

    /// Others' share of the machine since `before` (`MachineLoad`); `STYLIZE_SIMULATE_LOAD=busy` or `quiet` stands
    /// in for the reading (tests: the same outcome whatever else the machine runs).
    static func othersShare(since before: MachineLoad.Reading?) -> Double? {
        switch ProcessInfo.processInfo.environment["STYLIZE_SIMULATE_LOAD"] {
        case "busy": return 1
        case "quiet": return 0
        default:
            guard let before, let after = MachineLoad.read() else { return nil }
            return MachineLoad.othersShare(from: before, to: after)
        }
    }

    /// Why the run ended, in the user's words: Ctrl-C or SIGTERM is "interrupted".
    func stopReason(_ stop: LBFGSStop, checkpointed: Int?) -> String {
        if case .cancelled = stop {
            if let interruptedHint { return "stopped: interrupted; \(interruptedHint)" }
            if let path = plan.outputs.checkpoint, checkpointed != nil {
                return "stopped: interrupted; the best image so far was saved; continue with: stylize resume \(path)"
            }
            return "stopped: interrupted; the best image so far was saved"
        }
        return stop.description
    }

    /// `--dry-run`: the plan, the memory and the time, on standard output.
    func printDryRun(memory: MemoryEstimate, available: Int, seconds: Double) {
        var text = "plan (dry run: nothing is computed or written)\n"
        let width = plan.settings.map(\.key.count).max() ?? 0
        for (key, value) in plan.settings {
            text += "  " + key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value + "\n"
        }
        text += "memory: about \(memoryText(memory.bytes)) at the peak ("
            + memory.parts.map { "\($0.name) \(memoryText($0.bytes))" }.joined(separator: ", ")
            + "); \(memoryText(available)) available\n"
        if plan.outputs.checkpoint != nil {
            text += "checkpoint: up to \(memoryText(plan.checkpointBytes)) per write\n"
        }
        text += "time: about \(durationText(seconds)) on this machine (every scale's evaluation budget used up)\n"
        text += "convolutions: " + plan.convolutionDescription(architecture: weights.architecture, convolution: network.conv) + "\n"
        text += ComputeReport.lines.joined(separator: "\n") + "\n"
        Console.output(text)
    }
}
