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
        return d
    }

    /// The preset file's bytes: pretty-printed JSON with sorted keys and a final newline.
    public func fileBytes() -> [UInt8] {
        let data = (try? JSONSerialization.data(withJSONObject: fileFields, options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        return Array(data) + [UInt8(ascii: "\n")]
    }

    /// The preset at another output size: every coarse-to-fine scale multiplied by the same factor, the budgets
    /// kept, so the schedule does at `size` what it does at the preset's own size.
    public func resized(to size: Int) -> Preset {
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

    /// The preset with `fields` applied over it, checked as a preset file's fields are.
    /// - Parameter source: names where the fields come from in an error (e.g. `--vary style_weight=-1`).
    /// - Throws: `PresetError` with `source` as its path.
    public func applying(_ fields: [String: Any], source: String) throws -> Preset {
        try overridden(by: fields, name: name, path: source)
    }
}
