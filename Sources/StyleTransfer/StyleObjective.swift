import NeuralCore

/// The loss terms of one evaluation.
public struct LossTerms: Sendable, Equatable {
    /// α · L_c.
    public var content: Double = 0
    /// β · Σ_l w_l E_l.
    public var style: Double = 0
    /// γ · L_tv.
    public var tv: Double = 0
    /// w_l E_l per style layer, before β.
    public var styleByLayer: [String: Double] = [:]
    public var total: Double { content + style + tv }
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
    /// A per style layer, (C, C), blended over the style images.
    let styleTargets: [String: [Float]]
    /// Factors from Losses.swift's terms to the preset's normalisation: `2 C M / Σ P²` and `4 / Σ A²` per layer
    /// for `.relative`, 1 for `.gatys`.
    let contentNormalization: Double
    let styleNormalization: [String: Double]
    let height: Int
    let width: Int
    /// The terms of the latest evaluation.
    public private(set) var lastTerms = LossTerms()
    /// The terms of the lowest total evaluated so far: the point L-BFGS returns as its best.
    public private(set) var bestTerms: LossTerms?
    /// Evaluations so far.
    public private(set) var evaluations = 0
    /// The preprocessed image of the current evaluation, and the losses' scratch (kept).
    private var preprocessed: Tensor
    private let scratch = LayerLossScratch()

    /// - Parameters:
    ///   - content: (H, W, 3), RGB in `0...255`, the content image at the output size.
    ///   - styles: each (H', W', 3), RGB in `0...255`, at the style size.
    ///   - blend: one non-negative weight per style; normalised to sum 1.
    public init(network: VGGNetwork, preset: Preset, content: Tensor, styles: [Tensor], blend: [Double]) {
        precondition(!styles.isEmpty && styles.count == blend.count, "one blend weight per style image")
        self.network = network
        self.preset = preset
        self.height = content.height
        self.width = content.width
        self.preprocessed = Tensor(height: content.height, width: content.width, channels: 3)
        let styleLayers = preset.styleLayers.map(\.layer)
        let pre = network.weights.preprocessing
        contentTarget = network.forward(pre.apply(content), outputs: [preset.contentLayer])[preset.contentLayer]!
        let total = blend.reduce(0, +)
        var targets: [String: [Float]] = [:]
        for (style, b) in zip(styles, blend) {
            let acts = network.forward(pre.apply(style), outputs: styleLayers)
            let share = Float(total > 0 ? b / total : 1 / Double(styles.count))
            for layer in styleLayers {
                let g = Gram.matrix(acts[layer]!)
                if targets[layer] == nil { targets[layer] = [Float](repeating: 0, count: g.count) }
                for i in 0..<g.count { targets[layer]![i] += share * g[i] }
            }
        }
        styleTargets = targets
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

    /// The style targets, for reports (A per layer).
    public var styleGrams: [String: [Float]] { styleTargets }

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
        } else {
            let dPre = network.gradient(preprocessed, at: active) { layer, features in
                let styleWeight = (styleLayerWeights[layer] ?? 0) * (styleNormalization[layer] ?? 1)
                let isContent = layer == contentLayer
                let (style, content) = LayerLoss.replaceWithGradient(
                    &features, styleTarget: styleWeight > 0 ? styleTargets[layer]! : nil,
                    styleScale: Float(preset.styleWeight * styleWeight),
                    contentTarget: isContent ? contentTarget : nil,
                    contentScale: Float(preset.contentWeight * contentNormalization),
                    scratch: scratch)
                if styleWeight > 0 {
                    terms.styleByLayer[layer] = styleWeight * style
                    terms.style += preset.styleWeight * styleWeight * style
                }
                if isContent { terms.content = preset.contentWeight * contentNormalization * content }
            }
            dPre.data.withUnsafeBufferPointer { pre.backward($0.baseAddress!, pixels: pixels, into: gradient.baseAddress!) }
        }
        if preset.tvWeight > 0 {
            terms.tv = preset.tvWeight * TotalVariation.accumulate(x.baseAddress!, height: height, width: width, channels: 3,
                                                                   gradientScale: Float(preset.tvWeight), into: gradient.baseAddress!)
        }
        lastTerms = terms
        if terms.total.isFinite, terms.total < (bestTerms?.total ?? .infinity) { bestTerms = terms }
        return terms.total
    }

    /// The layers with a non-zero term (the network orders them itself).
    private lazy var activeLayers: [String] = {
        var names = Set(styleLayerWeights.filter { $0.value > 0 }.map(\.key))
        if preset.contentWeight > 0 { names.insert(preset.contentLayer) }
        return names.sorted()
    }()

    /// w_l per style layer, only where β · w_l > 0.
    private lazy var styleLayerWeights: [String: Double] = {
        var result: [String: Double] = [:]
        guard preset.styleWeight > 0 else { return result }
        for entry in preset.styleLayers where entry.weight > 0 { result[entry.layer, default: 0] += entry.weight }
        return result
    }()
}
