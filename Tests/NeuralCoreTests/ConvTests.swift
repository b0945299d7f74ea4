import XCTest
@testable import NeuralCore

/// The im2col + GEMM convolution held to the direct 7-loop reference `Conv3x3.naive`
/// (Double accumulation). Tolerance 1e-5 in `|a - b| / (1 + |b|)`: float32 sums of up to
/// 9 * 16 products of O(1) values.
final class ConvTests: XCTestCase {
    /// Shapes covering the edges: one row, one column, odd sizes, Cin = 3 (first layer).
    let shapes: [(h: Int, w: Int, cin: Int, cout: Int)] = [
        (1, 1, 3, 4), (1, 5, 2, 3), (6, 1, 3, 2), (5, 7, 3, 8), (8, 8, 16, 5), (9, 4, 4, 16),
    ]

    func testForwardMatchesNaive() {
        for (n, s) in shapes.enumerated() {
            let x = TestData.tensor(s.h, s.w, s.cin, seed: UInt64(10 + n))
            let weights = TestData.conv(s.cin, s.cout, seed: UInt64(100 + n))
            for relu in [false, true] {
                let fast = Conv3x3.forward(x, weights: weights, relu: relu, workspace: ConvWorkspace())
                let naive = Conv3x3.naive(x, weights: weights, relu: relu)
                assertClose(fast, naive, tolerance: 1e-5, "conv forward \(s) relu=\(relu)")
            }
        }
    }

    /// A tiny scratch limit forces one-row and several-row bands; the result must not change.
    func testForwardBandsMatchNaive() {
        let x = TestData.tensor(11, 6, 5, seed: 3)
        let weights = TestData.conv(5, 7, seed: 4)
        let naive = Conv3x3.naive(x, weights: weights)
        for limit in [4, 4 * 6 * 45 * 2, 4 * 6 * 45 * 4, 1 << 20] {
            let workspace = ConvWorkspace(scratchLimitBytes: limit)
            let fast = Conv3x3.forward(x, weights: weights, workspace: workspace)
            print("scratch limit \(limit) B: band height \(workspace.bandHeight(height: 11, width: 6, inChannels: 5)), scratch \(workspace.scratchBytes) B")
            XCTAssertLessThanOrEqual(workspace.scratchBytes, max(limit, 4 * 6 * 45), "scratch exceeds its bound")
            assertClose(fast, naive, tolerance: 1e-5, "conv forward, scratch limit \(limit)")
        }
    }

    /// The transposed-GEMM + col2im input gradient against the direct scatter `naiveBackward`.
    func testBackwardMatchesNaive() {
        for (n, s) in shapes.enumerated() {
            let dout = TestData.tensor(s.h, s.w, s.cout, seed: UInt64(20 + n))
            let weights = TestData.conv(s.cin, s.cout, seed: UInt64(200 + n))
            for limit in [4, 16 << 20] {
                var din = TestData.tensor(s.h, s.w, s.cin, seed: 99)  // garbage: backward overwrites
                Conv3x3.backward(dout, weights: weights, into: &din, workspace: ConvWorkspace(scratchLimitBytes: limit))
                let naive = Conv3x3.naiveBackward(dout, weights: weights)
                assertClose(din, naive, tolerance: 1e-5, "conv backward \(s), scratch limit \(limit)")
            }
        }
    }

    /// The adjoint identity <conv(x), g> = <x, conv^T(g)> (no bias, no ReLU), an independent
    /// check that backward is the transpose of forward. Relative tolerance 1e-5.
    func testBackwardIsAdjointOfForward() {
        let x = TestData.tensor(7, 9, 6, seed: 5)
        var weights = TestData.conv(6, 10, seed: 6)
        weights.bias = [Float](repeating: 0, count: 10)
        let g = TestData.tensor(7, 9, 10, seed: 7)
        let workspace = ConvWorkspace()
        let y = Conv3x3.forward(x, weights: weights, relu: false, workspace: workspace)
        var dx = Tensor(height: 0, width: 0, channels: 0)
        Conv3x3.backward(g, weights: weights, into: &dx, workspace: workspace)
        let lhs = TestData.dot(y, g), rhs = TestData.dot(x, dx)
        print("adjoint: <conv x, g> = \(lhs), <x, conv^T g> = \(rhs)")
        XCTAssertEqual(lhs, rhs, accuracy: 1e-5 * max(1, abs(lhs)), "adjoint identity off by \(abs(lhs - rhs))")
    }

    /// Large enough that im2col, bias and col2im are split across two workers, with several
    /// bands: the result must equal the naive reference as in the serial case.
    func testParallelPiecesMatchNaive() {
        let x = TestData.tensor(41, 37, 8, seed: 12)
        let weights = TestData.conv(8, 6, seed: 13)
        let dout = TestData.tensor(41, 37, 6, seed: 14)
        for workers in [1, 2, 3] {
            let workspace = ConvWorkspace(scratchLimitBytes: 4 * 37 * 72 * 9, workers: workers)  // 9-row bands
            assertClose(Conv3x3.forward(x, weights: weights, workspace: workspace), Conv3x3.naive(x, weights: weights),
                        tolerance: 1e-5, "conv forward, \(workers) workers")
            var din = Tensor(height: 0, width: 0, channels: 0)
            Conv3x3.backward(dout, weights: weights, into: &din, workspace: workspace)
            assertClose(din, Conv3x3.naiveBackward(dout, weights: weights), tolerance: 1e-5, "conv backward, \(workers) workers")
        }
    }
}
