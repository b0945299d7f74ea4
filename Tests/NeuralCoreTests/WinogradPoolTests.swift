import XCTest
@testable import NeuralCore

/// The conv + ReLU + 2x2 max-pool fused into Winograd's output transform, and its backward fused into the input
/// transform, held to the same steps run one after the other: `Conv3x3.winogradForward` (itself held to im2col and
/// the naive convolution in WinogradTests), `MaxPool2x2` and `ReLU.mask`. Both sides run the same transforms on the
/// same values, so they must agree exactly; sizes include odd heights and widths (the pool drops the last row or
/// column) and sizes that are not multiples of the 4x4 tiles.
final class WinogradPoolTests: XCTestCase {
    let shapes: [(h: Int, w: Int, cin: Int, cout: Int)] = [(1, 1, 8, 8), (2, 2, 8, 8), (5, 7, 8, 16), (13, 10, 16, 24), (12, 16, 8, 8), (33, 27, 16, 8)]

    /// Pooled values equal pooling the layer's output; each winner is the pool's winner where the window's maximum
    /// is positive and `WinogradPool.dead` where the ReLU zeroed it.
    func testFusedForwardEqualsConvThenPool() {
        for (n, s) in shapes.enumerated() {
            let r = reference(s, seed: UInt64(80 + n), minimumBlockTiles: 2)  // several blocks per worker
            let (pooled, winners) = fused(r, s)
            XCTAssertEqual(pooled, r.pooled, "pooled values \(s)")
            let expectedWinners = zip(r.pooled.data, r.argmax).map { value, at in value > 0 ? at : WinogradPool.dead }
            XCTAssertEqual(winners, expectedWinners, "winners \(s)")
            if s.h >= 4 && s.w >= 4 {
                XCTAssertTrue(winners.contains(WinogradPool.dead) && winners.contains { $0 < 4 }, "both kinds of window occur \(s)")
            }
        }
    }

    /// A layer's input, weights and kernel, its output by `winogradForward` and that output pooled by `MaxPool2x2`.
    struct Reference {
        let x: Tensor, weights: ConvWeights, kernel: WinogradKernel, workspace: ConvWorkspace
        let y: Tensor, pooled: Tensor, argmax: [UInt8]
    }

    func reference(_ s: (h: Int, w: Int, cin: Int, cout: Int), seed: UInt64, minimumBlockTiles: Int? = nil) -> Reference {
        let x = TestData.tensor(s.h, s.w, s.cin, seed: seed)
        let weights = TestData.conv(s.cin, s.cout, seed: 10 * seed)
        let kernel = WinogradKernel(weights)
        let workspace = ConvWorkspace()
        if let minimumBlockTiles { workspace.winogradMinimumBlockTiles = minimumBlockTiles }
        var y = Tensor(height: 0, width: 0, channels: 0)
        Conv3x3.winogradForward(x, kernel: kernel, bias: weights.bias, relu: true, into: &y, workspace: workspace)
        var pooled = Tensor(height: 0, width: 0, channels: 0)
        var argmax: [UInt8] = []
        MaxPool2x2.forward(y, into: &pooled, argmax: &argmax)
        return Reference(x: x, weights: weights, kernel: kernel, workspace: workspace, y: y, pooled: pooled, argmax: argmax)
    }

    /// The fused forward pass of the reference's layer: pooled values (NaN where unwritten) and winners (99 where
    /// unwritten).
    func fused(_ r: Reference, _ s: (h: Int, w: Int, cin: Int, cout: Int)) -> (Tensor, [UInt8]) {
        var pooled = Tensor(height: s.h / 2, width: s.w / 2, channels: s.cout, data: Array(repeating: .nan, count: s.h / 2 * (s.w / 2) * s.cout))
        var winners = [UInt8](repeating: 99, count: pooled.count)
        r.x.data.withUnsafeBufferPointer { src in
            r.weights.bias.withUnsafeBufferPointer { b in
                pooled.data.withUnsafeMutableBufferPointer { p in
                    winners.withUnsafeMutableBufferPointer { wins in
                        Conv3x3.winogradForwardPooled(src.baseAddress!, height: s.h, width: s.w, kernel: r.kernel, bias: b.baseAddress!,
                                                      relu: true, into: p.baseAddress!, winners: wins.baseAddress!, workspace: r.workspace)
                    }
                }
            }
        }
        return (pooled, winners)
    }

