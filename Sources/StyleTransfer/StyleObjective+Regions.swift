// The style term of a transfer with regions (RegionMasks.swift): for every style layer l and every styled region r,
//   β · w_l · ρ_r · N_rl · E_rl,   E_rl = ¼ Σ (G_rl − A_rl)²   (GuidedGram.swift)
// with ρ_r the region's weight and N_rl the preset's normalisation (1, or 4 / Σ A_rl² when relative). A region
// without a style has no style term; it is held to the photo by the content term, which with regions also holds
// the pixels of those regions to the photo's:
//   α · λ · Σ_p h(p) Σ_k (x_pk − c_pk)² / (3 H W · 255²),   h(p) = Σ_{r without style} ρ_r m_r(p)
// (λ = `RegionGuidance.holdWeight`), since the content layer alone (block5_conv2) lets the pixels wander under the
// styled regions' gradients, whose receptive fields reach across the border: 40 grey levels (mean absolute) in the
// unstyled half of a 64 px run without this term.
import NeuralCore

/// The regions of one scale, at its sizes: what `StyleObjective` needs to guide its style term.
public struct ScaleRegions: Sendable {
    public struct Region: Sendable {
        /// (H, W) at the output size of the scale, in `0...1`.
        public var mask: LayerMask
        /// Index into the objective's style images; nil: no style term.
        public var style: Int?
        public var weight: Double
    }
    public var regions: [Region]
    /// Per style image, its mask (H', W') at the style's size at this scale, or nil: all of it.
    public var styleMasks: [LayerMask?]
}

/// The styled regions of an objective, resolved on its network: each region's mask on every style layer's grid,
/// its Gram targets and its factors.
final class RegionGuidance {
    struct Region {
        var weight: Double
        /// Per style layer: the mask on the layer's whole grid, and A_rl. Layers where the region (or its style
        /// mask) pools to nothing are absent: they have no term.
        var masks: [String: LayerMask]
        var targets: [String: [Float]]
        /// N_rl, the preset's normalisation of E_rl.
        var normalization: [String: Double]
    }
    var regions: [Region]
    /// h(p), (H, W) at the output size, and the photo c there (H, W, 3); nil without a region lacking style.
    var hold: (mask: [Float], photo: Tensor)?
    /// Scratch of `GuidedGram.accumulate`.
    var rows: [Float] = []

    /// λ of the hold: a mean deviation of 5 grey levels over a whole region costs α · 1.9 (relative presets put the
    /// content term near 1). Measured: the unstyled half of a 64 px two-region run on VGG19 ends within
    /// `RegionTargetTests`' 5 grey levels.
    static let holdWeight = 5000.0

    /// - Parameters:
    ///   - styles: the preprocessed style images, (H', W', 3) each.
    ///   - plainGrams: each style image's Gram matrices (its target where it has no mask).
    init(_ scale: ScaleRegions, network: VGGNetwork, layers: [String], content: Tensor, styles: [Tensor], plainGrams: [[String: [Float]]],
         normalization: LossNormalization, tileCore: Int?, scratch: TileScratch) {
        var holdMask: [Float]? = nil
        for region in scale.regions where region.style == nil {
            if holdMask == nil { holdMask = [Float](repeating: 0, count: region.mask.values.count) }
            for i in region.mask.values.indices { holdMask![i] += Float(region.weight) * region.mask.values[i] }
        }
        hold = holdMask.map { ($0, content) }
        var styleTargets: [Int: [String: [Float]]] = [:]
        var result: [Region] = []
        for region in scale.regions {
            guard let s = region.style else { continue }
            if styleTargets[s] == nil {
                if let styleMask = scale.styleMasks[s] {
                    styleTargets[s] = StyleObjective.guidedGrams(network: network, image: styles[s], layers: layers,
                                                                 masks: [styleMask], tileCore: tileCore, scratch: scratch)[0]
                } else {
                    styleTargets[s] = plainGrams[s]
                }
            }
            var r = Region(weight: region.weight, masks: [:], targets: [:], normalization: [:])
            for layer in layers {
                let mask = region.mask.pooled(toFactor: TileGrid.factor(of: layer, architecture: network.architecture))
                guard mask.mass > 0, let target = styleTargets[s]![layer] else { continue }
                r.masks[layer] = mask
                r.targets[layer] = target
                let sum = StyleObjective.sumOfSquares(target)
                r.normalization[layer] = normalization == .relative && sum > 0 && sum.isFinite ? 4 / sum : 1
            }
            result.append(r)
        }
        regions = result
    }
}

extension RegionGuidance {
    /// The hold's value `λ Σ h (x − c)² / (3 H W 255²)` (before α), ADDING `scale` times its gradient to `gradient`.
    /// - Parameters:
    ///   - x, gradient: (H, W, 3).
    func accumulateHold(_ x: UnsafePointer<Float>, scale: Double, into gradient: UnsafeMutablePointer<Float>) -> Double {
        guard let hold else { return 0 }
        let pixels = hold.mask.count
        let norm = RegionGuidance.holdWeight / (3 * Double(max(1, pixels)) * 255 * 255)
        let g = Float(2 * norm * scale)
        var sum = 0.0
        hold.photo.data.withUnsafeBufferPointer { c in
            for p in 0 ..< pixels where hold.mask[p] > 0 {
                let h = hold.mask[p]
                for k in 0 ..< 3 {
                    let d = x[3 * p + k] - c[3 * p + k]
                    sum += Double(h) * Double(d) * Double(d)
                    gradient[3 * p + k] += g * h * d
                }
            }
        }
        return norm * sum
    }
}

