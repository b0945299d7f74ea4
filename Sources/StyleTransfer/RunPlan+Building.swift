import Imaging
import NeuralCore

extension RunPlan {
    /// The command-line option of each preset field a request can override, for messages (`Preset.settings`).
    static let optionNames = Dictionary(uniqueKeysWithValues: Preset.settings.compactMap { s in s.option.map { (s.key, $0) } })

    /// Resolves and checks a request: the preset with the overrides applied, the scales and the style sizes for
    /// these inputs, and the layers on this architecture.
    /// - Throws: `RunPlanError` with one line per problem: a value out of range (`Preset.Limits`), `size` with
    ///   `scales`, a blend that does not match the styles, a layer the network lacks, or an image the pools shrink
    ///   to nothing at a loss layer.
    public init(request: RunRequest, inputs: RunInputs, architecture: VGGArchitecture) throws(RunPlanError) {
        let resolved = request.resolved()
        var problems = resolved.problems
        let p = resolved.preset, overridden = resolved.overridden, layersFromRequest = resolved.layersFromRequest

        /// "--size" for an overridden field, else "size of preset NAME"; a style layer's weight is
        /// "--style-layer LAYER" when the command line gave it, else "style_layers.LAYER of preset NAME".
        func source(_ key: String) -> String {
            let field = key.split(separator: ".").first.map(String.init) ?? key
            if field == "style_layers", key.contains(".") {
                let layer = String(key.dropFirst("style_layers.".count))
                return layersFromRequest.contains(layer) ? "--style-layer \(layer)" : "\(key) of preset \(p.name)"
            }
            if overridden.contains(field), let option = RunPlan.optionNames[field] { return option }
            return "\(key) of preset \(p.name)"
        }
        problems += p.rangeProblems(name: source)

        // Layers: the architecture's validator, and no input_1 (it has no loss).
        let layerList = "its layers: \(architecture.lossLayerNames.joined(separator: ", ")) (or reluB_N for blockB_convN)"
        for (layer, key) in [(p.contentLayer, "content_layer")] + p.styleLayers.map({ ($0.layer, "style_layers.\($0.layer)") }) {
            let named = key == "content_layer" || layersFromRequest.contains(layer) ? source(key) : source("style_layers")
            if layer == "input_1" {
                problems.append("\(named): input_1 is the image itself, not a loss layer; \(layerList)")
            } else if (try? architecture.validate(layers: [layer])) == nil {
                problems.append("\(named): \(architecture.name) has no layer \(layer); \(layerList)")
            }
        }

        // Styles and blend.
        if request.styles.isEmpty || request.styles.contains(where: \.isEmpty) {
            problems.append("--style needs one or more image paths, e.g. a.jpg,b.jpg")
        }
        let blend = request.blend ?? [Double](repeating: 1, count: request.styles.count)
        if blend.count != request.styles.count || !blend.allSatisfy({ $0.isFinite && $0 >= 0 }) || !(blend.reduce(0, +) > 0) {
            problems.append("--style-blend needs \(request.styles.count) weight(s) ≥ 0, not all 0, one per style image (given: "
                            + blend.map { "\($0)" }.joined(separator: ",") + ")")
        }
        if inputs.styles.count != request.styles.count { problems.append("the inputs hold \(inputs.styles.count) style images for \(request.styles.count) paths") }
        for (value, option) in [(request.outputs.saveEvery, "--save-every"), (request.outputs.checkpointEvery, "--checkpoint-every")] {
            if let value, value < 1 { problems.append("\(option) must be at least 1, not \(value)") }
        }
        if request.outputs.checkpointEvery != nil && request.outputs.checkpoint == nil {
            problems.append("--checkpoint-every needs --checkpoint FILE")
        }
        var regions: RegionMap? = nil
        if let asked = request.regions {
            let (map, regionProblems) = RegionMap.resolve(asked, styles: request.styles, inputs: inputs)
            regions = map
            problems += regionProblems
        }
        let (layerGroups, groupProblems) = RunPlan.resolveStyleLayerGroups(
            request.styleLayerGroups, styles: request.styles, styleLayers: p.styleLayers.filter { $0.weight > 0 }.map(\.layer),
            architecture: architecture, hasRegions: request.regions != nil)
        problems += groupProblems
        // A preset's color_weight waits for a --color match; asked for on its own, the option would change nothing.
        if request.colorWeight != nil && request.colorMatch == nil {
            problems.append("--color-weight weighs the colour term of --color match, which this run does not have: add --color match or leave it out")
        }
        if request.colorMatch != nil && p.originalColors {
            problems.append("--color match and --original-colors (--color keep) exclude each other: give one")
        }
        guard problems.isEmpty else { throw RunPlanError(problems) }

        // Scales and style sizes.
        let scales = RunPlan.scales(p.scaleEdges, preset: p, inputs: inputs)
        if case .core(let core) = request.tiling, core < RunPlan.minimumTile {
            throw RunPlanError(["--tile must be at least \(RunPlan.minimumTile) pixels, not \(core) (or auto, or off)"])
        }
        self.init(preset: p, content: request.content, styles: request.styles, blend: blend, initialization: p.initialization,
                  seed: request.seed, scales: scales, pixelBox: request.pixelBox, historyPrecision: request.historyPrecision,
                  preconditioned: request.preconditioned, outputs: request.outputs,
                  architecture: architecture.name, contentSize: inputs.contentSize, styleSizes: inputs.styleSizes,
                  initializationSize: inputs.initializationSize, regions: regions, colorMatch: request.colorMatch)
        styleLayerGroups = layerGroups
        try check(architecture: architecture)
        assignTiles(request.tiling, architecture: architecture, convolution: request.convolution)
    }

