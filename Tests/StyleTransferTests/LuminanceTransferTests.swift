import Imaging
import NeuralCore
@testable import StyleTransfer
import XCTest

/// Luminance-only transfer (LuminanceTransfer.swift): the picture of the variable against the BT.601 YCbCr formulas
/// evaluated independently here, the gradient of the objective through the variable against central finite
/// differences of that composite function, the tiled evaluation against the whole image's, and a short run whose
/// reported loss is the written picture's.
final class LuminanceTransferTests: XCTestCase {
    func ycbcr(_ r: Double, _ g: Double, _ b: Double) -> (Double, Double, Double) {
        (0.299 * r + 0.587 * g + 0.114 * b, 128 - 0.168736 * r - 0.331264 * g + 0.5 * b, 128 + 0.5 * r - 0.418688 * g - 0.081312 * b)
    }

    /// A photo with saturated corners (pure red, blue, white, black) besides smooth colours.
    func photo(_ size: Int) -> Tensor {
        var t = StyleObjectiveTests.smoothImage(size, size, seed: 1)
        for i in 0 ..< t.count { t.data[i] = min(max(t.data[i].rounded(), 0), 255) }
        for (p, v) in [(0, [255, 0, 0]), (1, [0, 0, 255]), (2, [255, 255, 255]), (3, [0, 0, 0])] as [(Int, [Float])] {
            for c in 0 ..< 3 { t.data[3 * p + c] = v[c] }
        }
        return t
    }

