import Foundation
import Imaging
import NeuralCore

/// One accepted optimizer step (iteration 0: the starting image, before any step), for progress displays and logs;
/// `Codable` for a checkpoint's history.
public struct StylizeProgress: Sendable, Codable {
    /// Index into the run's scales (0 for a single-scale run) and that scale's output size.
    public var scaleIndex: Int
    public var scaleCount: Int
    public var width: Int
    public var height: Int
    public var iteration: Int
    /// Evaluations at this scale, and the budget of this scale.
    public var evaluations: Int
    public var evaluationBudget: Int
    public var terms: LossTerms
    public var step: Double
    /// Seconds since this scale started, and since the run started.
    public var seconds: Double
    public var elapsed: Double
    /// Seconds of this step spent in the objective (forward, losses, backward) and in the optimizer's own
    /// vector work (direction, line search, history).
    public var objectiveSeconds: Double
    public var optimizerSeconds: Double
    /// Infinity norm of the gradient over the pixels not held on 0 or 255.
    public var gradientNorm: Double
}

/// What a run produced.
public struct StylizeResult: Sendable {
    public var image: RGBImage
    /// The best iterate's picture as an RGB tensor (H, W, 3) before 8-bit rounding; inside `0...255` unless
    /// `pixelBox` is off.
    public var raw: Tensor
    /// The loss terms of the written picture (the best iterate's; with original colours too, since the iterate is
    /// the luminance under the photo's chroma).
    public var terms: LossTerms
    public var evaluations: Int
    public var iterations: Int
    /// Why the run stopped; a non-finite loss (`.nonFiniteValue`) stops the whole run, with its evaluation counted
    /// over all scales.
    public var stop: LBFGSStop
    /// Whether `image` is a result: false when the loss was not finite before the run's first step, so that
    /// `image` is only the start.
    public var isResult: Bool
    public var history: [StylizeProgress]
    public var seconds: Double
    /// The style Gram targets at the last scale, per layer (C, C).
    public var styleGrams: [String: [Float]]
    /// The written picture's Gram matrices at the last scale, per style layer (C, C), to compare with `styleGrams`.
    public var resultGrams: [String: [Float]]
}

/// Everything a run carries from one step to the next besides its plan, taken at a progress report: with the plan,
/// a run resumed from it makes the same evaluations, steps and reports as the run it was taken from.
///
/// The only random draws of a run are the noise start's, made from the plan's seed before the first step, so the
/// seed is the whole random state.
public struct StylizerState: Sendable {
    /// The scale reached, an index into the plan's scales.
    public var scaleIndex: Int
    /// The optimizer at this scale: the current and the best image, the history, the counters.
    public var optimizer: LBFGSState
    /// The terms of the lowest total evaluated at this scale (the best image's).
    public var bestTerms: LossTerms?
    /// Every report so far, all scales.
    public var history: [StylizeProgress]
    /// Evaluations and steps of the finished scales.
    public var evaluationsBefore: Int
    public var iterationsBefore: Int
    /// Seconds into this scale, and since the run started, when the state was taken.
    public var scaleSeconds: Double
    public var elapsed: Double
}

/// Gatys-style transfer driven by L-BFGS, coarse to fine over the scales of a `RunPlan`.
public final class Stylizer {
    public let network: VGGNetwork
    public let plan: RunPlan
    /// Called after each tile of a tiled evaluation (`RunPlan.Scale.tile`) with the pass (1: Gram matrices, 2:
    /// gradients), the tile's index and the number of tiles, for progress displays.
    public var onTile: ((_ pass: Int, _ tile: Int, _ tiles: Int) -> Void)?

    /// - Precondition: the plan was checked against `network.architecture` (`RunPlan.init(request:inputs:architecture:)`).
    public init(network: VGGNetwork, plan: RunPlan) {
        precondition(plan.architecture == network.architecture.name, "the plan is for \(plan.architecture)")
        self.network = network
        self.plan = plan
    }

    public var preset: Preset { plan.preset }

