import NeuralCore
@testable import StyleTransfer
import XCTest

/// The tiled evaluation (`TileGrid`, StyleObjective+Tiles.swift) against the whole image's, which is the reference:
/// the tiles must reproduce its loss terms and its gradient at every pixel, tile borders included, and a halo one
/// alignment step narrower than the receptive field must not.
final class TiledObjectiveTests: XCTestCase {
    let vgg16 = VGGArchitecture.vgg16

    // MARK: Geometry

    /// Receptive-field reach, by hand from the layer plan: VGG16 to block5_conv2 is 2·1 + 2·2 + 3·4 + 3·8 + 2·16 = 74
    /// px (halo 80, a multiple of 16); VGG19 adds a convolution to blocks 3 and 4: 2 + 4 + 16 + 32 + 32 = 86 (halo 96).
    func testHaloCoversTheReceptiveFieldOnTheAlignment() {
        XCTAssertEqual(TileGrid.reach(architecture: .vgg16, deepestLayer: "block5_conv2"), 74)
        XCTAssertEqual(TileGrid.halo(architecture: .vgg16, deepestLayer: "block5_conv2"), 80)
        XCTAssertEqual(TileGrid.alignment(architecture: .vgg16, deepestLayer: "block5_conv2"), 16)
        XCTAssertEqual(TileGrid.reach(architecture: .vgg19, deepestLayer: "block5_conv2"), 86)
        XCTAssertEqual(TileGrid.halo(architecture: .vgg19, deepestLayer: "block5_conv2"), 96)
        XCTAssertEqual(TileGrid.reach(architecture: .vgg16, deepestLayer: "block3_conv1"), 10)
        XCTAssertEqual(TileGrid.halo(architecture: .vgg16, deepestLayer: "block3_conv1"), 12)
        XCTAssertEqual(TileGrid.factor(of: "block2_pool", architecture: .vgg16), 4)
        XCTAssertEqual(TileGrid.factor(of: "block1_conv1", architecture: .vgg16), 1)
    }

    /// The cores partition the image at every layer (each output position in exactly one core window), and every
    /// region holds its core and its halo up to the image's edges, with inner edges on the alignment.
    func testCoresPartitionEveryLayer() {
        for (h, w, core) in [(100, 77, 32), (64, 64, 16), (37, 150, 48), (20, 20, 64)] {
            let grid = TileGrid(height: h, width: w, core: core, architecture: vgg16, deepestLayer: "block3_conv1")
            for factor in [1, 2, 4] {
                let (lh, lw) = (h / factor, w / factor)
                var count = [Int](repeating: 0, count: lh * lw)
                for tile in grid.tiles {
                    let r = tile.region
                    let window = grid.window(tile, factor: factor, layerHeight: r.height / factor, layerWidth: r.width / factor)
                    for y in window.rows { for x in window.columns { count[(y + window.rowOffset) * lw + x + window.columnOffset] += 1 } }
                }
                XCTAssertEqual(Set(count), [1], "\(h)x\(w) core \(core), factor \(factor): every position in one core")
            }
            for tile in grid.tiles {
                let (c, r) = (tile.core, tile.region)
                XCTAssertEqual(r.y0, max(0, c.y0 - grid.halo)); XCTAssertEqual(r.x0, max(0, c.x0 - grid.halo))
                XCTAssertEqual(r.y1, min(h, c.y1 + grid.halo)); XCTAssertEqual(r.x1, min(w, c.x1 + grid.halo))
                for edge in [r.y0, r.x0, c.y0, c.x0] { XCTAssertEqual(edge % grid.alignment, 0) }
                if r.y1 < h { XCTAssertEqual(r.y1 % grid.alignment, 0) }
                if r.x1 < w { XCTAssertEqual(r.x1 % grid.alignment, 0) }
            }
        }
    }

    // MARK: Exactness against the whole image

    func image(_ h: Int, _ w: Int, seed: UInt64) -> Tensor { StyleObjectiveTests.smoothImage(h, w, seed: seed) }

