import XCTest
@testable import NeuralCore

/// Seeded random helpers and comparisons shared by the NeuralCore layer tests.
enum TestData {
    /// `(H, W, C)` with entries uniform in `[-scale, scale)`.
    static func tensor(_ h: Int, _ w: Int, _ c: Int, seed: UInt64, scale: Double = 1) -> Tensor {
        var rng = SplitMix64(seed: seed)
        let data = (0 ..< h * w * c).map { _ in Float((2 * rng.nextUniform() - 1) * scale) }
        return Tensor(height: h, width: w, channels: c, data: data)
    }

    /// Random conv weights: He-normal kernel, bias uniform in `[-0.1, 0.1)`.
    static func conv(_ cin: Int, _ cout: Int, seed: UInt64) -> ConvWeights {
        var rng = SplitMix64(seed: seed)
        let std = (2.0 / Double(9 * cin)).squareRoot()
        let kernel = (0 ..< 9 * cin * cout).map { _ in Float(rng.nextNormal() * std) }
        let bias = (0 ..< cout).map { _ in Float(0.2 * rng.nextUniform() - 0.1) }
        return ConvWeights(name: "test_conv", inChannels: cin, outChannels: cout, kernel: kernel, bias: bias)
    }

    /// Largest `|a - b| / (1 + |b|)` and where it is (mixed absolute/relative difference), or
    /// `|a - b| / (1 + max |b|)` when `relativeToMax` (for deep layers, where rounding is
    /// relative to the layer's scale, not to each element).
    static func worstDifference(_ a: [Float], _ b: [Float], relativeToMax: Bool = false) -> (difference: Double, index: Int) {
        precondition(a.count == b.count)
        let peak = b.reduce(0.0) { max($0, abs(Double($1))) }
        var worst = (0.0, -1)
        for i in a.indices {
            let d = abs(Double(a[i]) - Double(b[i])) / (1 + (relativeToMax ? peak : abs(Double(b[i]))))
            if !(d <= worst.0) { worst = (d, i) }
        }
        return worst
    }

    /// `sum(a * b)` in Double.
    static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        precondition(a.count == b.count)
        var s = 0.0
        for i in 0 ..< a.count { s += Double(a.data[i]) * Double(b.data[i]) }
        return s
    }
}

/// Asserts two tensors agree within `tolerance` in `|a - b| / (1 + |b|)` (or `/ (1 + max |b|)`
/// when `relativeToMax`), printing the worst difference.
func assertClose(_ a: Tensor, _ b: Tensor, tolerance: Double, relativeToMax: Bool = false, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.height, b.height, "\(what): height", file: file, line: line)
    XCTAssertEqual(a.width, b.width, "\(what): width", file: file, line: line)
    XCTAssertEqual(a.channels, b.channels, "\(what): channels", file: file, line: line)
    guard a.count == b.count else { return }
    let (worst, at) = TestData.worstDifference(a.data, b.data, relativeToMax: relativeToMax)
    print("\(what): worst difference \(worst) (tolerance \(tolerance))")
    XCTAssertLessThanOrEqual(worst, tolerance,
                             "\(what): worst difference \(worst) at \(at): \(at >= 0 ? a.data[at] : .nan) vs \(at >= 0 ? b.data[at] : .nan)",
                             file: file, line: line)
}
