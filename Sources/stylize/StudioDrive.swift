import ArgumentParser
import Foundation
import Imaging
import NeuralCore
import StyleTransfer
import Studio

/// A run watched and steered from the studio's page: each step goes to the hub; Stop ends it as Ctrl-C does (the
/// best image and the checkpoint written); new settings end the current plan at this step and continue from its
/// picture with a new plan (new weights, style targets, colours or size) at the same scale with the evaluations left.
struct StudioDrive {
    let hub: StudioHub
    let runID: Int
    /// The names the page shows.
    let contentName: String
    let styleName: String
    /// Makes the inspector of a plan, on a network of its own (never the optimizer's).
    let inspector: (RunPlan, RunInputs, VGGWeights) -> StudioInspector?

    /// Runs `first` (already configured), then its continuations.
    /// - Returns: the last segment's result. - Throws: as `TransferRunner.execute`.
    func run(_ first: TransferRunner, request: RunRequest, fit: Bool = false) throws -> StylizeResult? {
        var run = first
        var request = request
        var segment = 0
        while true {
            let plan = run.plan
            var asked: StudioSettings?
            run.interruptedHint = "the studio page or a signal stopped it; the best image so far was saved"
                + (plan.outputs.checkpoint.map { "; continue with: stylize resume \($0)" } ?? "")
            run.onStep = { p, x in
                switch hub.step(p, image: x, styleWeight: plan.preset.styleWeight) {
                case .stop?: return true
                case .apply(let settings)?: asked = settings; return true
                case nil: return false
                }
            }
            hub.runStarted(info(run, segment: segment), inspector: inspector(plan, run.inputs, run.weights))
            let result: StylizeResult?
            do { result = try run.execute(dryRun: false, fit: fit && segment == 0) } catch let exit as ExitCode {
                hub.runEnded("interrupted by a signal (status \(exit.rawValue)); the best image so far was saved", failed: true)
                throw exit
            } catch {
                hub.runEnded("\(error)", failed: true)
                throw error
            }
            guard let result else { return nil }   // a dry run only, which the studio never asks for
            guard let settings = asked, let next = try continuation(of: run, result: result, request: &request, settings: settings) else {
                hub.runEnded(summary(result, plan: plan))
                return result
            }
            hub.note("continuing from step \(result.iterations) with new settings")
            run = next
            segment += 1
        }
    }

    /// The plan that continues `run` from its result with `settings`: the scale reached and the finer ones (resized
    /// for a new size, `StudioSettings.continuedScales`), the evaluations left, starting from the result's iterate
    /// (the picture the page shows), taken to the first scale's size as a finer scale takes the coarser result
    /// (`Stylizer.finerStart`). The start is written beside the output as `OUT-continued.png`, so that a checkpoint
    /// of the new plan names a file it can read again. nil when the run had nothing left to do.
    func continuation(of run: TransferRunner, result: StylizeResult, request: inout RunRequest, settings: StudioSettings) throws -> TransferRunner? {
        let plan = run.plan
        guard let last = result.history.last else { return nil }
        let index = last.scaleIndex
        let left = max(Self.minimumContinuation, plan.scales[index].evaluations - last.evaluations)
        let start = ((plan.outputs.image as NSString).deletingPathExtension) + "-continued.png"
        request.preset = settings.weights.applied(to: request.preset)
        request.contentWeight = nil
        request.styleWeight = nil
        request.tvWeight = nil
        request.styleLayers = []
        request.styleScale = settings.styleScale
        settings.color.set(on: &request)
        request.size = nil
        request.iterations = nil
        let schedule = StudioSettings.continuedScales(edges: plan.scales[index...].map(\.longestEdge),
                                                      evaluations: [left] + plan.scales[(index + 1)...].map(\.evaluations),
                                                      size: settings.size)
        request.scales = schedule.edges
        request.scaleIterations = schedule.evaluations
        request.initialization = .image(path: start)
        var picture = RGBImage(result.raw)
        var inputs = run.inputs
        inputs.initialization = picture
        var next = try RunPlan(checking: request, inputs: inputs, architecture: run.weights.architecture)
        let first = next.scales[0].output
        if first.width != result.raw.width || first.height != result.raw.height {
            let contentAtScale = inputs.content.resized(width: first.width, height: first.height)
            picture = RGBImage(Stylizer.finerStart(result.raw, content: inputs.content, contentAtScale: contentAtScale))
            inputs.initialization = picture
            next = try RunPlan(checking: request, inputs: inputs, architecture: run.weights.architecture)
        }
        try picture.write(to: start)
        var continued = TransferRunner(plan: next, inputs: inputs, weights: run.weights, network: run.network, quiet: run.quiet)
        continued.progress = run.progress
        continued.tiling = run.tiling
        return continued
    }

    /// A continuation runs at least this many evaluations, so that new settings show even when the budget was nearly spent.
    static let minimumContinuation = 20

    func info(_ run: TransferRunner, segment: Int) -> StudioRunInfo {
        let plan = run.plan
        let order = plan.preset.styleLayers.map(\.layer)
        return StudioRunInfo(
            id: runID, segment: segment, content: contentName, style: styleName, preset: plan.preset.name,
            weights: StudioWeights(plan.preset), styleScale: plan.preset.styleScale, color: ColorMode(plan),
            size: plan.scales[plan.scales.count - 1].longestEdge, layers: order,
            scales: plan.scales.map { .init(width: $0.output.width, height: $0.output.height, evaluations: $0.evaluations, tile: $0.tile) },
            output: plan.outputs.image, checkpoint: plan.outputs.checkpoint,
            memoryBytes: plan.memoryEstimate(architecture: run.weights.architecture, convolution: run.network.conv).bytes,
            estimatedSeconds: nil)
    }

    func summary(_ result: StylizeResult, plan: RunPlan) -> String {
        String(format: "%@: %dx%d, %d evaluations, %d steps, loss %.4g; %@", plan.outputs.image, result.image.width,
               result.image.height, result.evaluations, result.iterations, result.terms.total,
               result.stop == .cancelled ? "stopped; the best image so far was saved" + (plan.outputs.checkpoint.map { " with the checkpoint \($0)" } ?? "")
                                         : result.stop.description)
    }
}
