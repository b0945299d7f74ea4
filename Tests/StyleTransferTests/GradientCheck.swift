import NeuralCore
@testable import StyleTransfer
import XCTest

/// Central finite differences, the reference for every hand-written gradient here.
enum GradientCheck {
    /// Directional derivatives `(f(x + h v) − f(x − h v)) / 2h` against `g · v` for `directions` directions `v`
    /// mixing the gradient itself (normalised) with seeded noise: a purely random direction is nearly orthogonal to
    /// g, so its derivative drowns in float32 rounding.
    /// - Returns: the worst relative error `|numeric − analytic| / |analytic|`.
    static func worstDirectionalError(x: [Float], gradient: [Float], directions: Int = 3, h: Float = 0.03,
                                      seed: UInt64 = 99, f: ([Float]) -> Double) -> Double {
        var rng = SplitMix64(seed: seed)
        var worst = 0.0
        for _ in 0 ..< directions {
            let gmax = gradient.map { abs($0) }.max()!
            let v = gradient.map { $0 / gmax + 0.5 * Float(rng.nextNormal()) }
            let numeric = (f(zip(x, v).map { $0 + h * $1 }) - f(zip(x, v).map { $0 - h * $1 })) / Double(2 * h)
            let analytic = zip(gradient, v).map { Double($0) * Double($1) }.reduce(0, +)
            worst = max(worst, abs(numeric - analytic) / abs(analytic))
        }
        return worst
    }

    /// Compares `analytic` with `(f(x + h e_i) − f(x − h e_i)) / 2h` at `samples` random coordinates.
    /// - Returns: the worst relative error `|a − n| / max(|a|, |n|, floor)`.
    static func worstRelativeError(x: [Float], analytic: [Float], samples: Int, h: Float, floor: Double,
                                   seed: UInt64 = 7, f: ([Float]) -> Double) -> (error: Double, index: Int) {
        var rng = SplitMix64(seed: seed)
        var worst = (error: 0.0, index: -1)
        let indices = x.count <= samples ? Array(0..<x.count) : (0..<samples).map { _ in Int(rng.next() % UInt64(x.count)) }
        for i in indices {
            var xp = x, xm = x
            xp[i] += h
            xm[i] -= h
            let numeric = (f(xp) - f(xm)) / Double(2 * h)
            let a = Double(analytic[i])
            let err = abs(a - numeric) / max(abs(a), abs(numeric), floor)
            if err > worst.error { worst = (err, i) }
        }
        return worst
    }

    static func randomTensor(_ h: Int, _ w: Int, _ c: Int, seed: UInt64, scale: Double = 1, offset: Double = 0) -> Tensor {
        var rng = SplitMix64(seed: seed)
        var t = Tensor(height: h, width: w, channels: c)
        for i in 0..<t.count { t.data[i] = Float(offset + scale * rng.nextNormal()) }
        return t
    }
}

/// A small objective for the terms added after the network's (temporal, colour): 12x12 smooth images on random VGG16
/// weights, content at block2_conv2, style at block1_conv1 and block2_conv1, and a picture to evaluate it at.
struct PixelTermFixture {
    static let size = 12
    let objective: StyleObjective
    let x: Tensor

    /// - Parameter configure: sets the term's weight on the preset.
    init(_ configure: (inout Preset) -> Void) {
        var preset = Preset.builtIn
        preset.contentLayer = "block2_conv2"
        preset.styleLayers = [.init(layer: "block1_conv1", weight: 1), .init(layer: "block2_conv1", weight: 1)]
        configure(&preset)
        let size = Self.size
        let network = VGGNetwork(weights: .random(architecture: .vgg16, seed: 11))
        network.convolution = .winograd   // the Winograd gradients, as on large images (auto at this size: im2col)
        objective = StyleObjective(network: network, preset: preset, content: StyleObjectiveTests.smoothImage(size, size, seed: 1),
                                   styles: [StyleObjectiveTests.smoothImage(size, size, seed: 2)], blend: [1])
        x = StyleObjectiveTests.smoothImage(size, size, seed: 5)
    }

    /// The objective at `x`: its value, its terms and its gradient.
    func evaluate() -> (value: Double, terms: LossTerms, gradient: [Float]) {
        var g = [Float](repeating: 0, count: x.count)
        let v = x.data.withUnsafeBufferPointer { xb in g.withUnsafeMutableBufferPointer { objective.evaluate(xb, gradient: $0) } }
        return (v, objective.lastTerms, g)
    }
}

extension PixelTermFixture {
    /// Checks that a term is added after the others: before `attach` the term is 0; after it, the term is
    /// `expected` (relative 1e-6), the total the one before plus it, the content and style terms unchanged, and the
    /// gradient the one before plus the term's own (`alone` adds it into a zero buffer), within `bound` of the
    /// term's largest gradient entry.
    func checkAddsTerm(_ name: String, attach: (StyleObjective) -> Void, term: (LossTerms) -> Double, expected: (Tensor) -> Double,
                       alone: (_ x: UnsafePointer<Float>, _ gradient: UnsafeMutablePointer<Float>) -> Void, bound: Float,
                       file: StaticString = #filePath, line: UInt = #line) {
        let before = evaluate()
        XCTAssertEqual(term(before.terms), 0, file: file, line: line)
        attach(objective)
        let after = evaluate()
        let value = expected(x)
        XCTAssertGreaterThan(value, 0, file: file, line: line)
        XCTAssertEqual(term(after.terms), value, accuracy: 1e-6 * value, file: file, line: line)
        XCTAssertEqual(after.value, before.value + value, accuracy: 1e-6 * after.value, file: file, line: line)
        XCTAssertEqual(after.terms.content, before.terms.content, file: file, line: line)
        XCTAssertEqual(after.terms.style, before.terms.style, file: file, line: line)
        var own = [Float](repeating: 0, count: x.count)
        own.withUnsafeMutableBufferPointer { g in x.data.withUnsafeBufferPointer { alone($0.baseAddress!, g.baseAddress!) } }
        let largest = own.map { abs($0) }.max()!
        var worst: Float = 0
        for i in x.data.indices { worst = max(worst, abs(after.gradient[i] - before.gradient[i] - own[i]) / largest) }
        XCTAssertLessThan(worst, bound, "the objective's gradient is the others' plus the \(name) one; worst \(worst)", file: file, line: line)
    }
}
