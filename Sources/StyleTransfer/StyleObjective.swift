import NeuralCore

/// The loss terms of one evaluation.
public struct LossTerms: Sendable, Equatable {
    /// α · L_c.
    public var content: Double = 0
    /// β · Σ_l w_l E_l.
    public var style: Double = 0
    /// γ · L_tv.
    public var tv: Double = 0
    /// L_t, the temporal term of a video frame (TemporalLoss.swift; λ_t is in it); 0 without one.
    public var temporal: Double = 0
    /// L_col, the colour term of `--color match` (ColorLoss.swift; its λ is in it); 0 without one.
    public var color: Double = 0
    /// w_l E_l per style layer, before β.
    public var styleByLayer: [String: Double] = [:]
    public var total: Double { content + style + tv + temporal + color }
    public init() {}
}

/// The style-transfer objective over an RGB image in `0...255`:
/// `L(x) = α L_c(x) + β Σ_l w_l E_l(x) + γ L_tv(x)` (formulas in Losses.swift, scaled as the preset's
/// `LossNormalization` says), with its gradient by one forward and one backward pass through the network, down to
/// the deepest loss layer only.
public final class StyleObjective {
    public let network: VGGNetwork
    public let preset: Preset
    /// P, (H, W, C) at the content layer.
    let contentTarget: Tensor
    /// A per style layer, (C, C), blended over the style images (the report shows them).
    public let styleTargets: [String: [Float]]
    /// Factors from Losses.swift's terms to the preset's normalisation: `2 C M / Σ P²` and `4 / Σ A²` per layer
    /// for `.relative`, 1 for `.gatys`.
    let contentNormalization: Double
    let styleNormalization: [String: Double]
    let height: Int
    let width: Int
    /// The terms of the latest evaluation.
    public private(set) var lastTerms = LossTerms()
    /// Evaluations so far.
    public private(set) var evaluations = 0
    /// The preprocessed image of the current evaluation, and the losses' scratch (kept).
    var preprocessed: Tensor
    private let scratch = LayerLossScratch()
    /// The tiles of the image when it is evaluated tile by tile (`TileGrid`), else nil; and their buffers.
    public let tiles: TileGrid?
    /// Core edge of the tiles asked for (nil: whole images); style images larger than one core are tiled too.
    let tileCore: Int?
    let tileScratch: TileScratch
    /// Called after each tile of a tiled evaluation with (pass 1 or 2, tile index, tiles), for progress displays.
    public var onTile: ((Int, Int, Int) -> Void)?
    /// A video frame's warped previous result, at the image's size: with the preset's `temporalWeight` > 0 it adds
    /// the temporal term after the others (TemporalLoss.swift).
    public var temporal: TemporalTarget?
    /// The photo's colour statistics at the image's size under `--color match`: with the preset's `colorWeight` > 0
    /// it adds the colour term (ColorLoss.swift); nil: none.
    public var colorTarget: ColorStatistics?
    /// The styled regions when the style term is guided by a content mask (StyleObjective+Regions.swift), else nil.
    let guidance: RegionGuidance?