    /// Sets every scale's tile core for `tiling` (see `Tiling`), for a network computing its convolutions by
    /// `convolution` (its memory plan decides `Tiling.auto`).
    mutating func assignTiles(_ tiling: Tiling, architecture: VGGArchitecture, convolution: ConvAlgorithm) {
        for index in scales.indices {
            let scale = scales[index]
            let longest = ([scale.output] + scale.styles).map { max($0.width, $0.height) }.max()!
            switch tiling {
            case .off: scales[index].tile = nil
            case .core(let core): scales[index].tile = core < longest ? core : nil
            case .auto: scales[index].tile = autoTile(scale, architecture: architecture, convolution: convolution)
            }
        }
    }

    /// `Tiling.auto`'s core for a scale: nil when every image's whole network fits `autoTileBytes` less the
    /// scale's optimizer, else the largest core (a multiple of the alignment) whose square region does.
    func autoTile(_ scale: Scale, architecture: VGGArchitecture, convolution: ConvAlgorithm) -> Int? {
        let layers = lossLayers
        guard let deepest = architecture.deepest(of: layers) else { return nil }
        let budget = max(RunPlan.minimumTileBudgetBytes, RunPlan.autoTileBytes - optimizerBytes(scale))
        let images = [scale.output] + scale.styles
        if images.allSatisfy({ networkBytes($0, architecture: architecture, convolution: convolution) <= budget }) { return nil }
        let alignment = TileGrid.alignment(architecture: architecture, deepestLayer: deepest)
        let halo = TileGrid.halo(architecture: architecture, deepestLayer: deepest)
        var core = images.map { max($0.width, $0.height) }.max()! / alignment * alignment
        while core > alignment {
            let edge = core + 2 * halo
            if networkBytes(Size(width: edge, height: edge), architecture: architecture, convolution: convolution) <= budget { break }
            core -= alignment
        }
        return core
    }

    /// The scales of longest edges `edges` for these inputs, each with `preset`'s style scale and evaluation budget.
    static func scales(_ edges: [Int], preset: Preset, inputs: RunInputs) -> [Scale] {
        edges.enumerated().map { index, edge in
            scale(edge, inputs: inputs, styleScale: preset.styleScale, evaluations: preset.evaluationBudget(scale: index, of: edges.count))
        }
    }

    /// The scale of longest edge `edge` for these inputs: the content fitted to it, each style at `styleScale`
    /// (`styleSize`), untiled.
    static func scale(_ edge: Int, inputs: RunInputs, styleScale: Double, evaluations: Int) -> Scale {
        let (w, h) = RGBImage.fittedSize(width: inputs.content.width, height: inputs.content.height, longestEdge: edge)
        return Scale(longestEdge: edge, output: Size(width: w, height: h),
                     styles: inputs.styles.map { styleSize($0, longestEdge: edge, styleScale: styleScale) }, evaluations: evaluations)
    }