    /// Runs the plan, or continues it from a state of an earlier run of the same plan.
    /// - Parameters:
    ///   - inputs: the images the plan names (content, styles, `--init` image).
    ///   - state: where to continue (from `onProgress`'s `snapshot` or a checkpoint), or nil to start.
    ///   - onProgress: called after every accepted step (and at each scale's start) with the current image
    ///     (H, W, 3) and a `snapshot` that returns the state at this report (it copies the optimizer's vectors;
    ///     call it only to keep a checkpoint). Return false to stop: the best image so far is returned.
    ///   - onFinish: called once when the last scale stops (or the run is stopped), with a `snapshot` of the
    ///     run's last state: a checkpoint of it resumes to the same result at once.
    public func run(inputs: RunInputs, resumingFrom state: StylizerState? = nil,
                    onProgress: (StylizeProgress, Tensor, _ snapshot: () -> StylizerState) -> Bool,
                    onFinish: ((_ snapshot: () -> StylizerState) -> Void)? = nil) -> StylizeResult {
        let start = Date()
        let elapsedBefore = state?.elapsed ?? 0
        var history = state?.history ?? []
        var current: Tensor? = nil
        var last: (LBFGSResult, LossTerms, StyleObjective)? = nil
        var totalEvaluations = state?.evaluationsBefore ?? 0, totalIterations = state?.iterationsBefore ?? 0
        var cancelled = false
        var nonFinite: Int? = nil   // the run's evaluation whose loss was not finite
        var isResult = true
        let firstScale = state?.scaleIndex ?? 0
        for index in firstScale ..< plan.scales.count where !cancelled && nonFinite == nil {
            let scale = plan.scales[index]
            let (w, h) = (scale.output.width, scale.output.height)
            // The previous scale's network buffers go: this scale plans its own (whole image or tiles).
            network.releaseBuffers()
            let contentImage = inputs.content.resized(width: w, height: h)
            let styleSized = zip(inputs.styles, scale.styles).map { $0.resized(width: $1.width, height: $1.height) }
            var styleImages = styleSized.map { Tensor($0) }
            // With colour matching the paintings enter the run in the photo's colours, matched at this scale's sizes
            // (ColorMatch.swift).
            if let match = plan.colorMatch {
                for i in styleImages.indices { match.transform(from: styleSized[i], to: contentImage).apply(&styleImages[i]) }
            }
            // With the photo's colours (`original_colors`) the variable is the luminance, the chroma the photo's, and
            // the paintings enter as their luminance matched to the photo's (LuminanceTransfer.swift).
            let contentTensor = Tensor(contentImage)
            let luminance = preset.originalColors ? LuminanceVariable(photo: contentTensor) : nil
            if luminance != nil {
                for i in styleImages.indices { styleImages[i] = LuminanceVariable.matchedLuminance(of: styleImages[i], to: contentTensor) }
            }
            /// The picture of the optimizer's variable, (H, W, 3).
            func picture(_ x: [Float]) -> Tensor {
                luminance?.rgb(x) ?? Tensor(height: h, width: w, channels: 3, data: x)
            }
            // The picture and its gradient at each evaluation of the luminance variable.
            var (rgbScratch, dRGBScratch) = luminance == nil ? ([], []) : ([Float](repeating: 0, count: 3 * w * h), [Float](repeating: 0, count: 3 * w * h))
            let objective = StyleObjective(network: network, preset: plan.preset, content: contentTensor,
                                           styles: styleImages, blend: plan.blend, tileCore: scale.tile,
                                           regions: plan.scaleRegions(index, inputs: inputs), layerGroups: plan.styleLayerGroups)
            objective.onTile = onTile
            if let temporal = inputs.temporal, temporal.width == w, temporal.height == h { objective.temporal = temporal }
            if plan.colorMatch != nil { objective.colorTarget = ColorStatistics(contentTensor) }
            let resumed = index == firstScale ? state : nil
            let x0: Tensor
            if resumed != nil {
                x0 = Tensor(height: h, width: w, channels: 3)   // unused: the state holds the iterate
            } else if let previous = current {
                x0 = Stylizer.finerStart(previous, content: inputs.content, contentAtScale: contentImage)
            } else {
                x0 = Stylizer.initialImage(plan.initialization, inputs: inputs, width: w, height: h, seed: plan.seed)
            }
            // The terms of the lowest total evaluated (carried over a resumed run in its state).
            var bestTerms = resumed?.bestTerms
            let optimizer = LBFGS(options: plan.optimizerOptions(scale: index))
            let secondsBefore = resumed?.scaleSeconds ?? 0
            let scaleStart = Date()
            let (evaluationsBefore, iterationsBefore) = (totalEvaluations, totalIterations)
            /// The run's state at this scale, for a snapshot at a step or at the end.
            func snapshotState(_ optimizer: LBFGSState, seconds: Double, elapsed: Double) -> StylizerState {
                StylizerState(scaleIndex: index, optimizer: optimizer, bestTerms: bestTerms, history: history,
                              evaluationsBefore: evaluationsBefore, iterationsBefore: iterationsBefore, scaleSeconds: seconds, elapsed: elapsed)
            }
            let result = optimizer.minimize(luminance?.variable(of: x0) ?? x0.data, resumingFrom: resumed?.optimizer, objective: { x, g in
                let value: Double
                if let luminance {
                    // The chain rule through the fixed map from the luminance variable to RGB.
                    rgbScratch.withUnsafeMutableBufferPointer { luminance.rgb(x, into: $0) }
                    value = rgbScratch.withUnsafeBufferPointer { r in dRGBScratch.withUnsafeMutableBufferPointer { objective.evaluate(r, gradient: $0) } }
                    dRGBScratch.withUnsafeBufferPointer { luminance.pullBack($0, into: g) }
                } else {
                    value = objective.evaluate(x, gradient: g)
                }
                let terms = objective.lastTerms
                if terms.total.isFinite, terms.total < (bestTerms?.total ?? .infinity) { bestTerms = terms }
                return value
            }, onIteration: { it, x, lbfgsSnapshot in
                let seconds = secondsBefore + Date().timeIntervalSince(scaleStart)
                let p = StylizeProgress(scaleIndex: index, scaleCount: plan.scales.count, width: w, height: h,
                                        iteration: it.iteration, evaluations: it.evaluations, evaluationBudget: scale.evaluations,
                                        terms: objective.lastTerms, step: it.step,
                                        seconds: seconds, elapsed: elapsedBefore + Date().timeIntervalSince(start),
                                        objectiveSeconds: it.objectiveSeconds, optimizerSeconds: it.optimizerSeconds,
                                        gradientNorm: it.gradientNorm)
                history.append(p)
                let snapshot = { snapshotState(lbfgsSnapshot(), seconds: seconds, elapsed: p.elapsed) }
                let keepGoing = onProgress(p, picture(Array(x)), snapshot)
                if !keepGoing { cancelled = true }
                return keepGoing
            }, onFinish: { lbfgsSnapshot in
                guard let onFinish, index == self.plan.scales.count - 1 || cancelled else { return }
                let seconds = secondsBefore + Date().timeIntervalSince(scaleStart)
                onFinish { snapshotState(lbfgsSnapshot(), seconds: seconds, elapsed: elapsedBefore + Date().timeIntervalSince(start)) }
            })
            // result.x is the lowest point evaluated, whose terms `bestTerms` kept.
            current = picture(result.x)
            last = (result, bestTerms ?? objective.lastTerms, objective)
            totalEvaluations = evaluationsBefore + result.evaluations
            totalIterations = iterationsBefore + result.iterations
            if case .nonFiniteValue(let evaluation) = result.stop {
                nonFinite = evaluationsBefore + evaluation
                // Before the first step of the run's first scale the image is only the start; at a later scale it
                // is at least the previous scale's result, enlarged.
                isResult = result.iterations > 0 || index > firstScale
            }
        }
        let (result, terms, objective) = last!
        let raw = current!
        return StylizeResult(image: RGBImage(raw), raw: raw, terms: terms,
                             evaluations: totalEvaluations, iterations: totalIterations,
                             stop: cancelled ? .cancelled : nonFinite.map { .nonFiniteValue(evaluation: $0) } ?? result.stop,
                             isResult: isResult, history: history,
                             seconds: elapsedBefore + Date().timeIntervalSince(start), styleGrams: objective.styleTargets,
                             resultGrams: objective.grams(of: raw))
    }

