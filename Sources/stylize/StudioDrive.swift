import ArgumentParser
import Foundation
import Imaging
import NeuralCore
import StyleTransfer
import Studio

/// A run watched and steered from the studio's page: each step goes to the hub; Stop ends it as Ctrl-C does (the
/// best image and the checkpoint written); new weights end the current plan at this step and continue from its
/// picture with a new plan, whose objective has the new weights, at the same scale with the evaluations left.
struct StudioDrive {
    let hub: StudioHub
    let runID: Int
    /// The names the page shows.
    let contentName: String
    let styleName: String
    /// Makes the inspector of a plan, on a network of its own (never the optimizer's).
    let inspector: (RunPlan, RunInputs, VGGWeights) -> StudioInspector?

    /// Runs `first` (already configured), then its continuations.
    /// - Returns: the last segment's result. - Throws: as `PlanRun.execute`.
    func run(_ first: PlanRun, request: RunRequest, fit: Bool = false) throws -> StylizeResult? {
        var run = first
        var request = request
        var segment = 0
        while true {
            let plan = run.plan
            var asked: StudioWeights?
            run.interruptedHint = "the studio page or a signal stopped it; the best image so far was saved"
                + (plan.outputs.checkpoint.map { "; continue with: stylize resume \($0)" } ?? "")
            run.onStep = { p, x in
                switch hub.step(p, image: x, styleWeight: plan.preset.styleWeight) {
                case .stop?: return true
                case .apply(let weights)?: asked = weights; return true
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
            guard let weights = asked, let next = try continuation(of: run, result: result, request: &request, weights: weights) else {
                hub.runEnded(summary(result, plan: plan))
                return result
            }
            hub.note("continuing from step \(result.iterations) with new weights")
            run = next
            segment += 1
        }
    }

    /// The plan that continues `run` from its result with `weights`: the scale reached and the finer ones, the
    /// evaluations left, starting from the result (written beside the output as `OUT-continued.png`, so that a
    /// checkpoint of the new plan names a file it can read again). nil when the run had nothing left to do.
    func continuation(of run: PlanRun, result: StylizeResult, request: inout RunRequest, weights: StudioWeights) throws -> PlanRun? {
        let plan = run.plan
        guard let last = result.history.last else { return nil }
        let index = last.scaleIndex
        let left = max(Self.minimumContinuation, plan.scales[index].evaluations - last.evaluations)
        let start = ((plan.outputs.image as NSString).deletingPathExtension) + "-continued.png"
        try result.image.write(to: start)
        request.preset = weights.applied(to: request.preset)
        request.contentWeight = nil
        request.styleWeight = nil
        request.tvWeight = nil
        request.styleLayers = []
        request.size = nil
        request.iterations = nil
        request.scales = plan.scales[index...].map(\.longestEdge)
        request.scaleIterations = [left] + plan.scales[(index + 1)...].map(\.evaluations)
        request.initialization = .image(path: start)
        let inputs = RunInputs(content: run.inputs.content, styles: run.inputs.styles, initialization: result.image)
        let next: RunPlan
        do { next = try RunPlan(request: request, inputs: inputs, architecture: run.weights.architecture) } catch {
            throw CLIError(error.description)
        }
        var continued = PlanRun(plan: next, inputs: inputs, weights: run.weights, network: run.network, quiet: run.quiet)
        continued.progress = run.progress
        continued.tiling = run.tiling
        return continued
    }

    /// A continuation runs at least this many evaluations, so that new weights show even when the budget was nearly spent.
    static let minimumContinuation = 20

    func info(_ run: PlanRun, segment: Int) -> StudioRunInfo {
        let plan = run.plan
        let order = plan.preset.styleLayers.map(\.layer)
        return StudioRunInfo(
            id: runID, segment: segment, content: contentName, style: styleName, preset: plan.preset.name,
            weights: StudioWeights(plan.preset), layers: order,
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