    /// - Parameters:
    ///   - content: (H, W, 3), RGB in `0...255`, the content image at the output size.
    ///   - styles: each (H', W', 3), RGB in `0...255`, at the style size.
    ///   - blend: one non-negative weight per style; normalised to sum 1.
    ///   - tileCore: evaluate images larger than this many pixels on an edge tile by tile (`TileGrid`), with the
    ///     same loss and gradient as whole; nil: whole images.
    ///   - regions: the regions of a content mask at this scale's sizes, each with its own style (an index into
    ///     `styles`) or none; nil: one style term over the whole image, from the blended styles.
    ///   - layerGroups: per style, the style layers whose targets it makes (nil: all; RunPlan+StyleLayerGroups.swift);
    ///     a layer's target is then the blend of the styles that claim it, normalised over them. Not with `regions`.
    public init(network: VGGNetwork, preset: Preset, content: Tensor, styles: [Tensor], blend: [Double], tileCore: Int? = nil,
                regions: ScaleRegions? = nil, layerGroups: [[String]?]? = nil) {
        precondition(!styles.isEmpty && styles.count == blend.count, "one blend weight per style image")
        precondition(layerGroups == nil || (regions == nil && layerGroups!.count == styles.count), "one layer group per style, without regions")
        self.network = network
        self.preset = preset
        self.height = content.height
        self.width = content.width
        self.preprocessed = Tensor(height: content.height, width: content.width, channels: 3)
        let styleLayers = preset.styleLayers.map(\.layer)
        let pre = network.weights.preprocessing
        self.tileCore = tileCore
        let lossLayers = styleLayers + [preset.contentLayer]
        self.tiles = Self.tileGrid(height: content.height, width: content.width, core: tileCore, network: network, layers: lossLayers)
        let scratch = TileScratch()
        self.tileScratch = scratch
        if let grid = Self.tileGrid(height: content.height, width: content.width, core: tileCore, network: network,
                                    layers: [preset.contentLayer]) {
            contentTarget = Self.tiledFeatures(network: network, image: pre.apply(content), grid: grid,
                                               layer: preset.contentLayer, scratch: scratch)
        } else {
            // Asking for every loss layer, not only the content layer, makes the network keep their outputs in the
            // buffers the evaluations use (block1_conv1 in its own, not in a working buffer that would then stay
            // that large): the same work, a smaller memory plan.
            contentTarget = network.forward(pre.apply(content), outputs: lossLayers)[preset.contentLayer]!
        }
        let total = blend.reduce(0, +)
        var targets: [String: [Float]] = [:]
        var plainGrams: [[String: [Float]]] = []
        var claimed: [String: Float] = [:]   // per layer, the shares of the styles that claim it
        for (index, (style, b)) in zip(styles, blend).enumerated() {
            let layers = layerGroups?[index].map { own in styleLayers.filter(own.contains) } ?? styleLayers
            guard !layers.isEmpty else { plainGrams.append([:]); continue }
            let grams = Self.grams(network: network, image: pre.apply(style), layers: layers, tileCore: tileCore, scratch: scratch)
            plainGrams.append(grams)
            let share = Float(total > 0 ? b / total : 1 / Double(styles.count))
            for layer in layers {
                let g = grams[layer]!
                if targets[layer] == nil { targets[layer] = [Float](repeating: 0, count: g.count) }
                for i in 0..<g.count { targets[layer]![i] += share * g[i] }
                claimed[layer, default: 0] += share
            }
        }
        if layerGroups != nil {
            precondition(styleLayers.allSatisfy { claimed[$0] != nil }, "every style layer is claimed by a style")
            for (layer, sum) in claimed where sum > 0 { targets[layer] = targets[layer]!.map { $0 / sum } }
        }
        styleTargets = targets
        guidance = regions.map {
            RegionGuidance($0, network: network, layers: styleLayers, content: content, styles: styles.map { pre.apply($0) }, plainGrams: plainGrams,
                           normalization: preset.normalization, tileCore: tileCore, scratch: scratch)
        }
        // The targets are made: the buffers planned for the style images (often larger than the output: a style
        // scale above 1) go, and the evaluations plan their own at the output's size. Kept, they would stay the
        // network's buffers for every evaluation (they only grow within a size), 155 MiB above the memory plan in
        // the starry-night demo.
        network.releaseBuffers()
        switch preset.normalization {
        case .gatys:
            contentNormalization = 1
            styleNormalization = targets.mapValues { _ in 1 }
        case .relative:
            func inverse(_ sum: Double) -> Double { sum > 0 && sum.isFinite ? 1 / sum : 1 }
            contentNormalization = Double(2 * contentTarget.count) * inverse(Self.sumOfSquares(contentTarget.data))
            styleNormalization = targets.mapValues { 4 * inverse(Self.sumOfSquares($0)) }
        }
    }

    static func sumOfSquares(_ values: [Float]) -> Double {
        values.reduce(0.0) { $0 + Double($1) * Double($1) }
    }

    /// The Gram matrix of every style layer for an RGB image `(H, W, 3)` in `0...255`, tile by tile when it is
    /// larger than a tile.
    public func grams(of image: Tensor) -> [String: [Float]] {
        Self.grams(network: network, image: network.weights.preprocessing.apply(image),
                   layers: preset.styleLayers.map(\.layer), tileCore: tileCore, scratch: tileScratch)
    }

    /// The Gram matrices of `layers` for an RGB image `(H, W, 3)` in `0...255`, tile by tile when it is larger than
    /// `tileCore` (the same matrices as whole).
    public static func gramMatrices(network: VGGNetwork, image: Tensor, layers: [String], tileCore: Int?) -> [String: [Float]] {
        grams(network: network, image: network.weights.preprocessing.apply(image), layers: layers, tileCore: tileCore,
              scratch: TileScratch())
    }

    /// The Gram matrices of `layers` for a preprocessed image, whole or tile by tile.
    static func grams(network: VGGNetwork, image: Tensor, layers: [String], tileCore: Int?, scratch: TileScratch) -> [String: [Float]] {
        if let grid = tileGrid(height: image.height, width: image.width, core: tileCore, network: network, layers: layers) {
            return tiledGrams(network: network, image: image, grid: grid, layers: layers, scratch: scratch)
        }
        return network.forward(image, outputs: layers).mapValues { Gram.matrix($0) }
    }

