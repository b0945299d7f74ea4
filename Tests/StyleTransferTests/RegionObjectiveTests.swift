import Imaging
import NeuralCore
@testable import StyleTransfer
import XCTest

/// The guided style term (GuidedGram.swift, StyleObjective+Regions.swift): the guided Gram matrix against a naive
/// loop, the objective's gradient with regions against central finite differences on a small random network, the
/// tiled evaluation against the whole image's, and the masks' splitting, pooling and refusals.
final class RegionObjectiveTests: XCTestCase {
    static func softMask(_ h: Int, _ w: Int, seed: UInt64) -> LayerMask {
        var rng = SplitMix64(seed: seed)
        return LayerMask(height: h, width: w, values: (0 ..< h * w).map { _ in Float(max(0, rng.nextUniform() * 1.4 - 0.4)) })
    }

    /// Left, right and a band "none" in the middle of an (h, w) image, soft by feathering: three shares summing to 1.
    static func threeRegions(_ h: Int, _ w: Int, feather: Double) -> [LayerMask] {
        var image = RGBImage(width: w, height: h)
        for y in 0 ..< h {
            for x in 0 ..< w {
                let v: [UInt8] = x < w * 2 / 5 ? [255, 0, 0] : x < w * 3 / 5 ? [0, 0, 0] : [0, 0, 255]
                for k in 0 ..< 3 { image.pixels[3 * (y * w + x) + k] = v[k] }
            }
        }
        let split = try! RegionMasks(mask: image, colors: [RegionColor(parsing: "red")!, RegionColor(parsing: "blue")!,
                                                           RegionColor(parsing: "black")!], path: "test.png")
        return split.resized(width: w, height: h, feather: feather)
    }

    /// `GuidedGram.accumulate` over a whole output and over a window at an offset (a tile's core) against the naive
    /// sum: relative 1e-5 of the largest entry.
    func testGuidedGramMatchesTheNaiveSum() {
        let (h, w, c) = (9, 13, 5)
        let features = GradientCheck.randomTensor(h, w, c, seed: 3)
        let mask = Self.softMask(h, w, seed: 4)
        var g = [Float](repeating: 0, count: c * c), rows: [Float] = []
        g.withUnsafeMutableBufferPointer {
            GuidedGram.accumulate(features, window: .whole(height: h, width: w), mask: mask, into: $0.baseAddress!, scratch: &rows)
        }
        let naive = GuidedGram.matrixNaive(features, mask: mask)
        let scale = Float(Double(c) * mask.mass)
        let worst = zip(g, naive).map { abs($0 / scale - $1) }.max()!
        XCTAssertLessThan(worst, 1e-5 * naive.map(abs).max()!, "guided Gram, whole: worst difference \(worst)")
        // A window: rows 2..<7, columns 3..<11 of a tile whose output starts at (1, 2) of the whole layer.
        let window = TileGrid.Window(rows: 2 ..< 7, columns: 3 ..< 11, rowOffset: 1, columnOffset: 2)
        let whole = LayerMask(height: h + 1, width: w + 2, values: (0 ..< (h + 1) * (w + 2)).map { _ in 0 })
        var shifted = whole
        var inWindow = LayerMask(height: h, width: w, values: [Float](repeating: 0, count: h * w))
        for y in window.rows { for x in window.columns {
            shifted.values[(y + 1) * (w + 2) + x + 2] = mask.values[y * w + x]
            inWindow.values[y * w + x] = mask.values[y * w + x]
        } }
        var gw = [Float](repeating: 0, count: c * c)
        gw.withUnsafeMutableBufferPointer {
            GuidedGram.accumulate(features, window: window, mask: shifted, into: $0.baseAddress!, scratch: &rows)
        }
        let naiveWindow = GuidedGram.matrixNaive(features, mask: inWindow)
        let scaleWindow = Float(Double(c) * inWindow.mass)
        let worstWindow = zip(gw, naiveWindow).map { abs($0 / scaleWindow - $1) }.max()!
        XCTAssertLessThan(worstWindow, 1e-5 * naiveWindow.map(abs).max()!, "guided Gram, window: worst difference \(worstWindow)")
    }

    func makeObjective(size: Int, normalization: LossNormalization, tileCore: Int? = nil, convolution: ConvAlgorithm = .winograd) -> StyleObjective {
        let preset = StyleObjectiveTests.gradientCheckPreset(normalization)
        let network = VGGNetwork(weights: .random(architecture: .vgg16, seed: 11))
        network.convolution = convolution
        let masks = Self.threeRegions(size, size, feather: 1.5)
        let styleSize = (size + 4, size)
        let styleMask = Self.softMask(styleSize.0, styleSize.1, seed: 9)
        let regions = ScaleRegions(regions: [.init(mask: masks[0], style: 0, weight: 1), .init(mask: masks[1], style: 1, weight: 2),
                                             .init(mask: masks[2], style: nil, weight: 1)],
                                   styleMasks: [styleMask, nil])
        return StyleObjective(network: network, preset: preset, content: StyleObjectiveTests.smoothImage(size, size, seed: 1),
                              styles: [StyleObjectiveTests.smoothImage(styleSize.0, styleSize.1, seed: 2),
                                       StyleObjectiveTests.smoothImage(size, size, seed: 3)],
                              blend: [1, 1], tileCore: tileCore, regions: regions)
    }