    /// The input gradient from the pooled gradient and the winners equals pool backward, then the ReLU mask, then
    /// the layer's input gradient (`winogradBackward`, held to im2col's and the naive scatter in WinogradTests).
    func testFusedBackwardEqualsPoolThenReLUThenConv() {
        for (n, s) in shapes.enumerated() {
            let r = reference(s, seed: UInt64(90 + n))
            let (kernel, workspace) = (r.kernel, r.workspace)
            let dPooled = TestData.tensor(s.h / 2, s.w / 2, s.cout, seed: UInt64(95 + n))
            // Reference: the three steps one after the other.
            var dy = Tensor(height: 0, width: 0, channels: 0)
            MaxPool2x2.backward(dPooled, argmax: r.argmax, height: s.h, width: s.w, into: &dy)
            ReLU.backward(output: r.y, gradient: &dy)
            var expected = Tensor(height: 0, width: 0, channels: 0)
            Conv3x3.winogradBackward(dy, kernel: kernel, into: &expected, workspace: workspace)
            // Fused: the winners of the fused forward pass.
            let (_, winners) = fused(r, s)
            for accumulate in [false, true] {
                let prior = TestData.tensor(s.h, s.w, s.cin, seed: 7)
                var dx = prior
                dPooled.data.withUnsafeBufferPointer { g in
                    winners.withUnsafeBufferPointer { wins in
                        dx.data.withUnsafeMutableBufferPointer { d in
                            Conv3x3.winogradBackward(pooledGradient: g.baseAddress!, winners: wins.baseAddress!, height: s.h, width: s.w,
                                                     kernel: kernel, accumulate: accumulate, into: d.baseAddress!, workspace: workspace)
                        }
                    }
                }
                let want = accumulate ? Tensor(height: s.h, width: s.w, channels: s.cin, data: zip(prior.data, expected.data).map { $0 + $1 }) : expected
                XCTAssertEqual(dx, want, "fused backward \(s), accumulate \(accumulate)")
            }
        }
    }

    /// The ReLU mask written with the output equals `ReLU.mask` of that output, bit for bit (words filled with ones
    /// first, so that a bit left unwritten shows), and the output is the one written without a mask.
    func testOutputMaskEqualsMaskOfTheOutput() {
        for (n, s) in shapes.enumerated() {
            let r = reference(s, seed: UInt64(70 + n))
            let (x, weights, kernel, plain) = (r.x, r.weights, r.kernel, r.y)
            let count = plain.count
            var expected = [UInt64](repeating: 0, count: ReLU.maskWords(count))
            plain.data.withUnsafeBufferPointer { o in expected.withUnsafeMutableBufferPointer { ReLU.mask(o.baseAddress!, count: count, into: $0.baseAddress!) } }
            var bits = [UInt64](repeating: .max, count: ReLU.maskWords(count))
            var y = Tensor(height: s.h, width: s.w, channels: s.cout)
            x.data.withUnsafeBufferPointer { src in
                weights.bias.withUnsafeBufferPointer { b in
                    y.data.withUnsafeMutableBufferPointer { d in
                        bits.withUnsafeMutableBufferPointer { m in
                            Conv3x3.winogradForward(src.baseAddress!, height: s.h, width: s.w, kernel: kernel, bias: b.baseAddress!, relu: true,
                                                    outputMask: m.baseAddress!, into: d.baseAddress!, workspace: ConvWorkspace())
                        }
                    }
                }
            }
            XCTAssertEqual(y, plain, "output \(s)")
            // Bits past the last element are not part of the mask.
            if count % 64 != 0 { bits[bits.count - 1] &= (1 << UInt64(count % 64)) - 1 }
            XCTAssertEqual(bits, expected, "mask \(s)")
            XCTAssertTrue(expected.contains { $0 != 0 } && expected.contains { $0 != .max }, "both kinds of bit occur \(s)")
        }
    }