    /// The start of a finer scale: the coarser result enlarged in float (no 8-bit rounding), plus the photo's detail
    /// that the coarser scale could not hold (the photo at this scale minus the photo taken down to the coarser size
    /// and back up), clamped to `0...255`. The coarse scale sets colours and large strokes; the added detail gives
    /// the fine scale's content term its edges back at once instead of after many evaluations (measured on the race
    /// objective at 128 then 256 px: 2.98 after 100 fine evaluations with the detail, 3.19 without).
    public static func finerStart(_ coarse: Tensor, content: RGBImage, contentAtScale: RGBImage) -> Tensor {
        let (w, h) = (contentAtScale.width, contentAtScale.height)
        var x = resampled(coarse.data, width: coarse.width, height: coarse.height, channels: 3, toWidth: w, height: h)
        let photo = Tensor(contentAtScale).data
        let small = Tensor(contentAtScale.resized(width: coarse.width, height: coarse.height)).data
        let blurred = resampled(small, width: coarse.width, height: coarse.height, channels: 3, toWidth: w, height: h)
        for i in 0..<x.count { x[i] += photo[i] - blurred[i] }
        for i in 0..<x.count { x[i] = min(max(x[i], 0), 255) }
        return Tensor(height: h, width: w, channels: 3, data: x)
    }

    /// The noise start: every value `noiseMean + noiseDeviation · N(0, 1)`, clamped to `0...255`. 127.5 is the
    /// middle of the pixel box; with 40, three deviations (7.5...247.5) stay inside it, so few values are clamped.
    static let noiseMean = 127.5
    static let noiseDeviation = 40.0

    /// The starting image at the output size, (H, W, 3) in `0...255`.
    static func initialImage(_ kind: Initialization, inputs: RunInputs, width: Int, height: Int, seed: UInt64) -> Tensor {
        switch kind {
        case .content:
            return Tensor(inputs.content.resized(width: width, height: height))
        case .style:
            return Tensor(inputs.styles[0].resized(width: width, height: height))
        case .image:
            guard let image = inputs.initialization else { preconditionFailure("the plan starts from an image the inputs lack") }
            return Tensor(image.resized(width: width, height: height))
        case .noise:
            var rng = SplitMix64(seed: seed)
            var t = Tensor(height: height, width: width, channels: 3)
            for i in 0..<t.count { t.data[i] = Float(max(0, min(255, Self.noiseMean + Self.noiseDeviation * rng.nextNormal()))) }
            return t
        }
    }
}

