import XCTest
import CGEMM
@testable import NeuralCore

/// The project's product on kernels stored in column panels (`cgemm_panels`, Sources/CGEMM) and the panel layouts
/// of `WinogradKernel`. The product is held to a sum in Double with the float32 error bound of any summation order:
/// `|c - Σ a b| <= γ_k Σ |a b|`, `γ_k = k u / (1 - k u)`, `u = 2⁻²⁴` (Higham, "Accuracy and Stability of Numerical
/// Algorithms", 3.1). The whole convolutions through it are held to the naive convolution by `WinogradTests`.
final class PanelGEMMTests: XCTestCase {
    func testProductMatchesTheDoubleSumWithinTheFloatBound() throws {
        let width = Int(cgemm_panel_width())
        try XCTSkipIf(width == 0, "this build has no panel product (x86-64 baseline): OpenBLAS computes every product")
        XCTAssertEqual(width, WinogradKernel.buildPanelWidth)
        var rng = SplitMix64(seed: 11)
        // Row counts around the kernel's row blocks (6 and 12), one to three panels, k from 1 to a VGG layer's 512.
        for m in [1, 5, 6, 7, 12, 13, 25, 64] {
            for panels in 1 ... 3 {
                for k in [1, 3, 17, 512] {
                    let n = panels * width, (lda, ldc) = (k + 3, n + 5)
                    let a = (0 ..< m * lda).map { _ in Float(rng.nextUniform() - 0.5) }
                    let b = (0 ..< k * n).map { _ in Float(rng.nextUniform() - 0.5) }
                    var packed = [Float](repeating: 0, count: k * n)
                    for p in 0 ..< k { for j in 0 ..< n { packed[(j / width) * k * width + p * width + j % width] = b[p * n + j] } }
                    let untouched: Float = 12345
                    var c = [Float](repeating: untouched, count: m * ldc)
                    cgemm_panels(Int32(m), Int32(n), Int32(k), a, Int32(lda), packed, &c, Int32(ldc))
                    let u = 0x1p-24, gamma = Double(k) * u / (1 - Double(k) * u)
                    for i in 0 ..< m {
                        for j in 0 ..< n {
                            var (sum, magnitude) = (0.0, 0.0)
                            for p in 0 ..< k {
                                let t = Double(a[i * lda + p]) * Double(b[p * n + j])
                                sum += t
                                magnitude += abs(t)
                            }
                            XCTAssertLessThanOrEqual(abs(Double(c[i * ldc + j]) - sum), gamma * magnitude,
                                                     "m \(m) n \(n) k \(k) at (\(i), \(j))")
                        }
                        for j in n ..< ldc { XCTAssertEqual(c[i * ldc + j], untouched, "written beyond column \(n)") }
                    }
                }
            }
        }
    }

    /// A backward kernel transformed from the weights (the network's, through its kernel cache) holds the same
    /// values in the same places as a forward kernel copied into the backward layout (`WinogradKernel.backward`,
    /// what direct callers get): the two are made by different loops, one element at a time in the same arithmetic.
    func testBackwardKernelMatchesTheForwardOneRepacked() {
        for (n, (cin, cout)) in [(32, 64), (64, 32), (24, 32), (32, 24), (16, 48), (3, 64), (9, 5)].enumerated() {
            let weights = TestData.conv(cin, cout, seed: UInt64(700 + n))
            let direct = WinogradKernel(weights, direction: .backward)
            let repacked = WinogradKernel(weights).backward
            XCTAssertEqual(direct.direction, .backward)
            XCTAssertEqual(repacked.direction, .backward)
            XCTAssertEqual(direct.panelWidth, repacked.panelWidth, "\(cin) -> \(cout)")
            XCTAssertEqual(direct.transposed, repacked.transposed, "\(cin) -> \(cout)")
            XCTAssertEqual(direct.inChannels, cout)
            XCTAssertEqual(direct.outChannels, cin)
            let count = WinogradKernel.positions * cin * cout
            let differing = (0 ..< count).filter { direct.u[$0] != repacked.u[$0] }.count
            XCTAssertEqual(differing, 0, "\(cin) -> \(cout): \(differing) of \(count) values differ")
            let width = WinogradKernel.buildPanelWidth
            XCTAssertEqual(direct.panelWidth, width > 0 && cin % width == 0 ? width : 0, "\(cin) -> \(cout)")
        }
    }
}
