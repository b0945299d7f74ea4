import Foundation
import Imaging
import NeuralCore
import StyleTransfer
import Visualization

/// The run report of a transfer: pictures, loss curves, Gram comparisons, settings and timings in one HTML file,
/// all taken from the plan and the result (the result's Gram matrices come with it; no pass of its own).
enum TransferReport {
    static func make(result: StylizeResult, plan: RunPlan, inputs: RunInputs, weights: VGGWeights, estimate: Double?,
                     stopReason: String) throws -> RunReport {
        let name = { (p: String) in URL(fileURLWithPath: p).deletingPathExtension().lastPathComponent }
        var report = RunReport(title: "stylize: \(name(plan.content)) in the manner of \(plan.styles.map(name).joined(separator: " + "))")
        report.content = inputs.content.resized(width: result.image.width, height: result.image.height)
        let total = plan.blend.reduce(0, +)
        report.styles = zip(zip(inputs.styles, plan.styles), plan.blend).map { pair, b in
            RunReport.Style(name: name(pair.1), image: pair.0.resized(longestEdge: max(result.image.width, result.image.height)),
                            weight: total > 0 ? b / total : 1)
        }
        report.result = result.image
        if let regions = plan.regions, let mask = inputs.contentMask {
            report.regionOverlay = (RunReport.overlay(result.image, mask: mask),
                                    "regions: \(plan.regionDescription(regions))")
        }
        // x is the run's step count: each scale's steps continue the previous scale's (its step 0, the enlarged
        // start, sits at the previous scale's last step).
        var stepsBefore = 0, lastScale = 0, lastStep = 0
        report.lossHistory = result.history.map { p in
            if p.scaleIndex != lastScale { stepsBefore += lastStep; lastScale = p.scaleIndex }
            lastStep = p.iteration
            var terms = ["total": p.terms.total, "content": p.terms.content, "style": p.terms.style, "tv": p.terms.tv]
            for (layer, v) in p.terms.styleByLayer { terms["style \(layer)"] = plan.preset.styleWeight * v }
            return RunReport.LossRecord(iteration: stepsBefore + p.iteration, terms: terms,
                                        scale: p.scaleCount > 1 ? "\(p.width)×\(p.height) px" : nil)
        }
        // The result's Gram matrices against the (blended) style targets, at the last scale's size.
        for layer in plan.preset.styleLayers.map(\.layer) {
            guard let target = result.styleGrams[layer], let mine = result.resultGrams[layer] else { continue }
            let n = Int(Double(target.count).squareRoot().rounded())
            let picture = try Heatmap.compare(target, mine, n: n, names: ("style", "result"),
                                              title: Heatmap.title(layer: layer, n: n), scale: .log, displaySize: 256)
            report.gramComparisons.append(.init(layer: layer, image: picture,
                                                relativeError: RunReport.relativeFrobeniusError(reference: target, mine)))
        }
        report.preset = plan.preset.name
        report.settings = plan.settings.filter { $0.key != "preset" }   // the report shows the preset on its own
            + [("weights", weights.source), ("preprocessing", weights.preprocessing.rawValue)]
        report.weightsDescription = weights.source
        let perEval = result.evaluations > 0 ? result.seconds / Double(result.evaluations) : 0
        report.timings = [("total", String(format: "%.1f s", result.seconds))]
            + (estimate.map { [("estimated", "\(durationText($0)) (\(String(format: "%+.0f%%", 100 * (result.seconds / $0 - 1))) actual vs estimate)")] } ?? [])
            + [("evaluations", "\(result.evaluations)"), ("steps", "\(result.iterations)"),
               ("per evaluation", String(format: "%.2f s", perEval))]
        report.stopReason = stopReason
        return report
    }
}