    /// `accumulate` adds the input gradient to what the buffer held, on both convolution paths.
    func testAccumulatingInputGradient() {
        let (h, w, cin, cout) = (9, 14, 16, 24)
        let dy = TestData.tensor(h, w, cout, seed: 11)
        let weights = TestData.conv(cin, cout, seed: 12)
        let prior = TestData.tensor(h, w, cin, seed: 13)
        var plain = Tensor(height: 0, width: 0, channels: 0), plainIm2col = plain
        Conv3x3.winogradBackward(dy, kernel: WinogradKernel(weights), into: &plain, workspace: ConvWorkspace())
        Conv3x3.backward(dy, weights: weights, into: &plainIm2col, workspace: ConvWorkspace())
        var winograd = prior, im2col = prior
        dy.data.withUnsafeBufferPointer { g in
            winograd.data.withUnsafeMutableBufferPointer { d in
                Conv3x3.winogradBackward(g.baseAddress!, height: h, width: w, kernel: WinogradKernel(weights), accumulate: true,
                                         into: d.baseAddress!, workspace: ConvWorkspace())
            }
            im2col.data.withUnsafeMutableBufferPointer { d in
                Conv3x3.backward(g.baseAddress!, height: h, width: w, weights: weights, accumulate: true, into: d.baseAddress!,
                                 workspace: ConvWorkspace())
            }
        }
        XCTAssertEqual(winograd.data, zip(prior.data, plain.data).map { $0 + $1 }, "Winograd: prior + gradient")
        // col2im adds band by band onto the prior values, so the sums are rounded in another order.
        for (i, (a, b)) in zip(im2col.data, zip(prior.data, plainIm2col.data).map { $0 + $1 }).enumerated() {
            XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "im2col at \(i)")
        }
    }
}

/// The network with and without the fused pools (`VGGNetwork.fusesPools`), the unfused network being the steps
/// of the reference above: the same outputs and the same input gradient, with losses at layers that make the
/// backward pass add into a loss's gradient (block2_conv1 after the fused block1_conv2 + block1_pool).
final class VGGNetworkFusedPoolTests: XCTestCase {
    func testFusedPoolsChangeNothing() {
        let weights = VGGWeights.random(architecture: .vgg19, seed: 21)
        let x = TestData.tensor(37, 30, 3, seed: 22, scale: 50)
        let layers = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1"]
        var results: [(outputs: [String: Tensor], gradient: Tensor)] = []
        for fuses in [false, true] {
            let network = VGGNetwork(weights: weights)
            network.convolution = .winograd   // every pool after a Winograd layer (auto: block2 on im2col at this size)
            network.fusesPools = fuses
            let outputs = network.forward(x, outputs: layers).mapValues { Tensor(height: $0.height, width: $0.width, channels: $0.channels, data: Array($0.data)) }
            let gradient = network.gradient(x, at: layers) { name, features in
                // d(loss)/d(features) = the features times a layer-dependent factor: a loss of ½ k Σ F².
                let k = Float(layers.firstIndex(of: name)! + 1)
                for i in features.data.indices { features.data[i] *= k }
            }
            results.append((outputs, gradient))
        }
        for name in layers { XCTAssertEqual(results[1].outputs[name], results[0].outputs[name], name) }
        let scale = results[0].gradient.data.map { abs($0) }.max()!
        XCTAssertGreaterThan(scale, 0)
        let worst = zip(results[1].gradient.data, results[0].gradient.data).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(worst, 1e-6 * scale, "fused against unfused gradient")
    }
}
