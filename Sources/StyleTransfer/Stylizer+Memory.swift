import NeuralCore

extension Stylizer {
    /// Roughly how many bytes a run needs at one output size, so that an absurd size is refused before
    /// anything is allocated.
    ///
    /// The network keeps, for every layer up to the deepest loss layer, its activation and its gradient
    /// (two floats per activation); L-BFGS keeps `2 · history` vectors of the image size plus eight
    /// work vectors (LBFGS.swift).
    /// - Parameters:
    ///   - width, height: the output size in pixels.
    ///   - forwardOnly: a style image's forward pass: one float per activation, no optimizer.
    public static func estimatedBytes(width: Int, height: Int, preset: Preset, architecture: VGGArchitecture,
                                      forwardOnly: Bool = false) -> Int {
        let names = architecture.layerNames(includeTop: false)
        let used = Set(preset.styleLayers.map(\.layer) + [preset.contentLayer])
        let deepest = names.lastIndex { used.contains($0) } ?? names.count - 1
        let rows = architecture.layerSummary(includeTop: false, inputSize: (height, width))
        var activations = 0
        for row in rows.prefix(deepest + 1) {
            activations += row.shape.compactMap { $0 }.reduce(1, *)
        }
        let pixels = width * height * 3
        if forwardOnly { return 4 * (activations + pixels) }
        return 4 * (2 * activations + (2 * preset.history + 8) * pixels)
    }
}

extension Stylizer {
    /// The loss layers that an image of this size shrinks to nothing (each pool halves the map, rounding down).
    public static func vanishingLayers(width: Int, height: Int, preset: Preset, architecture: VGGArchitecture) -> [String] {
        let used = Set(preset.styleLayers.map(\.layer) + [preset.contentLayer])
        return architecture.layerSummary(includeTop: false, inputSize: (height, width))
            .filter { used.contains($0.name) && $0.shape.contains(0) }
            .map(\.name)
    }
}
