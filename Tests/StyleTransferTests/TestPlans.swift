import Imaging
import NeuralCore
@testable import StyleTransfer

// Test scaffolding that the library itself never uses: plans and runs on images below `Preset.sizeRange`.

extension RunPlan {
    /// A plan for images in memory, with no checks beyond the network's own preconditions, for tests
    /// that use sizes below `Preset.sizeRange`: one scale per `preset.scales` (or `preset.size`), each with the
    /// preset's budget; no outputs.
    static func unchecked(preset: Preset, inputs: RunInputs, architecture: VGGArchitecture, blend: [Double]? = nil,
                          seed: UInt64 = 0, pixelBox: Bool = true, historyPrecision: HistoryPrecision = .bfloat16) -> RunPlan {
        let scales = RunPlan.scales(preset.scaleEdges, preset: preset, inputs: inputs)
        return RunPlan(preset: preset, content: "", styles: inputs.styles.map { _ in "" },
                       blend: blend ?? inputs.styles.map { _ in 1 }, initialization: preset.initialization, seed: seed,
                       scales: scales, pixelBox: pixelBox, historyPrecision: historyPrecision, preconditioned: true,
                       outputs: RunOutputs(image: ""),
                       architecture: architecture.name,
                       contentSize: inputs.contentSize, styleSizes: inputs.styleSizes, initializationSize: inputs.initializationSize)
    }
}

extension Stylizer {
    /// Runs a preset on images in memory through `RunPlan.unchecked` (no size limits), to the end.
    static func run(network: VGGNetwork, preset: Preset, content: RGBImage, styles: [RGBImage], blend: [Double],
                    seed: UInt64 = 0, pixelBox: Bool = true, historyPrecision: HistoryPrecision = .bfloat16) -> StylizeResult {
        let inputs = RunInputs(content: content, styles: styles)
        let plan = RunPlan.unchecked(preset: preset, inputs: inputs, architecture: network.architecture, blend: blend,
                                     seed: seed, pixelBox: pixelBox, historyPrecision: historyPrecision)
        return Stylizer(network: network, plan: plan).run(inputs: inputs) { _, _, _ in true }
    }
}