    /// A style image's size at a scale: longest edge `max(16, edge · styleScale)`, rounded.
    static func styleSize(_ style: RGBImage, longestEdge edge: Int, styleScale: Double) -> Size {
        let (w, h) = RGBImage.fittedSize(width: style.width, height: style.height,
                                         longestEdge: max(16, Int((Double(edge) * styleScale).rounded())))
        return Size(width: w, height: h)
    }

    /// The checks of a built plan that do not depend on how it was asked for: every range of the effective
    /// preset, the layers, the blend, the scales (increasing, in range, tiles of at least `minimumTile` and at most
    /// the scale's largest image), the output intervals, and every image the pools would shrink to nothing at a loss
    /// layer. Also the whole check of a plan read from a checkpoint (with `check(inputs:)` once its images are read),
    /// whose sizes are then known to be in range.
    /// - Throws: `RunPlanError`, one line per problem.
    public func check(architecture: VGGArchitecture) throws(RunPlanError) {
        var problems = preset.rangeProblems { "field \"\($0)\"" }
        if architecture.name != self.architecture { problems.append("planned for \(self.architecture), not \(architecture.name)") }
        for layer in preset.styleLayers.map(\.layer) + [preset.contentLayer] where !architecture.isLayerName(layer) || layer == "input_1" {
            problems.append("\(architecture.name) has no loss layer \(layer)")
        }
        if !(blend.allSatisfy { $0.isFinite && $0 >= 0 } && blend.reduce(0, +) > 0) {
            problems.append("the style blend must hold weights ≥ 0, not all 0 (\(blend.map { "\($0)" }.joined(separator: ",")))")
        }
        for (value, key) in [(outputs.saveEvery, "saveEvery"), (outputs.checkpointEvery, "checkpointEvery")] {
            if let value, value < 1 { problems.append("\(key) must be at least 1, not \(value)") }
        }
        if let regions, let problem = regions.rangeProblem(styleCount: styles.count) { problems.append(problem) }
        let sizeLimit = Preset.sizeRange.upperBound * 2   // a style at style_scale 8 of a small output stays far below
        let styleSizeLimit = Int(Double(Preset.sizeRange.upperBound) * Preset.Limits.maxStyleScale)
        let all = [contentSize] + styleSizes + (initializationSize.map { [$0] } ?? []) + scales.flatMap { [$0.output] + $0.styles }
        if scales.isEmpty || all.contains(where: { $0.width < 1 || $0.height < 1 || $0.width > RunPlan.largestImageEdge || $0.height > RunPlan.largestImageEdge }) {
            problems.append("image sizes out of range")
        }
        if styles.isEmpty || styles.count != blend.count || styleSizes.count != styles.count
            || scales.contains(where: { $0.styles.count != styles.count || !Preset.Limits.iterations.contains($0.evaluations)
                                        || !Preset.sizeRange.contains($0.longestEdge) })
            || scales.contains(where: { max($0.output.width, $0.output.height) > sizeLimit
                                        || $0.styles.contains { max($0.width, $0.height) > styleSizeLimit } })
            || zip(scales, scales.dropFirst()).contains(where: { $0.longestEdge >= $1.longestEdge }) {
            problems.append("the scales do not match the styles or the size range")
        }
        guard problems.isEmpty else { throw RunPlanError(problems) }
        for (index, scale) in scales.enumerated() {
            let longest = ([scale.output] + scale.styles).map { max($0.width, $0.height) }.max()!
            if let tile = scale.tile, !(RunPlan.minimumTile...max(RunPlan.minimumTile, longest)).contains(tile) {
                problems.append("scale \(index + 1): tiles of \(tile) px, not in \(RunPlan.minimumTile)...\(longest)")
            }
        }
        guard problems.isEmpty else { throw RunPlanError(problems) }
        // Vanishing layers: at the smallest scale (each pool halves the map, rounding down).
        let first = scales[0]
        for (name, size) in [("content", first.output)] + zip(styles, first.styles).map({ ($0, $1) }) {
            let vanishing = RunPlan.vanishingLayers(size, layers: lossLayers, architecture: architecture)
            if !vanishing.isEmpty {
                problems.append("\(name) at \(size) is too small: \(vanishing.joined(separator: ", ")) would have no pixels left"
                                + " after the pools; choose a larger --size or --style-scale")
            }
        }
        guard problems.isEmpty else { throw RunPlanError(problems) }
    }