    /// Loss terms and gradient of the tiled objective against the whole image's on the same network and inputs.
    /// With im2col every output position is computed by the same arithmetic in a tile and in the whole image, so
    /// only the order of the Gram and loss sums differs: relative 2e-4 on the terms and 1e-4 of the largest
    /// gradient entry at every pixel. Winograd's 4x4 output tiles start at the region's corner, so a tile rounds
    /// differently from the whole image and a ReLU at a value next to 0 can switch, which changes the gradient
    /// locally (measured: 0.4% of the largest entry in one patch): there the terms keep 2e-4, and the gradient's
    /// difference is bounded in norm by 4e-3 of the whole image's. For scale: on this network and image the whole
    /// image's gradient by Winograd differs from its gradient by im2col by 1.8e-3 in norm, the tiles' by 1.5e-3.
    func checkTilesMatchWholeImage(preset: Preset, height: Int, width: Int, core: Int, minimumTiles: Int,
                                   convolution: ConvAlgorithm = .im2col,
                                   file: StaticString = #filePath, line: UInt = #line) {
        let network = VGGNetwork(weights: .random(architecture: .vgg16, seed: 11))
        network.convolution = convolution
        let content = image(height, width, seed: 1)
        let styles = [image(height + 8, width - 4, seed: 2), image(height, width, seed: 3)]
        // The pointwise bound holds where tiles and whole image take the same ReLU and pool decisions. Where the
        // BLAS core rounds a tile's rows differently (OpenBLAS' edge kernels depend on a row's place in the
        // product) and a unit sits at a tie, both gradients are right one-sided derivatives and differ by that
        // unit's contribution (seen under the Haswell core: 1.3e-3 of the largest entry): such a point is a kink,
        // and the test takes the next seeded point (as in ConvPathObjectiveTests).
        let order = vgg16.layerNames(includeTop: false)
        let deepest = ([preset.contentLayer] + preset.styleLayers.map(\.layer))
            .max { (order.firstIndex(of: $0) ?? 0) < (order.firstIndex(of: $1) ?? 0) } ?? "block5_conv2"
        let decisionGrid = TileGrid(height: height, width: width, core: core, architecture: vgg16, deepestLayer: deepest)
        var x = image(height, width, seed: 4)
        var kinks: [String] = []
        if convolution == .im2col {
            for seed: UInt64 in 4 ..< 10 {
                x = image(height, width, seed: seed)
                guard let kink = differingDecision(network, grid: decisionGrid, at: x, through: deepest) else { break }
                kinks.append("seed \(seed): \(kink)")
            }
            if kinks.count == 6 { return XCTFail("every seeded point was a kink: \(kinks)", file: file, line: line) }
            if !kinks.isEmpty { print("TiledObjectiveTests: kinks skipped (BLAS core \(BLASCore.name)): \(kinks)") }
        }
        let whole = StyleObjective(network: network, preset: preset, content: content, styles: styles, blend: [0.7, 0.3])
        var gWhole = [Float](repeating: 0, count: x.count)
        let fWhole = x.data.withUnsafeBufferPointer { xb in gWhole.withUnsafeMutableBufferPointer { whole.evaluate(xb, gradient: $0) } }
        let termsWhole = whole.lastTerms

        let tiled = StyleObjective(network: network, preset: preset, content: content, styles: styles, blend: [0.7, 0.3], tileCore: core)
        guard let grid = tiled.tiles else { return XCTFail("no tiles for \(height)x\(width) at core \(core)", file: file, line: line) }
        XCTAssertEqual(grid, decisionGrid, "the decisions were compared on the objective's own tiles", file: file, line: line)
        XCTAssertGreaterThanOrEqual(grid.tiles.count, minimumTiles, file: file, line: line)
        XCTAssertTrue(grid.tiles.contains { $0.region.height < height && $0.region.width < width },
                      "some region must be smaller than the image, or the halo is not tested", file: file, line: line)
        var gTiled = [Float](repeating: .nan, count: x.count)
        // Twice: the second evaluation reuses every buffer and must give the same.
        for _ in 0 ..< 2 {
            let fTiled = x.data.withUnsafeBufferPointer { xb in gTiled.withUnsafeMutableBufferPointer { tiled.evaluate(xb, gradient: $0) } }
            let t = tiled.lastTerms
            XCTAssertEqual(fTiled, fWhole, accuracy: 2e-4 * abs(fWhole), file: file, line: line)
            XCTAssertEqual(t.content, termsWhole.content, accuracy: 2e-4 * abs(termsWhole.content) + 1e-12, file: file, line: line)
            XCTAssertEqual(t.style, termsWhole.style, accuracy: 2e-4 * abs(termsWhole.style) + 1e-12, file: file, line: line)
            for (layer, value) in termsWhole.styleByLayer {
                XCTAssertEqual(t.styleByLayer[layer] ?? .nan, value, accuracy: 2e-4 * abs(value) + 1e-12, "\(layer)", file: file, line: line)
            }
            let largest = gWhole.map(abs).max()!
            XCTAssertGreaterThan(largest, 0, file: file, line: line)
            if convolution == .im2col {
                var worst = 0 as Float
                for i in 0 ..< x.count { worst = max(worst, abs(gTiled[i] - gWhole[i])) }
                XCTAssertLessThanOrEqual(worst, 1e-4 * largest, "largest gradient difference", file: file, line: line)
            } else {
                let difference = zip(gTiled, gWhole).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
                let norm = gWhole.reduce(0.0) { $0 + Double($1 * $1) }
                XCTAssertLessThanOrEqual(difference.squareRoot(), 4e-3 * norm.squareRoot(), "gradient difference", file: file, line: line)
            }
        }
        // The report's Gram matrices, tile by tile, against the whole image's.
        let gramsTiled = tiled.grams(of: x), gramsWhole = whole.grams(of: x)
        for (layer, g) in gramsWhole {
            let scale = g.map(abs).max()!
            for (a, b) in zip(gramsTiled[layer]!, g) { XCTAssertEqual(a, b, accuracy: 1e-4 * scale, layer, file: file, line: line) }
        }
    }

