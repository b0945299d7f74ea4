// The objective of an image too large for one pass through the network, computed tile by tile (`TileGrid`): the
// same loss and the same gradient as the whole image's, in two passes per evaluation.
//   1. Every tile's forward pass to the deepest style layer; each style layer's features inside the tile's core add
//      to that layer's Gram matrix, G = Σ_tiles F_coreᵀ F_core / (C M), M the whole image's positions at the layer.
//   2. Every tile's forward and backward pass: each loss layer's gradient is written over the core's features from
//      the whole image's G (dE/dF = F (G − A) / (C M), as Losses+InPlace.swift) and the content target's matching
//      window, zero outside the core; the tile's input gradient adds into the image's over the tile's region.
// Only one tile's activations exist at a time, so the network's memory follows the tile's region, not the image.
import NeuralCore

/// Buffers of the tiled evaluation, kept across evaluations.
final class TileScratch {
    /// The tile's network input, (region, 3).
    var input = Tensor(height: 0, width: 0, channels: 3)
    /// Gram sums per style layer, (C, C).
    var grams: [String: [Float]] = [:]
    /// A block of gradient rows (`LayerLossScratch.blockFloats`).
    var rows: [Float] = []
    /// One region row of the input gradient in RGB.
    var rgbRow: [Float] = []
}

extension StyleObjective {
    /// The tiles of an image of `height` x `width` with cores of `core` pixels, for the loss layers `layers` of
    /// `network`; nil when no core is asked for or one tile covers the image (the plain evaluation is then used).
    static func tileGrid(height: Int, width: Int, core: Int?, network: VGGNetwork, layers: [String]) -> TileGrid? {
        guard let core, let deepest = network.architecture.deepest(of: layers) else { return nil }
        let grid = TileGrid(height: height, width: width, core: core, architecture: network.architecture, deepestLayer: deepest)
        return grid.isSingle ? nil : grid
    }

    /// Copies a tile's region of a preprocessed image `(H, W, 3)` into `tile`.
    static func crop(_ image: Tensor, _ region: TileGrid.Rect, into tile: inout Tensor) {
        tile.reshapeForOutput(height: region.height, width: region.width, channels: 3)
        image.data.withUnsafeBufferPointer { source in
            tile.data.withUnsafeMutableBufferPointer { destination in
                for y in 0 ..< region.height {
                    let from = source.baseAddress! + ((region.y0 + y) * image.width + region.x0) * 3
                    (destination.baseAddress! + y * region.width * 3).update(from: from, count: region.width * 3)
                }
            }
        }
    }

    /// Zeroes a layer's output `(h, w, C)` outside rows `rows` and columns `columns`.
    static func zeroOutside(_ features: inout Tensor, rows: Range<Int>, columns: Range<Int>) {
        let (w, c) = (features.width, features.channels)
        features.data.withUnsafeMutableBufferPointer { f in
            let base = f.baseAddress!
            base.update(repeating: 0, count: rows.lowerBound * w * c)
            for y in rows {
                base.advanced(by: y * w * c).update(repeating: 0, count: columns.lowerBound * c)
                base.advanced(by: (y * w + columns.upperBound) * c).update(repeating: 0, count: (w - columns.upperBound) * c)
            }
            base.advanced(by: rows.upperBound * w * c).update(repeating: 0, count: (features.height - rows.upperBound) * w * c)
        }
    }