    /// The smallest tile core (`--tile`): block5's alignment, so that a core holds at least one pixel of every layer.
    public static let minimumTile = 16

    /// The checks of a plan against the images it runs on (a checkpoint's plan, once `stylize resume` has read
    /// them): the sizes it recorded are the images' sizes, and every scale's output and style sizes are the ones
    /// these images give at its longest edge (`scale`), so that no size can disagree with the pixels.
    /// - Throws: `RunPlanError` naming the first size that differs.
    public func check(inputs: RunInputs) throws(RunPlanError) {
        let recorded = [("the content", contentSize, inputs.contentSize)]
            + zip(styleSizes, inputs.styleSizes).map { ("a style image", $0, $1) }
        for (what, planned, real) in recorded where planned != real {
            throw RunPlanError(["\(what) is \(real), the plan says \(planned)"])
        }
        guard styleSizes.count == inputs.styleSizes.count, initializationSize == inputs.initializationSize else {
            throw RunPlanError(["the plan's style or --init images are not the ones read"])
        }
        if let regions {
            let problems = regions.problems(inputs: inputs)
            if !problems.isEmpty { throw RunPlanError(problems) }
            if regions.regions.contains(where: { $0.style.map { !styles.indices.contains($0) } ?? false })
                || regions.styleMasks.count != styles.count {
                throw RunPlanError(["the plan's regions name style images it does not have"])
            }
        }
        for (index, scale) in scales.enumerated() {
            let expected = RunPlan.scale(scale.longestEdge, inputs: inputs, styleScale: preset.styleScale, evaluations: scale.evaluations)
            if scale.output != expected.output || scale.styles != expected.styles {
                throw RunPlanError(["scale \(index + 1) is \(scale.output) with styles \(scale.styles.map(\.description).joined(separator: ", ")),"
                                    + " but these images give \(expected.output) with \(expected.styles.map(\.description).joined(separator: ", "))"])
            }
        }
    }

    /// The loss layers that an image of this size shrinks to nothing.
    static func vanishingLayers(_ size: Size, layers: [String], architecture: VGGArchitecture) -> [String] {
        let used = Set(layers)
        return architecture.layerSummary(includeTop: false, inputSize: (size.height, size.width))
            .filter { used.contains($0.name) && $0.shape.contains(0) }
            .map(\.name)
    }

    /// `--fit`: the plan with every scale lowered by the same factor, in steps of 0.9, until its memory estimate is
    /// at most `available` or the output reaches the smallest size; each tried plan is tiled as `tiling` asks, so
    /// that `--tile off` stays whole images. The caller compares the estimate with `available` (the last plan
    /// tried does not fit when the smallest size does not).
    public func fitted(to available: Int, tiling: Tiling, inputs: RunInputs, architecture: VGGArchitecture,
                       convolution: ConvAlgorithm) -> (plan: RunPlan, memory: MemoryEstimate) {
        var plan = self
        var memory = memoryEstimate(architecture: architecture, convolution: convolution)
        var factor = 1.0
        while memory.bytes > available && plan.scales[plan.scales.count - 1].longestEdge > Preset.sizeRange.lowerBound {
            factor *= 0.9
            plan = scaled(by: factor, tiling: tiling, inputs: inputs, convolution: convolution)
            memory = plan.memoryEstimate(architecture: architecture, convolution: convolution)
        }
        return (plan, memory)
    }

    /// The same plan with every scale's longest edge multiplied by `factor` (< 1), kept in `Preset.sizeRange`, and
    /// tiled as `tiling` asks for a network computing its convolutions by `convolution`: what `--fit` tries until
    /// the run fits in memory.
    public func scaled(by factor: Double, tiling: Tiling, inputs: RunInputs, convolution: ConvAlgorithm = .auto) -> RunPlan {
        var plan = self
        var edges: [Int] = []
        for scale in scales {
            let edge = max(Preset.sizeRange.lowerBound, Int((Double(scale.longestEdge) * factor).rounded(.down)))
            if edges.last.map({ edge > $0 }) ?? true { edges.append(edge) }
        }
        if edges.count != scales.count { plan.preset.scaleIterations = [] }
        plan.preset.size = edges.last!
        plan.preset.scales = scales.count > 1 ? edges : []
        plan.scales = RunPlan.scales(edges, preset: plan.preset, inputs: inputs)
        if let architecture = VGGArchitecture.named(architecture) {
            plan.assignTiles(tiling, architecture: architecture, convolution: convolution)
        }
        return plan
    }
}