    /// The first ReLU or max-pool decision that a tile's forward pass takes differently from the whole image's
    /// inside the tile's core window, or nil: a ReLU differs where one output is 0 and the other positive, a pool
    /// where the two pre-pool maps put a window's maximum at different positions.
    func differingDecision(_ network: VGGNetwork, grid: TileGrid, at rgb: Tensor, through deepest: String) -> String? {
        let names = vgg16.layerNames(includeTop: false).filter { $0 != "input_1" }
        let layers = Array(names.prefix(through: names.firstIndex(of: deepest) ?? names.count - 1))
        let input = network.weights.preprocessing.apply(rgb)
        let whole = network.forward(input, outputs: layers).mapValues { ($0.width, $0.channels, Array($0.data)) }
        for tile in grid.tiles {
            let r = tile.region
            var crop = Tensor(height: r.height, width: r.width, channels: 3)
            for y in 0 ..< r.height {
                for x in 0 ..< r.width * 3 { crop.data[y * r.width * 3 + x] = input.data[((r.y0 + y) * input.width + r.x0) * 3 + x] }
            }
            let part = network.forward(crop, outputs: layers).mapValues { ($0.height, $0.width, Array($0.data)) }
            for (index, layer) in layers.enumerated() {
                let (th, tw, t) = part[layer]!, (ww, c, w) = whole[layer]!
                let factor = TileGrid.factor(of: layer, architecture: vgg16)
                let window = grid.window(tile, factor: factor, layerHeight: th, layerWidth: tw)
                for y in window.rows {
                    for x in window.columns {
                        let (ti, wi) = ((y * tw + x) * c, ((y + window.rowOffset) * ww + x + window.columnOffset) * c)
                        if layer.hasSuffix("_pool"), index > 0 {
                            // The 2x2 window of the layer before, in tile and whole-image coordinates.
                            let (_, ptw, pt) = part[layers[index - 1]]!, (pww, _, pw) = whole[layers[index - 1]]!
                            for k in 0 ..< c {
                                let tw4 = [(0, 0), (0, 1), (1, 0), (1, 1)].map { ((2 * y + $0.0) * ptw + 2 * x + $0.1) * c + k }
                                let ww4 = [(0, 0), (0, 1), (1, 0), (1, 1)].map {
                                    ((2 * (y + window.rowOffset) + $0.0) * pww + 2 * (x + window.columnOffset) + $0.1) * c + k
                                }
                                let a = (0 ..< 4).max { pt[tw4[$0]] < pt[tw4[$1]] }!, b = (0 ..< 4).max { pw[ww4[$0]] < pw[ww4[$1]] }!
                                if a != b && pt[tw4[a]] > 0 { return "\(layer) picks different winners at (\(y + window.rowOffset), \(x + window.columnOffset), \(k))" }
                            }
                        } else {
                            for k in 0 ..< c where (t[ti + k] == 0) != (w[wi + k] == 0) {
                                return "\(layer) ReLU differs at (\(y + window.rowOffset), \(x + window.columnOffset), \(k)): \(t[ti + k]) against \(w[wi + k])"
                            }
                        }
                    }
                }
            }
        }
        return nil
    }