    /// The Gram matrix of every layer in `layers` for a preprocessed image `(H, W, 3)`, summed over `grid`'s tiles:
    /// equal to `Gram.matrix` of the whole image's output.
    /// - Parameter onTile: called after each tile with (tile index, tiles).
    static func tiledGrams(network: VGGNetwork, image: Tensor, grid: TileGrid, layers: [String],
                           scratch: TileScratch, onTile: ((Int, Int) -> Void)? = nil) -> [String: [Float]] {
        for layer in layers {
            let c = network.outputShape(layer, height: 1, width: 1).channels
            if scratch.grams[layer]?.count != c * c { scratch.grams[layer] = [Float](repeating: 0, count: c * c) }
            scratch.grams[layer]!.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        let largest = grid.largestRegion
        network.reserve(height: largest.height, width: largest.width)
        for (index, tile) in grid.tiles.enumerated() {
            defer { onTile?(index, grid.tiles.count) }
            crop(image, tile.region, into: &scratch.input)
            network.forward(scratch.input, outputs: layers) { layer, features in
                let factor = TileGrid.factor(of: layer, architecture: network.architecture)
                let window = grid.window(tile, factor: factor, layerHeight: features.height, layerWidth: features.width)
                zeroOutside(&features, rows: window.rows, columns: window.columns)
                let rows = window.rows
                features.data.withUnsafeBufferPointer { f in
                    scratch.grams[layer]!.withUnsafeMutableBufferPointer { g in
                        Gram.matrix(f.baseAddress! + rows.lowerBound * features.width * features.channels,
                                    rows: rows.count * features.width, channels: features.channels, scale: 1,
                                    into: g.baseAddress!, accumulate: true)
                    }
                }
            }
        }
        var result: [String: [Float]] = [:]
        for layer in layers {
            let shape = network.outputShape(layer, height: grid.height, width: grid.width)
            let scale = 1 / Float(max(1, shape.channels * shape.height * shape.width))
            result[layer] = scratch.grams[layer]!.map { $0 * scale }
        }
        return result
    }

    /// One layer's output for a preprocessed image `(H, W, 3)`, assembled from `grid`'s cores: equal to the
    /// whole image's output.
    static func tiledFeatures(network: VGGNetwork, image: Tensor, grid: TileGrid, layer: String, scratch: TileScratch) -> Tensor {
        let shape = network.outputShape(layer, height: grid.height, width: grid.width)
        var result = Tensor(height: shape.height, width: shape.width, channels: shape.channels)
        let largest = grid.largestRegion
        network.reserve(height: largest.height, width: largest.width)
        let factor = TileGrid.factor(of: layer, architecture: network.architecture)
        for tile in grid.tiles {
            crop(image, tile.region, into: &scratch.input)
            network.forward(scratch.input, outputs: [layer]) { _, features in
                let window = grid.window(tile, factor: factor, layerHeight: features.height, layerWidth: features.width)
                let c = features.channels
                features.data.withUnsafeBufferPointer { f in
                    result.data.withUnsafeMutableBufferPointer { r in
                        for y in window.rows {
                            let from = f.baseAddress! + (y * features.width + window.columns.lowerBound) * c
                            let to = r.baseAddress! + ((y + window.rowOffset) * shape.width + window.columns.lowerBound + window.columnOffset) * c
                            to.update(from: from, count: window.columns.count * c)
                        }
                    }
                }
            }
        }
        return result
    }

    /// Replaces a tile's layer output by the gradient of the layer's terms over the tile's core:
    /// `F · K + contentScale · (F − P)` inside the core (P: the whole image's content target at the matching
    /// window), zero outside.
    /// - Parameters:
    ///   - kernel: K = β w_l (G − A) / (C M) from the whole image's G, or nil without a style term.
    ///   - contentTarget: the whole image's P, or nil without a content term.
    /// - Returns: Σ (F − P)² over the core (0 without a content term).
    static func replaceWithTileGradient(_ features: inout Tensor, window: (rows: Range<Int>, columns: Range<Int>, rowOffset: Int, columnOffset: Int),
                                        kernel: [Float]?, contentTarget: Tensor?, contentScale: Float,
                                        scratch: TileScratch) -> Double {
        zeroOutside(&features, rows: window.rows, columns: window.columns)
        let (w, c) = (features.width, features.channels)
        let rowsPerBlock = max(1, LayerLossScratch.blockFloats / max(1, w * c))
        if kernel != nil, scratch.rows.count < rowsPerBlock * w * c { scratch.rows = [Float](repeating: 0, count: rowsPerBlock * w * c) }
        var contentSum = 0.0
        features.data.withUnsafeMutableBufferPointer { f in
            scratch.rows.withUnsafeMutableBufferPointer { temp in
                var y0 = window.rows.lowerBound
                while y0 < window.rows.upperBound {
                    let y1 = min(window.rows.upperBound, y0 + rowsPerBlock)
                    let block = f.baseAddress! + y0 * w * c
                    // out: where the gradient of this block goes before it replaces F (F is read by the content part).
                    let out: UnsafeMutablePointer<Float>
                    if let kernel {
                        out = temp.baseAddress!
                        kernel.withUnsafeBufferPointer { k in
                            GEMM.multiply(m: (y1 - y0) * w, n: c, k: c, a: block, lda: c, b: k.baseAddress!, ldb: c, c: out, ldc: c)
                        }
                    } else {
                        out = block
                    }
                    if let contentTarget {
                        contentTarget.data.withUnsafeBufferPointer { p in
                            for y in y0 ..< y1 {
                                let row = (y - y0) * w * c
                                let target = p.baseAddress! + ((y + window.rowOffset) * contentTarget.width + window.columnOffset) * c
                                for i in window.columns.lowerBound * c ..< window.columns.upperBound * c {
                                    let d = block[row + i] - target[i]
                                    contentSum += Double(d * d)
                                    out[row + i] = kernel == nil ? contentScale * d : out[row + i] + contentScale * d
                                }
                            }
                        }
                    }
                    if kernel != nil { block.update(from: out, count: (y1 - y0) * w * c) }
                    y0 = y1
                }
            }
        }
        return contentSum
    }
}

extension VGGArchitecture {
    /// The deepest of `layers` in network order, or nil for none.
    func deepest(of layers: [String]) -> String? {
        let order = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($0.element.name, $0.offset) })
        return layers.filter { order[$0] != nil }.max { order[$0]! < order[$1]! }
    }
}
