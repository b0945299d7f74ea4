// Scale control (Gatys, Ecker, Bethge, Hertzmann & Shechtman, "Controlling Perceptual Factors in Neural Style
// Transfer", CVPR 2017, section 6): the style layers split between the style images, so that the coarse layers
// (large structures) take one painting's Gram matrices and the fine layers (strokes) another's. A layer's target is
// the blend of the styles that claim it, their `--style-blend` weights normalised over those styles alone; a style
// no group names claims every style layer.
import Foundation
import NeuralCore

/// `--style-layers-of STYLE=LAYER,...`: the style layers whose Gram targets come from one style image.
public struct StyleLayerGroup: Sendable, Equatable, Codable {
    /// The style image, as given to `--style`.
    public var style: String
    /// Keras or classic names.
    public var layers: [String]

    public init(style: String, layers: [String]) {
        self.style = style
        self.layers = layers
    }

    /// The text `STYLE=LAYER,...`, split at its last `=` (a path may hold one, a layer name does not); nil when a
    /// side is empty.
    public init?(parsing text: String) {
        guard let equals = text.lastIndex(of: "=") else { return nil }
        let style = String(text[..<equals])
        let layers = text[text.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !style.isEmpty, !layers.isEmpty, !layers.contains(where: \.isEmpty) else { return nil }
        self.init(style: style, layers: layers)
    }
}

extension RunPlan {
    /// The layers each style image claims, in Keras names, one entry per style (nil: every style layer), or nil
    /// when no group is given; and one line per problem: a style that is not among `styles` or is named twice, a
    /// name that is no layer of the network or no style layer of the run, a style layer no style claims, groups
    /// with a content mask.
    static func resolveStyleLayerGroups(_ groups: [StyleLayerGroup], styles: [String], styleLayers: [String],
                                        architecture: VGGArchitecture, hasRegions: Bool) -> ([[String]?]?, [String]) {
        guard !groups.isEmpty else { return (nil, []) }
        var problems: [String] = []
        if hasRegions {
            problems.append("--style-layers-of and --content-mask exclude each other: a region takes its style at every style layer")
        }
        var claims = [[String]?](repeating: nil, count: styles.count)
        for group in groups {
            let option = "--style-layers-of \(group.style)"
            guard let index = styles.firstIndex(of: group.style) else {
                problems.append("\(option): \(group.style) is not one of the --style images (\(styles.joined(separator: ", ")))")
                continue
            }
            guard claims[index] == nil else {
                problems.append("\(option): given twice; list all of its layers in one --style-layers-of")
                continue
            }
            var layers: [String] = []
            for name in group.layers {
                let layer = VGGArchitecture.kerasName(name)
                if !architecture.isLayerName(layer) || layer == "input_1" {
                    problems.append("\(option): \(architecture.name) has no layer \(name)")
                } else if !styleLayers.contains(layer) {
                    problems.append("\(option): \(name) is not a style layer of this run (\(styleLayers.joined(separator: ", ")));"
                                    + " add it with --style-layer \(name)=1")
                } else if !layers.contains(layer) {
                    layers.append(layer)
                }
            }
            claims[index] = layers
        }
        guard problems.isEmpty else { return (nil, problems) }
        for layer in styleLayers where !claims.contains(where: { $0?.contains(layer) ?? true }) {
            problems.append("style layer \(layer) is claimed by no style: add it to a --style-layers-of, or drop it with --style-layer \(layer)=0")
        }
        return (problems.isEmpty ? claims : nil, problems)
    }
}
