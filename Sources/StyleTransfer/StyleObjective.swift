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
/// `L(x) = α L_c(x) + β Σ_l w_l E_l(x) + γ L_tv(x)` (formulas in Losses.swift), with its gradient
/// by one forward and one backward pass through the network, down to the deepest loss layer only.
public final class StyleObjective {
    public let network: VGGNetwork
    public let preset: Preset
    /// P, (H, W, C) at the content layer.
    let contentTarget: Tensor
    /// A per style layer, (C, C), blended over the style images.
    let styleTargets: [String: [Float]]
    let height: Int
    let width: Int
    let layers: [String]
    /// The terms of the latest evaluation.
    public private(set) var lastTerms = LossTerms()
    /// The terms of the lowest total evaluated so far: the point L-BFGS returns as its best.
    public private(set) var bestTerms: LossTerms?
    /// Evaluations so far.
    public private(set) var evaluations = 0

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
        let styleLayers = preset.styleLayers.map(\.layer)
        self.layers = Array(Set(styleLayers + [preset.contentLayer]))
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
    }

    /// The style targets, for reports (A per layer).
    public var styleGrams: [String: [Float]] { styleTargets }

    /// Evaluates the objective at `x` and writes its gradient.
    /// - Parameters:
    ///   - x: (H, W, 3) flattened, RGB in `0...255`.
    ///   - gradient: (H, W, 3) flattened; overwritten.
    public func evaluate(_ x: UnsafeBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>) -> Double {
        evaluations += 1
        let image = Tensor(height: height, width: width, channels: 3, data: Array(x))
        let pre = network.weights.preprocessing
        let acts = network.forwardForBackward(pre.apply(image), outputs: layers)
        var terms = LossTerms()
        var outputGradients: [String: Tensor] = [:]

        func add(_ layer: String, _ g: Tensor, scale: Float) {
            if outputGradients[layer] == nil {
                var scaled = g
                scaled.data.withUnsafeMutableBufferPointer { d in for i in 0..<d.count { d[i] *= scale } }
                outputGradients[layer] = scaled
            } else {
                outputGradients[layer]!.data.withUnsafeMutableBufferPointer { d in
                    g.data.withUnsafeBufferPointer { s in for i in 0..<d.count { d[i] += scale * s[i] } }
                }
            }
        }

        if preset.contentWeight > 0 {
            let c = ContentLoss.evaluate(acts[preset.contentLayer]!, target: contentTarget)
            terms.content = preset.contentWeight * c.value
            add(preset.contentLayer, c.gradient, scale: Float(preset.contentWeight))
        }
        for entry in preset.styleLayers where entry.weight > 0 && preset.styleWeight > 0 {
            let s = StyleLoss.evaluate(acts[entry.layer]!, target: styleTargets[entry.layer]!)
            terms.styleByLayer[entry.layer] = entry.weight * s.value
            terms.style += preset.styleWeight * entry.weight * s.value
            add(entry.layer, s.gradient, scale: Float(preset.styleWeight * entry.weight))
        }
        let dPre = outputGradients.isEmpty ? Tensor(height: height, width: width, channels: 3)
                                            : network.backward(outputGradients)
        let dx = pre.backward(dPre)
        let tv = preset.tvWeight > 0 ? TotalVariation.evaluate(image) : nil
        terms.tv = preset.tvWeight * (tv?.value ?? 0)
        let gamma = Float(preset.tvWeight)
        dx.data.withUnsafeBufferPointer { d in
            if let tv {
                tv.gradient.data.withUnsafeBufferPointer { t in
                    for i in 0..<gradient.count { gradient[i] = d[i] + gamma * t[i] }
                }
            } else {
                for i in 0..<gradient.count { gradient[i] = d[i] }
            }
        }
        lastTerms = terms
        if terms.total.isFinite, terms.total < (bestTerms?.total ?? .infinity) { bestTerms = terms }
        return terms.total
    }
}