    /// Evaluates the objective at `x` and writes its gradient.
    ///
    /// Nothing image-sized is allocated after the first call: the image, its preprocessed copy
    /// and the scratch are kept, and the losses overwrite the network's kept features with their
    /// gradients (`VGGNetwork.gradient(_:at:replacingOutputsWithGradients:)`).
    /// - Parameters:
    ///   - x: (H, W, 3) flattened, RGB in `0...255`.
    ///   - gradient: (H, W, 3) flattened; overwritten.
    public func evaluate(_ x: UnsafeBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>) -> Double {
        precondition(x.count == height * width * 3 && gradient.count == x.count, "StyleObjective: x and gradient must be (H, W, 3)")
        evaluations += 1
        let pre = network.weights.preprocessing
        let pixels = height * width
        preprocessed.data.withUnsafeMutableBufferPointer { pre.apply(x.baseAddress!, pixels: pixels, into: $0.baseAddress!) }
        var terms = LossTerms()
        let contentLayer = preset.contentWeight > 0 ? preset.contentLayer : nil
        let active = activeLayers
        if active.isEmpty {
            gradient.update(repeating: 0)
        } else if let grid = tiles {
            evaluateTiles(grid, layers: active, terms: &terms, gradient: gradient)
        } else {
            let dPre = network.gradient(preprocessed, at: active) { layer, features in
                let n = Float(max(1, features.count))
                var kernel: [Float]? = nil
                var guided: [GuidedKernel] = []
                if let guidance = self.guidance {
                    if (styleLayerWeights[layer] ?? 0) > 0 {
                        guided = guidedKernels(guidance, layer: layer, grams: guidedGrams(guidance, layer: layer, features: features), terms: &terms)
                    }
                } else if styleFactor(layer) > 0 {
                    let style = LayerLoss.replaceScratchWithKernel(of: features, target: styleTargets[layer]!,
                                                                   scale: styleKernelScale(layer), n: n, scratch: scratch)
                    addStyle(style, layer: layer, to: &terms)
                    kernel = scratch.gram
                }
                let isContent = layer == contentLayer
                let sum = LayerLoss.replaceWithGradient(&features, window: .whole(height: features.height, width: features.width),
                                                        kernel: kernel, guided: guided, contentTarget: isContent ? contentTarget : nil,
                                                        contentScale: contentScale(n: n), scratch: scratch)
                if isContent { setContent(sum: sum, n: n, in: &terms) }
            }
            dPre.data.withUnsafeBufferPointer { pre.backward($0.baseAddress!, pixels: pixels, into: gradient.baseAddress!) }
        }
        if preset.tvWeight > 0 {
            terms.tv = preset.tvWeight * TotalVariation.accumulate(x.baseAddress!, height: height, width: width, channels: 3,
                                                                   gradientScale: Float(preset.tvWeight), into: gradient.baseAddress!)
        }
        if let guidance, preset.contentWeight > 0 {
            // Regions without style held to the photo, as part of the content term (StyleObjective+Regions.swift).
            terms.content += preset.contentWeight * guidance.accumulateHold(x.baseAddress!, scale: preset.contentWeight, into: gradient.baseAddress!)
        }
        if let colorTarget, colorWeight > 0 {
            terms.color = ColorLoss.accumulate(x.baseAddress!, pixels: pixels, target: colorTarget, weight: colorWeight,
                                               into: gradient.baseAddress!)
        }
        if let temporal, temporalWeight > 0 {
            precondition(temporal.width == width && temporal.height == height, "the temporal target must have the image's size")
            terms.temporal = TemporalLoss.accumulate(x.baseAddress!, target: temporal, weight: temporalWeight,
                                                     into: gradient.baseAddress!)
        }
        lastTerms = terms
        return terms.total
    }