/// A request's overrides applied to its preset: the effective preset of the plan, before any check.
public struct ResolvedRequest: Sendable {
    /// The preset with every override applied.
    public var preset: Preset
    /// The preset keys the request overrode (`size`, `style_layers`, ...).
    public var overridden: Set<String>
    /// The style layers whose weights the request gave.
    public var layersFromRequest: Set<String>
    /// Overrides that contradict each other (`size` with `scales`).
    public var problems: [String]
}

extension RunRequest {
    /// The preset with this request's overrides applied, as the plan takes it; it needs no image, so a batch can
    /// compare settings before reading any (`settingsText`).
    public func resolved() -> ResolvedRequest {
        var problems: [String] = []
        var p = preset
        var overridden: Set<String> = []
        func take<T>(_ value: T?, _ key: String, _ apply: (T) -> Void) {
            if let value { apply(value); overridden.insert(key) }
        }
        take(contentWeight, "content_weight") { p.contentWeight = $0 }
        take(styleWeight, "style_weight") { p.styleWeight = $0 }
        take(tvWeight, "tv_weight") { p.tvWeight = $0 }
        take(temporalWeight, "temporal_weight") { p.temporalWeight = $0 }
        take(colorWeight, "color_weight") { p.colorWeight = $0 }
        take(contentLayer, "content_layer") { p.contentLayer = VGGArchitecture.kerasName($0) }
        take(iterations, "iterations") { p.iterations = $0 }
        take(styleScale, "style_scale") { p.styleScale = $0 }
        take(history, "history") { p.history = $0 }
        take(originalColors, "original_colors") { p.originalColors = $0 }
        take(initialization, "init") { p.initialization = $0 }
        take(normalization, "normalization") { p.normalization = $0 }
        if size != nil && scales != nil {
            problems.append("give --size or --scales, not both (the last scale is the output size)")
        }
        take(scales, "scales") { p.scales = $0; p.size = $0.max() ?? p.size }
        take(size, "size") { p = p.resized(to: $0) }   // the preset's coarse-to-fine schedule, scaled
        // Per-scale budgets: given ones must match the scales; the preset's are dropped by --iterations or when
        // the scales changed under them.
        if iterations != nil || p.scaleIterations.count != p.scales.count { p.scaleIterations = [] }
        take(scaleIterations, "scale_iterations") { p.scaleIterations = $0 }
        var layersFromRequest: Set<String> = []
        for entry in styleLayers {
            let layer = VGGArchitecture.kerasName(entry.layer)
            layersFromRequest.insert(layer)
            p.styleLayers.removeAll { $0.layer == layer }
            if entry.weight != 0 { p.styleLayers.append(.init(layer: layer, weight: entry.weight)) }
        }
        p.styleLayers.sort { Preset.layerOrder($0.layer) < Preset.layerOrder($1.layer) }
        if !styleLayers.isEmpty { overridden.insert("style_layers") }

        return ResolvedRequest(preset: p, overridden: overridden, layersFromRequest: layersFromRequest, problems: problems)
    }

    /// Everything of the request but its file names that decides the picture, in one spelling: the resolved preset
    /// (so a value given that equals the preset's is the preset's) and the run's switches. Equal texts with equal
    /// input bytes and weights make the same picture; a batch hashes it to know a rerun's item is unchanged.
    public var settingsText: String {
        let match = colorMatch.map { "\($0)" } ?? "none"
        return "\(resolved().preset) seed \(seed) box \(pixelBox) preconditioned \(preconditioned) history \(historyPrecision) "
            + "tiling \(tiling) convolution \(convolution) blend \(blend ?? []) colour match \(match) layer groups \(styleLayerGroups) "
            + "regions \(regions.map { "\($0.contentMask) \($0.regions) \($0.styleMasks.map { [$0.style, $0.mask] }) \($0.feather)" } ?? "none")"
    }
}