    /// Directional derivatives of the whole objective with regions (two styled, one without style, soft edges, a
    /// style mask) against central differences, as `StyleObjectiveTests` checks the plain objective: relative 1e-2.
    func testRegionObjectiveGradientMatchesFiniteDifferences() {
        for normalization in [LossNormalization.gatys, .relative] {
            let size = 20
            let objective = makeObjective(size: size, normalization: normalization)
            let x = StyleObjectiveTests.smoothImage(size, size, seed: 4).data
            var grad = [Float](repeating: 0, count: x.count), scratch = grad
            func f(_ xs: [Float]) -> Double {
                xs.withUnsafeBufferPointer { xb in scratch.withUnsafeMutableBufferPointer { objective.evaluate(xb, gradient: $0) } }
            }
            let f0 = x.withUnsafeBufferPointer { xb in grad.withUnsafeMutableBufferPointer { objective.evaluate(xb, gradient: $0) } }
            XCTAssertTrue(f0.isFinite)
            XCTAssertGreaterThan(objective.lastTerms.style, 0)
            XCTAssertGreaterThan(objective.lastTerms.content, 0)
            let byLayer = objective.lastTerms.styleByLayer.values.reduce(0, +)
            XCTAssertEqual(objective.lastTerms.style, objective.preset.styleWeight * byLayer, accuracy: 1e-9 * objective.lastTerms.style)
            let worst = GradientCheck.worstDirectionalError(x: x, gradient: grad, f: f)
            XCTAssertLessThan(worst, 1e-2, "\(normalization): worst relative error of a directional derivative \(worst)")
        }
    }

    /// The layer's gradient with regions (`LayerLoss.replaceWithGradient` with guided kernels: `Σ_r m_r(p) F_p K_r`)
    /// against central differences of `Σ_r ρ_r ¼ Σ (G_r − A_r)²` computed in Double from the naive guided Gram matrix,
    /// at every coordinate of a small random feature map: relative 1e-3 (floor 1e-4 of the largest entry).
    func testGuidedLayerGradientByCoordinates() {
        let (h, w, c) = (6, 7, 4)
        let features = GradientCheck.randomTensor(h, w, c, seed: 21, scale: 1, offset: 0.5)
        let masks = Self.threeRegions(h, w, feather: 1)
        let weights: [Float] = [1, 0.5]
        // Targets are Gram matrices, symmetric, as the kernel's derivation assumes.
        let ones = LayerMask(height: h, width: w, values: [Float](repeating: 1, count: h * w))
        let targets = [22, 23].map { GuidedGram.matrixNaive(GradientCheck.randomTensor(h, w, c, seed: UInt64($0)), mask: ones) }
        // The guided Gram matrix in Double, so that the differences are not float32 rounding.
        func gram(_ values: [Float], _ mask: LayerMask) -> [Double] {
            var g = [Double](repeating: 0, count: c * c)
            for p in 0 ..< h * w { for i in 0 ..< c { for j in 0 ..< c {
                g[i * c + j] += Double(mask.values[p]) * Double(values[p * c + i]) * Double(values[p * c + j])
            } } }
            return g.map { $0 / (Double(c) * mask.mass) }
        }
        func loss(_ values: [Float]) -> Double {
            var total = 0.0
            for r in 0 ..< 2 {
                let g = gram(values, masks[r])
                total += Double(weights[r]) * 0.25 * zip(g, targets[r]).map { ($0 - Double($1)) * ($0 - Double($1)) }.reduce(0, +)
            }
            return total
        }
        var guided: [GuidedKernel] = []
        for r in 0 ..< 2 {
            var g = GuidedGram.matrixNaive(features, mask: masks[r])
            let n = Float(Double(c) * masks[r].mass)
            _ = g.withUnsafeMutableBufferPointer { LayerLoss.replaceGramWithKernel($0.baseAddress!, target: targets[r], scale: weights[r], n: n) }
            guided.append(GuidedKernel(kernel: g, mask: masks[r]))
        }
        var gradient = features
        // Blocks of 5 positions, so that a block spans rows and the mask is read across a row's end.
        _ = LayerLoss.replaceWithGradient(&gradient, window: .whole(height: h, width: w), kernel: nil, guided: guided,
                                          contentTarget: nil, contentScale: 0, scratch: LayerLossScratch(), blockFloats: 5 * c)
        let gmax = Double(gradient.data.map { abs($0) }.max()!)
        let worst = GradientCheck.worstRelativeError(x: features.data, analytic: gradient.data, samples: h * w * c, h: 1e-2,
                                                     floor: 1e-4 * gmax, f: loss)
        XCTAssertLessThan(worst.error, 1e-3, "guided layer gradient: worst relative error \(worst.error) at \(worst.index)")
    }