extension StyleObjective {
    /// The normalised guided Gram matrices `G_rl` of a preprocessed image `(H, W, 3)` for each of `masks` (at the
    /// image's size), at every layer of `layers`, whole or tile by tile (one pass through the network for all
    /// masks); a layer where a mask pools to nothing has no entry.
    static func guidedGrams(network: VGGNetwork, image: Tensor, layers: [String], masks: [LayerMask], tileCore: Int?,
                            scratch: TileScratch) -> [[String: [Float]]] {
        let layerMasks = masks.map { mask in
            Dictionary(uniqueKeysWithValues: layers.map { ($0, mask.pooled(toFactor: TileGrid.factor(of: $0, architecture: network.architecture))) })
        }
        return guidedGrams(network: network, image: image, layerMasks: layerMasks, tileCore: tileCore, scratch: scratch)
    }

    /// The same for masks already on the layers' grids (`layerMasks[r][layer]`).
    static func guidedGrams(network: VGGNetwork, image: Tensor, layerMasks: [[String: LayerMask]], tileCore: Int?,
                            scratch: TileScratch, onTile: ((Int, Int) -> Void)? = nil) -> [[String: [Float]]] {
        let layers = Array(Set(layerMasks.flatMap(\.keys))).sorted()
        var sums = layerMasks.map { masks in
            masks.mapValues { _ in [Float]() }
        }
        for (r, masks) in layerMasks.enumerated() {
            for layer in masks.keys {
                let c = network.outputShape(layer, height: 1, width: 1).channels
                sums[r][layer] = [Float](repeating: 0, count: c * c)
            }
        }
        var rows: [Float] = []
        func add(_ layer: String, _ features: Tensor, _ window: TileGrid.Window) {
            for r in layerMasks.indices {
                guard let mask = layerMasks[r][layer] else { continue }
                sums[r][layer]!.withUnsafeMutableBufferPointer { g in
                    GuidedGram.accumulate(features, window: window, mask: mask, into: g.baseAddress!, scratch: &rows)
                }
            }
        }
        if let grid = tileGrid(height: image.height, width: image.width, core: tileCore, network: network, layers: layers) {
            let largest = grid.largestRegion
            network.reserve(height: largest.height, width: largest.width)
            for (index, tile) in grid.tiles.enumerated() {
                crop(image, tile.region, into: &scratch.input)
                network.forward(scratch.input, outputs: layers) { layer, features in
                    let factor = TileGrid.factor(of: layer, architecture: network.architecture)
                    add(layer, features, grid.window(tile, factor: factor, layerHeight: features.height, layerWidth: features.width))
                }
                onTile?(index, grid.tiles.count)
            }
        } else {
            for (layer, features) in network.forward(image, outputs: layers) {
                add(layer, features, .whole(height: features.height, width: features.width))
            }
        }
        return sums.enumerated().map { r, grams in
            var result: [String: [Float]] = [:]
            for (layer, g) in grams {
                let mass = layerMasks[r][layer]!.mass
                guard mass > 0 else { continue }
                let scale = 1 / Float(Double(g.count).squareRoot() * mass)
                result[layer] = g.map { $0 * scale }
            }
            return result
        }
    }

    /// The regions' kernels at `layer` from their guided Gram matrices there (`grams[r]`, normalised), adding each
    /// region's `w_l ρ_r N_rl E_rl` to the layer's and β times it to the style term.
    func guidedKernels(_ guidance: RegionGuidance, layer: String, grams: [[Float]?], terms: inout LossTerms) -> [GuidedKernel] {
        let w = styleLayerWeights[layer] ?? 0
        var kernels: [GuidedKernel] = []
        var layerTerm = 0.0
        for (r, region) in guidance.regions.enumerated() {
            guard let mask = region.masks[layer], let target = region.targets[layer], var g = grams[r] else { continue }
            let factor = w * region.weight * region.normalization[layer]!
            let n = Float(Double(target.count).squareRoot() * mask.mass)
            let e = g.withUnsafeMutableBufferPointer {
                LayerLoss.replaceGramWithKernel($0.baseAddress!, target: target, scale: Float(preset.styleWeight * factor), n: n)
            }
            layerTerm += factor * e
            kernels.append(GuidedKernel(kernel: g, mask: mask))
        }
        terms.styleByLayer[layer] = layerTerm
        terms.style += preset.styleWeight * layerTerm
        return kernels
    }

    /// The guided Gram matrices of the whole image's features at `layer`, one per region (nil where it has no term).
    func guidedGrams(_ guidance: RegionGuidance, layer: String, features: Tensor) -> [[Float]?] {
        guidance.regions.map { region in
            guard let mask = region.masks[layer] else { return nil }
            let c = features.channels
            var g = [Float](repeating: 0, count: c * c)
            g.withUnsafeMutableBufferPointer {
                GuidedGram.accumulate(features, window: .whole(height: features.height, width: features.width), mask: mask,
                                      into: $0.baseAddress!, scratch: &guidance.rows)
            }
            let scale = 1 / Float(Double(c) * mask.mass)
            return g.map { $0 * scale }
        }
    }

    /// The regions' guided Gram matrices of the preprocessed image over `grid`'s tiles (pass 1 of a tiled
    /// evaluation with regions).
    func tiledGuidedGrams(_ guidance: RegionGuidance, layers: [String], grid: TileGrid) -> [String: [[Float]?]] {
        let layerMasks = guidance.regions.map { region in region.masks.filter { layers.contains($0.key) } }
        let grams = Self.guidedGrams(network: network, image: preprocessed, layerMasks: layerMasks, tileCore: grid.core,
                                     scratch: tileScratch, onTile: { [onTile] index, count in onTile?(1, index, count) })
        var result: [String: [[Float]?]] = [:]
        for layer in layers { result[layer] = grams.map { $0[layer] } }
        return result
    }
}
