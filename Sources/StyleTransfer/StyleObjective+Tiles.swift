// The objective of an image too large for one pass through the network, computed tile by tile (`TileGrid`): the
// same loss and the same gradient as the whole image's, in two passes per evaluation.
//   1. Every tile's forward pass to the deepest style layer; each style layer's features inside the tile's core add
//      to that layer's Gram matrix, G = Σ_tiles F_coreᵀ F_core / (C M), M the whole image's positions at the layer.
//   2. Every tile's forward and backward pass: each loss layer's gradient is written over the core's features from
//      the whole image's G and the content target's matching window, zero outside the core (`LayerLoss.replaceWithGradient`,
//      the whole image's own with the core as its window); the tile's input gradient adds into the image's over the
//      tile's region.
// Only one tile's activations exist at a time, so the network's memory follows the tile's region, not the image.
import NeuralCore

/// Buffers of the tiled evaluation, kept across evaluations.
final class TileScratch {
    /// The tile's network input, (region, 3).
    var input = Tensor(height: 0, width: 0, channels: 3)
    /// Gram sums per style layer, (C, C).
    var grams: [String: [Float]] = [:]
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
                LayerLoss.zeroOutside(&features, window)
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
}

extension VGGArchitecture {
    /// The deepest of `layers` in network order, or nil for none.
    func deepest(of layers: [String]) -> String? {
        let order = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($0.element.name, $0.offset) })
        return layers.filter { order[$0] != nil }.max { order[$0]! < order[$1]! }
    }
}
