import Foundation

extension Preset {
    /// The preset as the fields of a preset file (every field written out, so the file does not depend on the
    /// built-in defaults of a later version).
    public var fileFields: [String: Any] {
        var d: [String: Any] = [
            "description": description, "content_weight": contentWeight, "style_weight": styleWeight,
            "tv_weight": tvWeight, "content_layer": contentLayer,
            "style_layers": Dictionary(uniqueKeysWithValues: styleLayers.map { ($0.layer, $0.weight) }),
            "iterations": iterations, "size": size, "style_scale": styleScale, "init": initialization.name,
            "original_colors": originalColors, "history": history, "normalization": normalization.rawValue,
        ]
        if !scales.isEmpty { d["scales"] = scales }
        if !scaleIterations.isEmpty { d["scale_iterations"] = scaleIterations }
        if let temporalWeight { d["temporal_weight"] = temporalWeight }
        return d
    }

    /// The preset file's bytes: pretty-printed JSON with sorted keys and a final newline.
    public func fileBytes() -> [UInt8] {
        let data = (try? JSONSerialization.data(withJSONObject: fileFields, options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        return Array(data) + [UInt8(ascii: "\n")]
    }

    /// The preset at another output size: every coarse-to-fine scale multiplied by the same factor, the budgets
    /// kept, so the schedule does at `size` what it does at the preset's own size.
    ///
    /// Print sizes (above `printSizeThreshold` and the preset's own size) keep the preset's schedule as it is and
    /// add scales that double up to `size`, each with half the budget of the one before (at least
    /// `printSizeMinimumBudget`): the preset's look is made at its own size, and the finer scales only refine it, at
    /// a cost per evaluation that grows with the pixels (the default preset: 256, 512, 1024, 2048 with 150, 80, 40, 20).
    public func resized(to size: Int) -> Preset {
        if size > Preset.printSizeThreshold && size > self.size { return printSized(to: size) }
        var q = self
        let factor = Double(size) / Double(self.size)
        q.size = size
        guard !scales.isEmpty else { return q }
        // Coarser scales that would not be smaller than the output (a tiny --size) are dropped with their budgets.
        var kept: [(size: Int, budget: Int?)] = []
        for (i, scale) in scales.dropLast().enumerated() {
            let resized = max(Preset.sizeRange.lowerBound, Int((Double(scale) * factor).rounded()))
            if resized < size && resized > (kept.last?.size ?? 0) {
                kept.append((resized, scaleIterations.count == scales.count ? scaleIterations[i] : nil))
            }
        }
        q.scales = kept.map(\.size) + [size]
        if scaleIterations.count == scales.count { q.scaleIterations = kept.compactMap(\.budget) + [scaleIterations.last!] }
        return q
    }

    /// Output sizes above this get the print-size schedule of `resized(to:)`.
    public static let printSizeThreshold = 1024
    /// The smallest budget of a scale that a print-size schedule adds.
    public static let printSizeMinimumBudget = 10

    /// The print-size schedule of `resized(to:)`.
    func printSized(to size: Int) -> Preset {
        var q = self
        var edges = scaleEdges
        var budgets = edges.indices.map { evaluationBudget(scale: $0, of: edges.count) }
        // Doublings while they stay at most 3/4 of the output, so the last step is 1.33x to 2.67x.
        while 4 * 2 * edges.last! <= 3 * size {
            edges.append(2 * edges.last!)
            budgets.append(max(Preset.printSizeMinimumBudget, budgets.last! / 2))
        }
        edges.append(size)
        budgets.append(max(Preset.printSizeMinimumBudget, budgets.last! / 2))
        q.size = size
        q.scales = edges
        q.scaleIterations = budgets
        return q
    }

    /// The preset with `fields` applied over it, checked as a preset file's fields are.
    /// - Parameter source: names where the fields come from in an error (e.g. `--vary style_weight=-1`).
    /// - Throws: `PresetError` with `source` as its path.
    public func applying(_ fields: [String: Any], source: String) throws -> Preset {
        try overridden(by: fields, name: name, path: source)
    }
}