    /// The loss terms and the gradient (RGB, overwritten) of the preprocessed image over `grid`'s tiles, in the two
    /// passes described in StyleObjective+Tiles.swift.
    private func evaluateTiles(_ grid: TileGrid, layers: [String], terms: inout LossTerms, gradient: UnsafeMutableBufferPointer<Float>) {
        let styleLayers = layers.filter { (styleLayerWeights[$0] ?? 0) > 0 }
        let contentLayer = preset.contentWeight > 0 ? preset.contentLayer : nil
        // Pass 1: the whole image's Gram matrices, and from them each layer's K and E_l.
        var kernels: [String: [Float]] = [:]
        var guided: [String: [GuidedKernel]] = [:]
        if let guidance, !styleLayers.isEmpty {
            let grams = tiledGuidedGrams(guidance, layers: styleLayers, grid: grid)
            for layer in styleLayers { guided[layer] = guidedKernels(guidance, layer: layer, grams: grams[layer]!, terms: &terms) }
        } else if !styleLayers.isEmpty {
            let grams = Self.tiledGrams(network: network, image: preprocessed, grid: grid, layers: styleLayers, scratch: tileScratch,
                                        onTile: { [onTile] index, count in onTile?(1, index, count) })
            for layer in styleLayers {
                let shape = network.outputShape(layer, height: height, width: width)
                let n = Float(max(1, shape.channels * shape.height * shape.width))
                var kernel = grams[layer]!
                let style = kernel.withUnsafeMutableBufferPointer {
                    LayerLoss.replaceGramWithKernel($0.baseAddress!, target: styleTargets[layer]!, scale: styleKernelScale(layer), n: n)
                }
                kernels[layer] = kernel
                addStyle(style, layer: layer, to: &terms)
            }
        }
        // Pass 2: each tile's gradient, added into the image's.
        gradient.update(repeating: 0)
        let contentShape = network.outputShape(preset.contentLayer, height: height, width: width)
        let contentN = Float(max(1, contentShape.channels * contentShape.height * contentShape.width))
        let contentScale = contentScale(n: contentN)
        var contentSum = 0.0
        let pre = network.weights.preprocessing
        for (index, tile) in grid.tiles.enumerated() {
            Self.crop(preprocessed, tile.region, into: &tileScratch.input)
            let dTile = network.gradient(tileScratch.input, at: layers) { layer, features in
                let factor = TileGrid.factor(of: layer, architecture: network.architecture)
                let window = grid.window(tile, factor: factor, layerHeight: features.height, layerWidth: features.width)
                let isContent = layer == contentLayer
                contentSum += LayerLoss.replaceWithGradient(&features, window: window, kernel: kernels[layer], guided: guided[layer] ?? [],
                                                            contentTarget: isContent ? contentTarget : nil,
                                                            contentScale: contentScale, scratch: scratch)
            }
            let region = tile.region
            if tileScratch.rgbRow.count < region.width * 3 { tileScratch.rgbRow = [Float](repeating: 0, count: region.width * 3) }
            dTile.data.withUnsafeBufferPointer { d in
                tileScratch.rgbRow.withUnsafeMutableBufferPointer { row in
                    for y in 0 ..< region.height {
                        pre.backward(d.baseAddress! + y * region.width * 3, pixels: region.width, into: row.baseAddress!)
                        let to = gradient.baseAddress! + ((region.y0 + y) * width + region.x0) * 3
                        for i in 0 ..< region.width * 3 { to[i] += row[i] }
                    }
                }
            }
            onTile?(2, index, grid.tiles.count)
        }
        if contentLayer != nil { setContent(sum: contentSum, n: contentN, in: &terms) }
    }

    // The loss terms' weights and normalisation, for whole images and tiles alike.

    /// β's share of layer `layer`'s E_l before β: `w_l` times the preset's normalisation (0 without a style term).
    private func styleFactor(_ layer: String) -> Double {
        (styleLayerWeights[layer] ?? 0) * (styleNormalization[layer] ?? 1)
    }

    /// The factor of `(G − A) / (C M)` in a style layer's gradient kernel: β w_l, normalised.
    private func styleKernelScale(_ layer: String) -> Float { Float(preset.styleWeight * styleFactor(layer)) }

    /// Records a style layer's E_l (`style`) in `terms`.
    private func addStyle(_ style: Double, layer: String, to terms: inout LossTerms) {
        let factor = styleFactor(layer)
        terms.styleByLayer[layer] = factor * style
        terms.style += preset.styleWeight * factor * style
    }

    /// The factor of `F − P` in the content layer's gradient, with `n` = C M of the whole image's content layer.
    private func contentScale(n: Float) -> Float { Float(preset.contentWeight * contentNormalization) / n }

    /// Records the content term from `sum` = Σ (F − P)² over the whole image: α L_c, normalised.
    private func setContent(sum: Double, n: Float, in terms: inout LossTerms) {
        terms.content = preset.contentWeight * contentNormalization * (0.5 * sum / Double(n))
    }

    /// λ_t: the preset's, else the default.
    private var temporalWeight: Double { preset.temporalWeight ?? TemporalLoss.defaultWeight }

    /// λ of the colour term: the preset's, else the default.
    private var colorWeight: Double { preset.colorWeight ?? ColorLoss.defaultWeight }

    /// The layers with a non-zero term (the network orders them itself).
    private lazy var activeLayers: [String] = {
        var names = Set(styleLayerWeights.filter { $0.value > 0 }.map(\.key))
        if preset.contentWeight > 0 { names.insert(preset.contentLayer) }
        return names.sorted()
    }()

    /// w_l per style layer, only where β · w_l > 0.
    lazy var styleLayerWeights: [String: Double] = {
        var result: [String: Double] = [:]
        guard preset.styleWeight > 0 else { return result }
        for entry in preset.styleLayers where entry.weight > 0 { result[entry.layer, default: 0] += entry.weight }
        return result
    }()
}