    /// Layers up to block3_conv1 (halo 12 px), on 20 tiles of 16 px: most tiles have halos on every side. Both
    /// normalisations.
    func testShallowLayersOnManyTiles() {
        for normalization in [LossNormalization.relative, .gatys] {
            var preset = Preset.builtIn
            preset.normalization = normalization
            preset.contentLayer = "block3_conv1"
            preset.styleLayers = [.init(layer: "block1_conv1", weight: 1), .init(layer: "block2_conv1", weight: 0.5),
                                  .init(layer: "block3_conv1", weight: 2)]
            preset.tvWeight = 0.5
            checkTilesMatchWholeImage(preset: preset, height: 62, width: 77, core: 16, minimumTiles: 20)
        }
    }

    /// The default layers (content block5_conv2, halo 80 px) on 9 tiles, with both convolution paths.
    func testDefaultLayersMatchWholeImage() {
        checkTilesMatchWholeImage(preset: Preset.builtIn, height: 208, width: 240, core: 96, minimumTiles: 9)
        checkTilesMatchWholeImage(preset: Preset.builtIn, height: 208, width: 240, core: 96, minimumTiles: 9, convolution: .winograd)
    }

    /// A content layer shallower than the deepest style layer, and no content term: the other branches of the
    /// per-layer gradient.
    func testStyleOnlyAndShallowContent() {
        var preset = Preset.builtIn
        preset.styleLayers = [.init(layer: "block1_conv1", weight: 1), .init(layer: "block3_conv2", weight: 1)]
        preset.contentLayer = "block2_conv2"
        checkTilesMatchWholeImage(preset: preset, height: 70, width: 64, core: 16, minimumTiles: 16)
        preset.contentWeight = 0
        checkTilesMatchWholeImage(preset: preset, height: 70, width: 64, core: 16, minimumTiles: 16)
    }

    /// The content target from the tiles against the whole image's output, and the same with a halo one
    /// alignment step short of the receptive field, which must differ: the halo is needed, not just sufficient.
    func testHaloIsNecessary() {
        let network = VGGNetwork(weights: .random(architecture: .vgg16, seed: 11))
        let layer = "block3_conv1"
        let x = network.weights.preprocessing.apply(image(64, 80, seed: 5))
        let whole = network.forward(x, outputs: [layer])[layer]!
        let halo = TileGrid.halo(architecture: vgg16, deepestLayer: layer)
        let alignment = TileGrid.alignment(architecture: vgg16, deepestLayer: layer)
        func difference(halo: Int) -> Float {
            let grid = TileGrid(height: 64, width: 80, core: 16, halo: halo, alignment: alignment)
            let tiled = StyleObjective.tiledFeatures(network: network, image: x, grid: grid, layer: layer, scratch: TileScratch())
            XCTAssertTrue(tiled.shape == whole.shape)
            return zip(tiled.data, whole.data).map { abs($0 - $1) }.max()!
        }
        let scale = whole.data.map(abs).max()!
        XCTAssertLessThanOrEqual(difference(halo: halo), 1e-5 * scale)
        XCTAssertGreaterThan(difference(halo: halo - alignment), 1e-3 * scale)
    }
}
