import Foundation

extension Preset {
    /// The accepted values of a run's settings: one set of range checks for preset files (`Preset.load`) and
    /// for the overrides of a run plan (`RunPlan`), which phrase the field each in their own words.
    public enum Limits {
        /// Evaluations per scale.
        public static let iterations = 1...100_000
        /// L-BFGS pairs kept.
        public static let history = 1...1000
        /// Largest style size relative to the output: 8x a 4096-pixel output is refused by the memory check
        /// anyway, and a larger factor is a typo.
        public static let maxStyleScale = 8.0

        /// What is wrong with a loss weight (α, β, γ or a layer's w_l), or nil.
        public static func weightProblem(_ value: Double) -> String? {
            guard value.isFinite else { return "must be finite, not \(value)" }
            guard value >= 0 else { return "must not be negative (\(value))" }
            return nil
        }

        /// What is wrong with a whole number that must lie in `range`, or nil.
        public static func rangeProblem(_ value: Int, _ range: ClosedRange<Int>) -> String? {
            range.contains(value) ? nil : "must be in \(range.lowerBound)...\(range.upperBound), not \(value)"
        }

        /// What is wrong with a style scale, or nil.
        public static func styleScaleProblem(_ value: Double) -> String? {
            value.isFinite && value > 0 && value <= maxStyleScale ? nil : "must be in (0, \(Int(maxStyleScale))], not \(value)"
        }

        /// What is wrong with a list of coarse-to-fine sizes, or nil: each in `Preset.sizeRange`, increasing.
        public static func scalesProblem(_ sizes: [Int]) -> String? {
            guard zip(sizes, sizes.dropFirst()).allSatisfy({ $0 < $1 }) else {
                return "must be increasing sizes, e.g. 256,512 (the last is the output size), not \(sizes.map(String.init).joined(separator: ","))"
            }
            if let bad = sizes.first(where: { !Preset.sizeRange.contains($0) }) {
                return "must hold sizes in \(Preset.sizeRange.lowerBound)...\(Preset.sizeRange.upperBound), not \(bad)"
            }
            return nil
        }
    }

    /// Every value of this preset outside `Limits`, one line each, the field named by `name` (given the preset
    /// file's key: `size`, `style_layers.block1_conv1`, ...). Layer names are checked against an architecture
    /// elsewhere (`RunPlan`, `Preset.load`).
    public func rangeProblems(name: (String) -> String) -> [String] {
        var problems: [String] = []
        func add(_ key: String, _ problem: String?) { if let problem { problems.append("\(name(key)) \(problem)") } }
        add("content_weight", Limits.weightProblem(contentWeight))
        add("style_weight", Limits.weightProblem(styleWeight))
        add("tv_weight", Limits.weightProblem(tvWeight))
        if let temporalWeight { add("temporal_weight", Limits.weightProblem(temporalWeight)) }
        if let colorWeight { add("color_weight", Limits.weightProblem(colorWeight)) }
        for layer in styleLayers { add("style_layers.\(layer.layer)", Limits.weightProblem(layer.weight)) }
        if let twice = styleLayers.map(\.layer).firstRepeated { add("style_layers", "names \(twice) twice") }
        if !styleLayers.contains(where: { $0.weight > 0 }) { add("style_layers", "needs at least one layer with a weight above 0") }
        add("iterations", Limits.rangeProblem(iterations, Limits.iterations))
        add("size", Limits.rangeProblem(size, Preset.sizeRange))
        add("history", Limits.rangeProblem(history, Limits.history))
        add("style_scale", Limits.styleScaleProblem(styleScale))
        add("scales", Limits.scalesProblem(scales))
        if !scaleIterations.isEmpty && scaleIterations.count != max(1, scales.count) {
            add("scale_iterations", "needs one budget per scale (\(max(1, scales.count))), not \(scaleIterations.count)")
        }
        if let bad = scaleIterations.first(where: { !Limits.iterations.contains($0) }) {
            add("scale_iterations", Limits.rangeProblem(bad, Limits.iterations))
        }
        return problems
    }
}

extension Array where Element: Hashable {
    /// The first element that an earlier one equals, or nil.
    var firstRepeated: Element? {
        var seen = Set<Element>()
        return first { !seen.insert($0).inserted }
    }
}
