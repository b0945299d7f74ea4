import Foundation
import Imaging
import NeuralCore

/// How the optimised image starts.
public enum Initialization: Sendable, Equatable {
    case content
    /// Seeded noise around mid grey.
    case noise
    /// The (first) style image resized to the output size.
    case style
    /// A given image, resized to the output size.
    case image(RGBImage)
}

/// One accepted optimizer step (iteration 0: the starting image, before any step), for progress displays and logs.
public struct StylizeProgress: Sendable {
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
    /// The best iterate as an RGB tensor (H, W, 3) before 8-bit rounding and colour preservation; inside
    /// `0...255` unless `pixelBox` is off.
    public var raw: Tensor
    public var terms: LossTerms
    public var evaluations: Int
    public var iterations: Int
    public var stop: LBFGSStop
    public var history: [StylizeProgress]
    public var seconds: Double
    /// The style Gram targets at the last scale, per layer (C, C).
    public var styleGrams: [String: [Float]]
}

/// Gatys-style transfer driven by L-BFGS, optionally coarse to fine.
public final class Stylizer {
    public let network: VGGNetwork
    public let preset: Preset
    /// Optimise inside the pixel box `0...255` (L-BFGS with bounds, see LBFGS.swift), so that the written file is
    /// the optimised image up to 8-bit rounding. Off: pixels may leave the box and are clamped only on writing.
    public var pixelBox = true
    /// How L-BFGS stores its history (bfloat16: half the memory; LBFGS+History.swift).
    public var historyPrecision: HistoryPrecision = .bfloat16

    public init(network: VGGNetwork, preset: Preset) {
        self.network = network
        self.preset = preset
    }

    /// Runs the transfer.
    /// - Parameters:
    ///   - content: the content photo, any size.
    ///   - styles: one or more style images, any size.
    ///   - blend: one weight per style.
    ///   - initialization: the starting image.
    ///   - seed: seeds the noise initialisation.
    ///   - onProgress: called after every accepted step with the current image's tensor; return false to stop
    ///     (the best image so far is returned).
    public func run(content: RGBImage, styles: [RGBImage], blend: [Double], initialization: Initialization, seed: UInt64,
                    onProgress: (StylizeProgress, Tensor) -> Bool) -> StylizeResult {
        let sizes = preset.scales.isEmpty ? [preset.size] : preset.scales
        let start = Date()
        var history: [StylizeProgress] = []
        var current: Tensor? = nil
        var last: (LBFGSResult, LossTerms, [String: [Float]])? = nil
        var totalEvaluations = 0, totalIterations = 0
        var cancelled = false
        for (index, size) in sizes.enumerated() where !cancelled {
            let contentImage = content.resized(longestEdge: size)
            let (w, h) = (contentImage.width, contentImage.height)
            let styleImages = styles.map { style -> Tensor in
                Tensor(style.resized(longestEdge: max(16, Int((Double(size) * preset.styleScale).rounded()))))
            }
            let objective = StyleObjective(network: network, preset: preset, content: Tensor(contentImage),
                                           styles: styleImages, blend: blend)
            let x0: Tensor
            if let previous = current {
                x0 = Stylizer.finerStart(previous, content: content, contentAtScale: contentImage)
            } else {
                x0 = Stylizer.initialImage(initialization, content: contentImage, style: styles[0], width: w, height: h, seed: seed)
            }
            var options = LBFGSOptions()
            options.historySize = preset.history
            options.historyPrecision = historyPrecision
            options.maxEvaluations = preset.evaluationBudget(scale: index, of: sizes.count)
            if pixelBox { options.bounds = 0 ... 255 }
            let optimizer = LBFGS(options: options)
            let scaleStart = Date()
            let result = optimizer.minimize(x0.data, objective: { x, g in objective.evaluate(x, gradient: g) },
                                            onIteration: { it, x in
                let p = StylizeProgress(scaleIndex: index, scaleCount: sizes.count, width: w, height: h,
                                        iteration: it.iteration, evaluations: it.evaluations, evaluationBudget: options.maxEvaluations,
                                        terms: objective.lastTerms, step: it.step,
                                        seconds: Date().timeIntervalSince(scaleStart), elapsed: Date().timeIntervalSince(start),
                                        objectiveSeconds: it.objectiveSeconds, optimizerSeconds: it.optimizerSeconds,
                                        gradientNorm: it.gradientNorm)
                history.append(p)
                let keepGoing = onProgress(p, Tensor(height: h, width: w, channels: 3, data: Array(x)))
                if !keepGoing { cancelled = true }
                return keepGoing
            })
            // result.x is the lowest point evaluated, whose terms the objective kept.
            current = Tensor(height: h, width: w, channels: 3, data: result.x)
            last = (result, objective.bestTerms ?? objective.lastTerms, objective.styleGrams)
            totalEvaluations += result.evaluations
            totalIterations += result.iterations
        }
        let (result, terms, grams) = last!
        let image = outputImage(current!, content: content.resized(width: current!.width, height: current!.height))
        return StylizeResult(image: image, raw: current!, terms: terms,
                             evaluations: totalEvaluations, iterations: totalIterations,
                             stop: cancelled ? .cancelled : result.stop, history: history,
                             seconds: Date().timeIntervalSince(start), styleGrams: grams)
    }

    /// The start of a finer scale: the coarser result enlarged in float (no 8-bit rounding), plus the photo's detail
    /// that the coarser scale could not hold (the photo at this scale minus the photo taken down to the coarser size
    /// and back up), clamped to `0...255`. The coarse scale sets colours and large strokes; the added detail gives
    /// the fine scale's content term its edges back at once instead of after many evaluations.
    static func finerStart(_ coarse: Tensor, content: RGBImage, contentAtScale: RGBImage) -> Tensor {
        let (w, h) = (contentAtScale.width, contentAtScale.height)
        var x = resampled(coarse.data, width: coarse.width, height: coarse.height, channels: 3, toWidth: w, height: h)
        if Stylizer.addDetail {
            let photo = Tensor(contentAtScale).data
            let small = Tensor(contentAtScale.resized(width: coarse.width, height: coarse.height)).data
            let blurred = resampled(small, width: coarse.width, height: coarse.height, channels: 3, toWidth: w, height: h)
            for i in 0..<x.count { x[i] += photo[i] - blurred[i] }
        }
        for i in 0..<x.count { x[i] = min(max(x[i], 0), 255) }
        return Tensor(height: h, width: w, channels: 3, data: x)
    }
    nonisolated(unsafe) static var addDetail = ProcessInfo.processInfo.environment["STYLIZE_NO_DETAIL"] == nil

    /// The starting image at the output size, (H, W, 3) in `0...255`.
    static func initialImage(_ kind: Initialization, content: RGBImage, style: RGBImage,
                             width: Int, height: Int, seed: UInt64) -> Tensor {
        switch kind {
        case .content:
            return Tensor(content)
        case .style:
            return Tensor(style.resized(width: width, height: height))
        case .image(let image):
            return Tensor(image.resized(width: width, height: height))
        case .noise:
            var rng = SplitMix64(seed: seed)
            var t = Tensor(height: height, width: width, channels: 3)
            for i in 0..<t.count { t.data[i] = Float(max(0, min(255, 127.5 + 40 * rng.nextNormal()))) }
            return t
        }
    }
}
