import NeuralCore

extension Stylizer {
    /// Roughly how many bytes a run needs at one output size, so that an absurd size is refused before
    /// anything is allocated.
    ///
    /// The network's memory plan (VGGNetwork.swift): two working buffers as large as the largest layer
    /// output up to the deepest loss layer, the loss layers' outputs, a ReLU mask bit per convolution
    /// output and a winner byte per pool output, the Winograd kernel cache and its two reused buffers
    /// (`WinogradKernelCache`) and the tile scratch; L-BFGS keeps `2 · history` vectors of the image
    /// size (`LBFGSHistory.bytes`, bfloat16 by default) plus eight Float work vectors (LBFGS.swift). The weights
    /// themselves are not counted.
    /// - Parameters:
    ///   - width, height: the output size in pixels.
    ///   - forwardOnly: a style image's forward pass: the working buffers and the loss layers' outputs.
    public static func estimatedBytes(width: Int, height: Int, preset: Preset, architecture: VGGArchitecture,
                                      forwardOnly: Bool = false, historyPrecision: HistoryPrecision = .bfloat16) -> Int {
        let names = architecture.layerNames(includeTop: false)
        let used = Set(preset.styleLayers.map(\.layer) + [preset.contentLayer])
        let deepest = names.lastIndex { used.contains($0) } ?? names.count - 1
        let rows = architecture.layerSummary(includeTop: false, inputSize: (height, width))
        var largest = 0, kept = 0, maskBits = 0, winnerBytes = 0
        for row in rows.prefix(deepest + 1) {
            let count = row.shape.compactMap { $0 }.reduce(1, *)
            largest = max(largest, count)
            if used.contains(row.name) { kept += count }
            if row.name.contains("_conv") { maskBits += count }
            if row.name.hasSuffix("_pool") { winnerBytes += count }
        }
        let pixels = width * height * 3
        let network = 4 * (2 * largest + kept)
        if forwardOnly { return network }
        // Transformed kernels: the cache budget and the reused buffer of the largest layer's transform (512 x 512).
        let kernels = WinogradKernelCache.defaultBudgetBytes + 4 * WinogradKernel.positions * 512 * 512
        let history = LBFGSHistory.bytes(count: pixels, capacity: preset.history, precision: historyPrecision)
        return network + maskBits / 8 + winnerBytes + kernels + history + 4 * 8 * pixels
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
