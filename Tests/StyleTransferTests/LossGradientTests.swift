import NeuralCore
@testable import StyleTransfer
import XCTest

/// Every loss term's gradient against central finite differences (reference: GradientCheck),
/// and the fast Gram matrix against its naive triple loop.
final class LossGradientTests: XCTestCase {
    /// Both methods (sgemm, and ssyrk whose lower triangle is mirrored from the upper) against the naive loops on
    /// every entry, so a wrong mirror shows as a difference below the diagonal.
    func testGramMatchesNaiveLoops() {
        let f = GradientCheck.randomTensor(7, 5, 6, seed: 1)
        let naive = Gram.matrixNaive(f)
        for method in Gram.Method.allCases {
            var fast = [Float](repeating: .nan, count: 36)
            f.data.withUnsafeBufferPointer { x in
                fast.withUnsafeMutableBufferPointer { Gram.matrix(x.baseAddress!, rows: 35, channels: 6, scale: 1 / 210, into: $0.baseAddress!, method: method) }
            }
            XCTAssertTrue(fast.allSatisfy(\.isFinite), "Gram \(method) left entries unwritten")
            let worst = zip(fast, naive).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-5, "Gram \(method): worst difference to the naive loops \(worst)")
        }
    }

    /// Tall inputs, where each core sums its own rows (`Gram.rowsPerPart`), odd row counts so the shares differ,
    /// overwritten and accumulated, both methods, against the naive loops (Double sums) within 1e-5 of the largest
    /// entry.
    func testSplitGramMatchesNaiveLoops() {
        let saved = GEMM.threadCount
        GEMM.threadCount = 2  // two shares even on a one-core machine
        defer { GEMM.threadCount = saved }
        for (rows, columns) in [(101, 47), (4097, 1)] {
            let f = GradientCheck.randomTensor(rows, columns, 12, seed: 2)
            let m = rows * columns, n = Float(m * 12)
            XCTAssertGreaterThanOrEqual(m, 2 * Gram.rowsPerPart, "tall enough to be split")
            let naive = Gram.matrixNaive(f)
            let largest = naive.map { abs($0) }.max()!
            for method in Gram.Method.allCases {
                for accumulate in [false, true] {
                    var fast = [Float](repeating: accumulate ? 1 : .nan, count: 144)
                    f.data.withUnsafeBufferPointer { x in
                        fast.withUnsafeMutableBufferPointer {
                            Gram.matrix(x.baseAddress!, rows: m, channels: 12, scale: 1 / n, into: $0.baseAddress!, method: method,
                                        accumulate: accumulate)
                        }
                    }
                    let expected = naive.map { accumulate ? $0 + 1 : $0 }
                    let worst = zip(fast, expected).map { abs($0 - $1) }.max()!
                    XCTAssertLessThanOrEqual(worst, 1e-5 * max(largest, 1), "\(m) rows, \(method), accumulate \(accumulate)")
                }
            }
        }
    }

    /// The fused in-place layer loss against its reference twins `StyleLoss.evaluate` and
    /// `ContentLoss.evaluate` (separate, allocating), for style only, content only and both, with
    /// row blocks smaller than the map and both Gram methods. Tolerance 1e-5 of the largest value.
    func testInPlaceLayerLossMatchesSeparateLosses() {
        let f = GradientCheck.randomTensor(9, 7, 5, seed: 4)
        let p = GradientCheck.randomTensor(9, 7, 5, seed: 5)
        let a = Gram.matrix(GradientCheck.randomTensor(6, 6, 5, seed: 6))
        let (styleScale, contentScale): (Float, Float) = (30, 2)
        let style = StyleLoss.evaluate(f, target: a), content = ContentLoss.evaluate(f, target: p)
        for method in Gram.Method.allCases {
            Gram.method = method
            defer { Gram.method = nil }
            for (useStyle, useContent) in [(true, false), (false, true), (true, true)] {
                var g = f
                let scratch = LayerLossScratch(), n = Float(f.count)
                let styleValue = useStyle ? LayerLoss.replaceScratchWithKernel(of: g, target: a, scale: styleScale, n: n, scratch: scratch) : 0
                let sum = LayerLoss.replaceWithGradient(&g, window: .whole(height: g.height, width: g.width),
                                                        kernel: useStyle ? scratch.gram : nil, contentTarget: useContent ? p : nil,
                                                        contentScale: contentScale / n, scratch: scratch, blockFloats: 4 * 5)
                let terms = (style: styleValue, content: 0.5 * sum / Double(n))
                var expected = [Float](repeating: 0, count: f.count)
                for i in 0 ..< f.count {
                    expected[i] = (useStyle ? styleScale * style.gradient.data[i] : 0) + (useContent ? contentScale * content.gradient.data[i] : 0)
                }
                let scale = expected.map { abs($0) }.max()!
                let worst = zip(g.data, expected).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(worst, 1e-5 * scale, "\(method) style \(useStyle) content \(useContent): worst \(worst)")
                XCTAssertEqual(terms.style, useStyle ? style.value : 0, accuracy: 1e-6 * max(1, style.value))
                XCTAssertEqual(terms.content, useContent ? content.value : 0, accuracy: 1e-6 * max(1, content.value))
            }
        }
    }

    func testContentLossGradient() {
        let p = GradientCheck.randomTensor(4, 5, 3, seed: 2)
        let f = GradientCheck.randomTensor(4, 5, 3, seed: 3)
        let analytic = ContentLoss.evaluate(f, target: p)
        XCTAssertEqual(analytic.value, zip(f.data, p.data).map { Double(($0 - $1) * ($0 - $1)) }.reduce(0, +) / Double(2 * f.count),
                       accuracy: 1e-6, "L_c = Σ(F − P)² / (2 C M)")
        let worst = GradientCheck.worstRelativeError(x: f.data, analytic: analytic.gradient.data, samples: 60, h: 1e-2, floor: 1e-3) {
            ContentLoss.evaluate(Tensor(height: 4, width: 5, channels: 3, data: $0), target: p).value
        }
        XCTAssertLessThan(worst.error, 1e-3, "content gradient: worst relative error \(worst.error) at \(worst.index)")
    }

    func testStyleLossGradient() {
        // Non-negative features, like the post-ReLU activations the style loss sees.
        var f = GradientCheck.randomTensor(5, 4, 6, seed: 4)
        for i in 0..<f.count { f.data[i] = abs(f.data[i]) }
        let other = GradientCheck.randomTensor(6, 3, 6, seed: 5, scale: 1.5)
        let target = Gram.matrix(other)
        let analytic = StyleLoss.evaluate(f, target: target)
        let worst = GradientCheck.worstRelativeError(x: f.data, analytic: analytic.gradient.data, samples: 120, h: 1e-2, floor: 1e-4) {
            StyleLoss.evaluate(Tensor(height: 5, width: 4, channels: 6, data: $0), target: target).value
        }
        XCTAssertLessThan(worst.error, 2e-2, "style gradient: worst relative error \(worst.error) at \(worst.index)")
        XCTAssertEqual(StyleLoss.evaluate(other, target: target).value, 0, accuracy: 1e-9, "E_l vanishes at its own Gram")
    }

    func testTotalVariationGradient() {
        let x = GradientCheck.randomTensor(5, 6, 3, seed: 6, scale: 60, offset: 128)
        let analytic = TotalVariation.evaluate(x)
        let worst = GradientCheck.worstRelativeError(x: x.data, analytic: analytic.gradient.data, samples: 90, h: 0.5, floor: 1e-7) {
            TotalVariation.evaluate(Tensor(height: 5, width: 6, channels: 3, data: $0)).value
        }
        XCTAssertLessThan(worst.error, 1e-3, "TV gradient: worst relative error \(worst.error) at \(worst.index)")
        // A constant image has no variation.
        XCTAssertEqual(TotalVariation.evaluate(Tensor(height: 3, width: 3, channels: 3, data: [Float](repeating: 9, count: 27))).value, 0)
    }
}