    /// Tiles with regions against the whole image with regions (im2col, so that both compute every position by the
    /// same arithmetic): terms within relative 2e-4, the gradient within 1e-4 of its largest entry at every pixel.
    func testTiledRegionsMatchTheWholeImage() {
        for normalization in [LossNormalization.gatys, .relative] {
            let size = 40
            let whole = makeObjective(size: size, normalization: normalization, convolution: .im2col)
            let tiled = makeObjective(size: size, normalization: normalization, tileCore: 16, convolution: .im2col)
            XCTAssertNotNil(tiled.tiles)
            XCTAssertGreaterThan(tiled.tiles!.tiles.count, 1)
            let x = StyleObjectiveTests.smoothImage(size, size, seed: 4).data
            var g1 = [Float](repeating: 0, count: x.count), g2 = g1
            _ = x.withUnsafeBufferPointer { xb in g1.withUnsafeMutableBufferPointer { whole.evaluate(xb, gradient: $0) } }
            _ = x.withUnsafeBufferPointer { xb in g2.withUnsafeMutableBufferPointer { tiled.evaluate(xb, gradient: $0) } }
            for (a, b, name) in [(whole.lastTerms.style, tiled.lastTerms.style, "style"), (whole.lastTerms.content, tiled.lastTerms.content, "content")] {
                XCTAssertEqual(a, b, accuracy: 2e-4 * abs(a), "\(normalization) \(name): whole \(a), tiles \(b)")
            }
            let gmax = g1.map { abs($0) }.max()!
            let worst = zip(g1, g2).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-4 * gmax, "\(normalization): tiled gradient differs by \(worst) (largest entry \(gmax))")
        }
    }

    // MARK: Masks

    /// Pooling mirrors the network's pools (sizes rounded down as MaxPool2x2's) and averages.
    func testPoolingFollowsTheNetworkGrid() {
        let m = LayerMask(height: 5, width: 7, values: (0 ..< 35).map { Float($0) })
        let p = m.pooled()
        XCTAssertEqual(p.height, 2); XCTAssertEqual(p.width, 3)
        XCTAssertEqual(p.values[0], (0 + 1 + 7 + 8) / 4)
        XCTAssertEqual(p.values[5], (18 + 19 + 25 + 26) / 4)
        let shape = VGGNetwork(weights: .random(architecture: .vgg16, seed: 1)).outputShape("block3_conv1", height: 37, width: 50)
        let q = LayerMask(height: 37, width: 50, values: [Float](repeating: 1, count: 37 * 50)).pooled(toFactor: 4)
        XCTAssertEqual([q.height, q.width], [shape.height, shape.width])
    }

    /// Anti-aliased edge pixels go to the nearest region; shares sum to 1 after resizing and feathering.
    func testSplittingResizingAndFeathering() throws {
        // One grey edge column of 120 (0.8% of the pixels, below the 1% that would be refused as an unnamed colour).
        var image = RGBImage(width: 120, height: 4)
        for y in 0 ..< 4 { for x in 0 ..< 120 {
            let v: UInt8 = x < 60 ? 250 : (x == 60 ? 100 : 5)
            for k in 0 ..< 3 { image.pixels[3 * (y * 120 + x) + k] = v }
        } }
        let split = try RegionMasks(mask: image, colors: [RegionColor(parsing: "white")!, RegionColor(parsing: "black")!], path: "m.png")
        XCTAssertEqual(split.shares[0].mass, 240)
        XCTAssertEqual(split.shares[1].mass, 240, "the grey edge column (100) is nearer black")
        let resized = split.resized(width: 20, height: 10, feather: 2)
        for i in 0 ..< 200 { XCTAssertEqual(resized[0].values[i] + resized[1].values[i], 1, accuracy: 1e-5) }
        XCTAssertGreaterThan(resized[0].values[0], 0.99)
        XCTAssertLessThan(resized[0].values[19], 0.01)
        XCTAssertTrue(resized[0].values[9] > 0.1 && resized[0].values[9] < 0.9, "a soft edge")
    }

    /// The refusals: a region colour no pixel is nearest to, and a flat colour of the mask that no region names.
    func testBadMasksAreRefusedWithOneLine() {
        var image = RGBImage(width: 10, height: 10)
        for i in 0 ..< 50 { image.pixels[3 * i] = 255 }           // red top half, black bottom half
        XCTAssertThrowsError(try RegionMasks(mask: image, colors: [RegionColor(parsing: "red")!, RegionColor(parsing: "black")!,
                                                                   RegionColor(parsing: "#00ff00")!], path: "m.png")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("m.png: no pixel has the colour #00ff00"), text)
            XCTAssertFalse(text.contains("\n"))
        }
        XCTAssertThrowsError(try RegionMasks(mask: image, colors: [RegionColor(parsing: "red")!], path: "m.png")) { error in
            XCTAssertTrue("\(error)".hasPrefix("m.png: colour #000000 covers 50% of the mask and no --region names it"), "\(error)")
        }
        XCTAssertNil(RegionColor(parsing: "#12345"))
        XCTAssertNil(RegionColor(parsing: "chartreuse"))
        XCTAssertEqual(RegionColor(parsing: "#F0a")?.description, "#ff00aa")
    }
}
