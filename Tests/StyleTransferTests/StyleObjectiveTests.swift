import Imaging
import NeuralCore
@testable import StyleTransfer
import XCTest

/// The whole objective (preprocessing, VGG forward and backward, all three terms) against central
/// finite differences on a small random network, and L-BFGS on that objective.
final class StyleObjectiveTests: XCTestCase {
    static func smoothImage(_ h: Int, _ w: Int, seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        let a = rng.nextUniform() * 6, b = rng.nextUniform() * 6
        var t = Tensor(height: h, width: w, channels: 3)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 {
                    let v = 128 + 80 * sin(a * Double(x) / Double(w) + Double(c)) * cos(b * Double(y) / Double(h)) + 20 * rng.nextNormal()
                    t[y, x, c] = Float(v)
                }
            }
        }
        return t
    }

    func makeObjective(size: Int, preset: Preset) -> StyleObjective {
        let network = VGGNetwork(weights: .random(architecture: .vgg16, seed: 11))
        return StyleObjective(network: network, preset: preset, content: Self.smoothImage(size, size, seed: 1),
                              styles: [Self.smoothImage(size + 4, size, seed: 2), Self.smoothImage(size, size, seed: 3)],
                              blend: [0.7, 0.3])
    }

    /// Directional derivatives `(f(x + h v) − f(x − h v)) / 2h` against `g · v` for directions `v` mixing the
    /// gradient itself with seeded noise (a purely random direction is nearly orthogonal to g, so its derivative
    /// drowns in float32 rounding).
    /// Float32 activations and ReLU/max-pool kinks make single-coordinate differences noisy at depth, so the
    /// check uses whole-image directions on layers up to block2 (one pool); the network's own backward pass is
    /// checked layer by layer, against a float64 reference, in NeuralCoreTests.
    func testObjectiveGradientMatchesFiniteDifferences() {
        checkGradientAgainstFiniteDifferences(normalization: .gatys)
    }

    /// The same check with every term relative to its target (the default).
    func testRelativeObjectiveGradientMatchesFiniteDifferences() {
        checkGradientAgainstFiniteDifferences(normalization: .relative)
    }

    /// Relative terms against the formulas computed here from the network's own forward pass and `Gram.matrix`:
    /// `α Σ (F − P)² / Σ P²` and `β w_l Σ (G − A)² / Σ A²`.
    func testRelativeTermsAreTheFormulas() {
        var preset = Preset.builtIn
        preset.normalization = .relative
        preset.contentLayer = "block2_conv2"
        preset.styleLayers = [.init(layer: "block1_conv1", weight: 1), .init(layer: "block2_conv1", weight: 0.5)]
        preset.contentWeight = 2
        preset.styleWeight = 3
        preset.tvWeight = 0
        let size = 16
        let network = VGGNetwork(weights: .random(architecture: .vgg16, seed: 11))
        let content = Self.smoothImage(size, size, seed: 1), style = Self.smoothImage(size, size, seed: 2)
        let objective = StyleObjective(network: network, preset: preset, content: content, styles: [style], blend: [1])
        let x = Self.smoothImage(size, size, seed: 4)
        var grad = [Float](repeating: 0, count: x.count)
        _ = x.data.withUnsafeBufferPointer { xb in grad.withUnsafeMutableBufferPointer { objective.evaluate(xb, gradient: $0) } }
        let pre = network.weights.preprocessing
        let layers = ["block1_conv1", "block2_conv1", "block2_conv2"]
        let fx = network.forward(pre.apply(x), outputs: layers)
        let fc = network.forward(pre.apply(content), outputs: layers)
        let fs = network.forward(pre.apply(style), outputs: layers)
        func squares(_ v: [Float]) -> Double { v.reduce(0) { $0 + Double($1) * Double($1) } }
        let p = fc["block2_conv2"]!.data, f = fx["block2_conv2"]!.data
        let expectedContent = 2 * squares(zip(f, p).map { $0 - $1 }) / squares(p)
        XCTAssertEqual(objective.lastTerms.content, expectedContent, accuracy: 1e-4 * expectedContent)
        var expectedStyle = 0.0
        for (layer, w) in [("block1_conv1", 1.0), ("block2_conv1", 0.5)] {
            let a = Gram.matrix(fs[layer]!), g = Gram.matrix(fx[layer]!)
            let e = w * squares(zip(g, a).map { $0 - $1 }) / squares(a)
            XCTAssertEqual(objective.lastTerms.styleByLayer[layer]!, e, accuracy: 1e-4 * e, layer)
            expectedStyle += 3 * e
        }
        XCTAssertEqual(objective.lastTerms.style, expectedStyle, accuracy: 1e-4 * expectedStyle)
    }

    /// The preset of the finite-difference checks: layers up to block2, and weights that make the three terms'
    /// gradients comparable under either normalisation.
    static func gradientCheckPreset(_ normalization: LossNormalization) -> Preset {
        var preset = Preset.builtIn
        preset.normalization = normalization
        preset.contentLayer = "block2_conv2"
        preset.styleLayers = [.init(layer: "block1_conv1", weight: 1), .init(layer: "block2_conv1", weight: 0.5)]
        preset.styleWeight = normalization == .gatys ? 1e-3 : 1
        preset.contentWeight = normalization == .gatys ? 1e-1 : 1
        preset.tvWeight = normalization == .gatys ? 100 : 1
        return preset
    }

    func checkGradientAgainstFiniteDifferences(normalization: LossNormalization) {
        let preset = Self.gradientCheckPreset(normalization)
        let size = 16
        let objective = makeObjective(size: size, preset: preset)
        let x = Self.smoothImage(size, size, seed: 4).data
        var grad = [Float](repeating: 0, count: x.count)
        var scratch = [Float](repeating: 0, count: x.count)
        func f(_ xs: [Float]) -> Double {
            xs.withUnsafeBufferPointer { xb in scratch.withUnsafeMutableBufferPointer { objective.evaluate(xb, gradient: $0) } }
        }
        let f0 = x.withUnsafeBufferPointer { xb in grad.withUnsafeMutableBufferPointer { objective.evaluate(xb, gradient: $0) } }
        XCTAssertTrue(f0.isFinite && f0 > 0)
        XCTAssertGreaterThan(objective.lastTerms.content, 0)
        XCTAssertGreaterThan(objective.lastTerms.style, 0)
        XCTAssertGreaterThan(objective.lastTerms.tv, 0)
        let worst = GradientCheck.worstDirectionalError(x: x, gradient: grad, f: f)
        XCTAssertLessThan(worst, 1e-2, "objective gradient: worst relative error of a directional derivative \(worst)")
    }

    /// A style image larger than the output (a style scale above 1): once the targets are made, the evaluations
    /// run in buffers planned for the output's size, as the run plan's memory estimate assumes, not in the style
    /// pass's larger ones. Reference: a network that only ever saw the output's size.
    func testEvaluationsDoNotKeepTheStylePassBuffers() {
        let preset = Preset.builtIn
        let network = VGGNetwork(weights: .random(architecture: .vgg16, seed: 11))
        let objective = StyleObjective(network: network, preset: preset, content: Self.smoothImage(32, 32, seed: 1),
                                       styles: [Self.smoothImage(96, 96, seed: 2)], blend: [1])
        let reference = VGGNetwork(weights: .random(architecture: .vgg16, seed: 11))
        let alone = StyleObjective(network: reference, preset: preset, content: Self.smoothImage(32, 32, seed: 1),
                                   styles: [Self.smoothImage(32, 32, seed: 2)], blend: [1])
        let x = Self.smoothImage(32, 32, seed: 4).data
        var g = [Float](repeating: 0, count: x.count)
        for o in [objective, alone] {
            _ = x.withUnsafeBufferPointer { xb in g.withUnsafeMutableBufferPointer { o.evaluate(xb, gradient: $0) } }
        }
        XCTAssertGreaterThan(network.planBytes, 0)
        XCTAssertEqual(network.planBytes, reference.planBytes, "the style pass's 96 px buffers outlived the targets")
    }

    func testLBFGSReducesTheStyleObjective() {
        var preset = Preset.builtIn
        preset.contentLayer = "block2_conv2"
        preset.styleLayers = Preset.defaultStyleLayers.prefix(2).map { .init(layer: $0, weight: 1) }
        preset.styleWeight = 1e-4
        preset.contentWeight = 0  // the style term alone, so that it can fall far
        let objective = makeObjective(size: 24, preset: preset)
        var options = LBFGSOptions()
        options.maxEvaluations = 60
        let x0 = Self.smoothImage(24, 24, seed: 1).data
        var first = 0.0
        var scratch = [Float](repeating: 0, count: x0.count)
        first = x0.withUnsafeBufferPointer { xb in scratch.withUnsafeMutableBufferPointer { objective.evaluate(xb, gradient: $0) } }
        let result = LBFGS(options: options).minimize(x0, objective: { objective.evaluate($0, gradient: $1) })
        print("style objective: \(first) -> \(result.value) in \(result.evaluations) evaluations; \(result.message)")
        XCTAssertLessThanOrEqual(result.evaluations, 60, "the evaluation budget is a hard limit")
        XCTAssertLessThan(result.value, first * 0.2, "60 evaluations should cut the loss 5x at least: \(first) -> \(result.value)")
    }

    /// A coarse-to-fine run: the output has the last scale's size, the reported terms are those of the saved
    /// image (re-evaluated here with a fresh objective), and the history covers both scales.
    func testStylizerReportsTheTermsOfTheSavedImage() {
        var preset = Preset.builtIn
        preset.contentLayer = "block2_conv2"
        preset.styleLayers = Preset.defaultStyleLayers.prefix(2).map { .init(layer: $0, weight: 1) }
        preset.styleWeight = 1e-3
        preset.iterations = 8
        preset.scales = [16, 24]
        let network = VGGNetwork(weights: .random(architecture: .vgg16, seed: 11))
        let content = RGBImage(Self.smoothImage(20, 30, seed: 1)), style = RGBImage(Self.smoothImage(26, 26, seed: 2))
        let result = Stylizer.run(network: network, preset: preset, content: content, styles: [style], blend: [1], seed: 1)
        XCTAssertEqual(result.image.width, 24)
        XCTAssertEqual(result.image.height, 16)
        XCTAssertEqual(Set(result.history.map(\.scaleIndex)), [0, 1])
        XCTAssertLessThanOrEqual(result.evaluations, 16, "8 evaluations per scale")
        let check = StyleObjective(network: network, preset: preset, content: Tensor(content.resized(width: 24, height: 16)),
                                   styles: [Tensor(style.resized(longestEdge: 24))], blend: [1])
        var g = [Float](repeating: 0, count: result.raw.count)
        let f = result.raw.data.withUnsafeBufferPointer { x in g.withUnsafeMutableBufferPointer { check.evaluate(x, gradient: $0) } }
        XCTAssertEqual(result.terms.total, f, accuracy: 1e-6 * max(1, abs(f)), "reported loss must be the saved image's")
    }
}

/// The start of a finer scale. Reference: when the coarser result is the photo at the coarser size, the enlarged
/// result plus the photo's missing detail is the photo at the finer size again (up to the 8-bit photo's rounding
/// inside the detail); without the detail it is the blurred enlargement.
final class FinerStartTests: XCTestCase {
    func testACoarsePhotoStartsTheFinerScaleAsThePhoto() {
        var photo = RGBImage(width: 40, height: 30)
        var rng = SplitMix64(seed: 8)
        for i in 0..<photo.pixels.count { photo.pixels[i] = UInt8(truncatingIfNeeded: Int(128 + 60 * rng.nextNormal()).clamped(0, 255)) }
        let coarse = Tensor(photo.resized(width: 20, height: 15))
        let start = Stylizer.finerStart(coarse, content: photo, contentAtScale: photo)
        XCTAssertEqual(start.width, 40)
        XCTAssertEqual(start.height, 30)
        let worst = zip(start.data, photo.pixels).map { abs($0 - Float($1)) }.max()!
        XCTAssertLessThan(worst, 1e-3, "coarse photo + detail is the photo")
    }
}

private extension Int {
    func clamped(_ lo: Int, _ hi: Int) -> Int { Swift.min(Swift.max(self, lo), hi) }
}
