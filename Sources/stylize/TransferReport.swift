import Foundation
import Imaging
import NeuralCore
import StyleTransfer
import Visualization

/// The run report of a transfer: pictures, loss curves, Gram comparisons, settings and timings in one HTML file.
enum TransferReport {
    static func make(result: StylizeResult, preset: Preset, content: RGBImage, contentPath: String,
                     styles: [RGBImage], stylePaths: [String], blend: [Double], network: VGGNetwork,
                     settings: [(key: String, value: String)], stopReason: String) throws -> RunReport {
        let name = { (p: String) in URL(fileURLWithPath: p).deletingPathExtension().lastPathComponent }
        var report = RunReport(title: "stylize: \(name(contentPath)) in the manner of \(stylePaths.map(name).joined(separator: " + "))")
        report.content = content.resized(width: result.image.width, height: result.image.height)
        let total = blend.reduce(0, +)
        report.styles = zip(zip(styles, stylePaths), blend).map { pair, b in
            RunReport.Style(name: name(pair.1), image: pair.0.resized(longestEdge: max(result.image.width, result.image.height)),
                            weight: total > 0 ? b / total : 1)
        }
        report.result = result.image
        report.lossHistory = result.history.enumerated().map { i, p in
            var terms = ["total": p.terms.total, "content": p.terms.content, "style": p.terms.style, "tv": p.terms.tv]
            for (layer, v) in p.terms.styleByLayer { terms["style \(layer)"] = preset.styleWeight * v }
            return RunReport.LossRecord(iteration: i + 1, terms: terms)
        }
        // The result's Gram matrices against the (blended) style targets, at the last scale's size.
        let layers = preset.styleLayers.map(\.layer)
        let outputs = network.forward(network.weights.preprocessing.apply(result.raw), outputs: layers)
        for layer in layers {
            guard let target = result.styleGrams[layer], let features = outputs[layer] else { continue }
            let mine = Gram.matrix(features)
            let n = features.channels
            let picture = try Heatmap.compare(target, mine, n: n, names: ("style", "result"),
                                              title: Heatmap.title(layer: layer, n: n), displaySize: 256)
            report.gramComparisons.append(.init(layer: layer, image: picture,
                                                relativeError: RunReport.relativeFrobeniusError(reference: target, mine)))
        }
        report.preset = preset.name
        report.settings = settings
        report.weightsDescription = network.weights.source
        let perEval = result.evaluations > 0 ? result.seconds / Double(result.evaluations) : 0
        report.timings = [("total", String(format: "%.1f s", result.seconds)),
                          ("evaluations", "\(result.evaluations)"), ("steps", "\(result.iterations)"),
                          ("per evaluation", String(format: "%.2f s", perEval))]
        report.stopReason = stopReason
        return report
    }
}