    /// At t = 0, 255 and random values: every channel inside 0...255 (to float rounding), the photo's Cb and Cr, and
    /// the luma that t asks for; at the variable of the photo itself, the photo.
    func testPictureKeepsTheChromaAndStaysInTheBox() {
        let size = 12
        let photo = photo(size)
        let variable = LuminanceVariable(photo: photo)
        var rng = SplitMix64(seed: 5)
        for fill in [0.0, 255.0, -1] {
            let t = (0 ..< size * size).map { _ in Float(fill >= 0 ? fill : rng.nextUniform() * 255) }
            let rgb = variable.rgb(t)
            var worstChroma = 0.0
            for p in 0 ..< size * size {
                let o = ycbcr(Double(rgb.data[3 * p]), Double(rgb.data[3 * p + 1]), Double(rgb.data[3 * p + 2]))
                let c = ycbcr(Double(photo.data[3 * p]), Double(photo.data[3 * p + 1]), Double(photo.data[3 * p + 2]))
                worstChroma = max(worstChroma, abs(o.1 - c.1), abs(o.2 - c.2))
            }
            XCTAssertLessThan(worstChroma, 1e-3, "t = \(fill): the photo's chroma, worst \(worstChroma)")
            let (low, high) = (rgb.data.min()!, rgb.data.max()!)
            XCTAssertTrue(low >= -1e-3 && high <= 255 + 1e-3, "t = \(fill): RGB in \(low)...\(high)")
        }
        // t = 0 puts a channel of every non-flat pixel on 0, t = 255 one on 255: the box is the gamut's, not smaller.
        let bottom = variable.rgb([Float](repeating: 0, count: size * size)), top = variable.rgb([Float](repeating: 255, count: size * size))
        for p in 4 ..< size * size {
            XCTAssertLessThan((0 ..< 3).map { bottom.data[3 * p + $0] }.min()!, 1e-3, "pixel \(p) at t = 0")
            XCTAssertGreaterThan((0 ..< 3).map { top.data[3 * p + $0] }.max()!, 255 - 1e-3, "pixel \(p) at t = 255")
        }
        let back = variable.rgb(variable.variable(of: photo))
        let worst = zip(back.data, photo.data).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1e-3, "the photo's own variable gives the photo; worst \(worst)")
    }

    /// The objective of the picture of t, with its gradient by `pullBack`, against central differences of the
    /// composite `t -> L(rgb(t))` (the reference): directional derivatives on a small random network, both
    /// normalisations, within 1e-2 relative (the bound of the RGB objective's own check, StyleObjectiveTests).
    func testGradientThroughTheLuminanceMatchesFiniteDifferences() {
        for normalization in [LossNormalization.gatys, .relative] {
            let size = 16
            let photo = photo(size)
            let network = VGGNetwork(weights: .random(architecture: .vgg16, seed: 11))
            let styles = [StyleObjectiveTests.smoothImage(size + 4, size, seed: 2)].map { LuminanceVariable.matchedLuminance(of: $0, to: photo) }
            let objective = StyleObjective(network: network, preset: StyleObjectiveTests.gradientCheckPreset(normalization),
                                           content: photo, styles: styles, blend: [1])
            let variable = LuminanceVariable(photo: photo)
            // Away from the photo (content loss 0 there) and inside the box.
            var rng = SplitMix64(seed: 3)
            let t = variable.variable(of: photo).map { min(max($0 + Float(30 * rng.nextNormal()), 10), 245) }
            func evaluate(_ t: [Float]) -> (Double, [Float]) {
                let rgb = variable.rgb(t)
                var dRGB = [Float](repeating: 0, count: rgb.count), dt = [Float](repeating: 0, count: t.count)
                let f = rgb.data.withUnsafeBufferPointer { r in dRGB.withUnsafeMutableBufferPointer { objective.evaluate(r, gradient: $0) } }
                dRGB.withUnsafeBufferPointer { d in dt.withUnsafeMutableBufferPointer { variable.pullBack(d, into: $0) } }
                return (f, dt)
            }
            let (f0, gradient) = evaluate(t)
            XCTAssertTrue(f0.isFinite && f0 > 0)
            XCTAssertGreaterThan(objective.lastTerms.content, 0)
            XCTAssertGreaterThan(objective.lastTerms.style, 0)
            let worst = GradientCheck.worstDirectionalError(x: t, gradient: gradient, f: { evaluate($0).0 })
            XCTAssertLessThan(worst, 1e-2, "\(normalization): worst relative error of a directional derivative \(worst)")
        }
    }

    /// The style's luminance takes the photo's mean and standard deviation (relative 1e-4) and is grey.
    func testStyleLuminanceTakesThePhotosMeanAndDeviation() {
        let photo = photo(20), style = StyleObjectiveTests.smoothImage(24, 30, seed: 9)
        let matched = LuminanceVariable.matchedLuminance(of: style, to: photo)
        func moments(_ t: Tensor) -> (Double, Double) {
            let y = (0 ..< t.height * t.width).map { Double(LuminanceVariable.luma(t.data[3 * $0], t.data[3 * $0 + 1], t.data[3 * $0 + 2])) }
            let mean = y.reduce(0, +) / Double(y.count)
            return (mean, (y.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(y.count)).squareRoot())
        }
        let (m, s) = moments(matched), (mc, sc) = moments(photo)
        XCTAssertEqual(m, mc, accuracy: 1e-4 * mc)
        XCTAssertEqual(s, sc, accuracy: 1e-4 * sc)
        for p in 0 ..< 24 * 30 { XCTAssertEqual(matched.data[3 * p], matched.data[3 * p + 2]) }
    }

    /// Tiles against the whole image through the luminance variable (im2col, the same arithmetic at every position):
    /// terms within relative 2e-4, the gradient of t within 1e-4 of its largest entry.
    func testTiledLuminanceMatchesTheWholeImage() {
        let size = 40
        let photo = photo(size)
        let style = LuminanceVariable.matchedLuminance(of: StyleObjectiveTests.smoothImage(size, size, seed: 2), to: photo)
        let variable = LuminanceVariable(photo: photo)
        var rng = SplitMix64(seed: 8)
        let t = variable.variable(of: photo).map { min(max($0 + Float(30 * rng.nextNormal()), 0), 255) }
        var results: [(LossTerms, [Float])] = []
        for tile in [nil, 16] as [Int?] {
            let network = VGGNetwork(weights: .random(architecture: .vgg16, seed: 11))
            network.convolution = .im2col
            let objective = StyleObjective(network: network, preset: Preset.builtIn, content: photo, styles: [style], blend: [1], tileCore: tile)
            if tile != nil { XCTAssertGreaterThan(objective.tiles?.tiles.count ?? 0, 1) }
            let rgb = variable.rgb(t)
            var dRGB = [Float](repeating: 0, count: rgb.count), dt = [Float](repeating: 0, count: t.count)
            _ = rgb.data.withUnsafeBufferPointer { r in dRGB.withUnsafeMutableBufferPointer { objective.evaluate(r, gradient: $0) } }
            dRGB.withUnsafeBufferPointer { d in dt.withUnsafeMutableBufferPointer { variable.pullBack(d, into: $0) } }
            results.append((objective.lastTerms, dt))
        }
        let (whole, tiled) = (results[0], results[1])
        for (a, b, name) in [(whole.0.style, tiled.0.style, "style"), (whole.0.content, tiled.0.content, "content")] {
            XCTAssertEqual(a, b, accuracy: 2e-4 * abs(a), "\(name): whole \(a), tiles \(b)")
        }
        let gmax = whole.1.map { abs($0) }.max()!
        let worst = zip(whole.1, tiled.1).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1e-4 * gmax, "tiled gradient of t differs by \(worst) (largest entry \(gmax))")
    }

    /// A short two-scale run with the photo's colours: the written picture has the photo's chroma (within 8-bit
    /// rounding, 1 level) and the run's reported loss is that picture's, evaluated afresh at the last scale (relative
    /// 1e-2: the file is rounded to 8 bits, the iterate is not).
    func testRunReportsTheWrittenPicturesLoss() {
        let size = 32
        var contentTensor = photo(size)
        for i in 0 ..< contentTensor.count { contentTensor.data[i] = min(max(contentTensor.data[i], 0), 255) }
        let content = RGBImage(contentTensor), style = RGBImage(StyleObjectiveTests.smoothImage(size, size, seed: 2))
        var preset = Preset.builtIn
        preset.originalColors = true
        preset.scales = [24, 32]
        preset.size = 32
        preset.iterations = 8
        preset.scaleIterations = []
        let network = VGGNetwork(weights: .random(architecture: .vgg16, seed: 11))
        let result = Stylizer.run(network: network, preset: preset, content: content, styles: [style], blend: [1])
        XCTAssertTrue(result.isResult)
        XCTAssertGreaterThan(result.iterations, 2)
        var worstChroma = 0.0
        for p in 0 ..< size * size {
            let o = ycbcr(Double(result.image.pixels[3 * p]), Double(result.image.pixels[3 * p + 1]), Double(result.image.pixels[3 * p + 2]))
            let c = ycbcr(Double(content.pixels[3 * p]), Double(content.pixels[3 * p + 1]), Double(content.pixels[3 * p + 2]))
            worstChroma = max(worstChroma, abs(o.1 - c.1), abs(o.2 - c.2))
        }
        XCTAssertLessThan(worstChroma, 1, "the written picture has the photo's chroma; worst \(worstChroma)")
        let changed = zip(result.image.pixels, content.pixels).map { abs(Int($0) - Int($1)) }.max()!
        XCTAssertGreaterThan(changed, 2, "the luminance was optimised")
        // The reference: a fresh objective at the last scale, with the run's targets, on the written picture.
        let styleTarget = LuminanceVariable.matchedLuminance(of: Tensor(style), to: Tensor(content))
        let fresh = StyleObjective(network: VGGNetwork(weights: .random(architecture: .vgg16, seed: 11)), preset: preset,
                                   content: Tensor(content), styles: [styleTarget], blend: [1])
        let written = Tensor(result.image)
        var g = [Float](repeating: 0, count: written.count)
        let f = written.data.withUnsafeBufferPointer { x in g.withUnsafeMutableBufferPointer { fresh.evaluate(x, gradient: $0) } }
        XCTAssertEqual(result.terms.total, f, accuracy: 1e-2 * f, "reported \(result.terms.total), the written picture's \(f)")
    }
}
