import XCTest
@testable import NeuralCore
import Imaging
import WeightFiles

/// Winograd F(4x4, 3x3) held to its reference twins: the im2col + GEMM convolution
/// (`Conv3x3.forward` / `Conv3x3.backward`) and the direct 7-loop `Conv3x3.naive` (Double
/// accumulation). Tolerance: `|a - b|` at most 1e-5 of the reference's largest magnitude, the
/// accuracy bar the transforms must meet on VGG layers (their constants reach 8 and 1/24, so a few
/// float32 roundings more than im2col).
final class WinogradTests: XCTestCase {
    /// Edges: sizes not a multiple of 4, single rows and columns, channel counts that are not a
    /// multiple of the 8-wide SIMD chunks, more tiles than one block; and channel counts that are multiples of the
    /// panel widths (16 for AVX2, 32 for AVX-512), in both directions or only one, so that the kernels stored in
    /// panels and the project's product (`cgemm_panels`) take part.
    let shapes: [(h: Int, w: Int, cin: Int, cout: Int)] = [
        (1, 1, 3, 4), (1, 5, 2, 3), (6, 1, 3, 2), (4, 4, 8, 8), (5, 7, 3, 9), (8, 8, 16, 5),
        (9, 4, 12, 16), (13, 18, 17, 11), (33, 29, 9, 24),
        (11, 9, 32, 64), (7, 13, 64, 32), (5, 6, 24, 32), (6, 5, 32, 24), (9, 9, 16, 48),
    ]

    func testForwardMatchesNaiveAndIm2col() {
        for (n, s) in shapes.enumerated() {
            let x = TestData.tensor(s.h, s.w, s.cin, seed: UInt64(30 + n))
            let weights = TestData.conv(s.cin, s.cout, seed: UInt64(300 + n))
            let kernel = WinogradKernel(weights)
            for relu in [false, true] {
                let workspace = ConvWorkspace()
                workspace.winogradMinimumBlockTiles = 3  // several blocks per worker
                var y = Tensor(height: 0, width: 0, channels: 0)
                Conv3x3.winogradForward(x, kernel: kernel, bias: weights.bias, relu: relu, into: &y, workspace: workspace)
                let naive = Conv3x3.naive(x, weights: weights, relu: relu)
                let im2col = Conv3x3.forward(x, weights: weights, relu: relu, workspace: ConvWorkspace())
                assertScaledClose(y, naive, tolerance: 1e-5, "winograd vs naive \(s) relu=\(relu)")
                assertScaledClose(y, im2col, tolerance: 1e-5, "winograd vs im2col \(s) relu=\(relu)")
            }
        }
    }

    /// The input gradient from the layer's kernel transposed on the turned image (`winogradBackward`, what
    /// the network runs; here from the forward kernel, laid out for the backward product by `WinogradKernel.backward`), against the direct scatter `naiveBackward` and the im2col backward, on odd and even sizes;
    /// and with the ReLU mask fused, against masking first.
    func testBackwardFromTheForwardKernel() {
        for (n, s) in shapes.enumerated() {
            let dout = TestData.tensor(s.h, s.w, s.cout, seed: UInt64(60 + n))
            let weights = TestData.conv(s.cin, s.cout, seed: UInt64(600 + n))
            let kernel = WinogradKernel(weights)
            var din = TestData.tensor(s.h, s.w, s.cin, seed: 98)  // garbage: overwritten
            Conv3x3.winogradBackward(dout, kernel: kernel, into: &din, workspace: ConvWorkspace())
            XCTAssertEqual(din.shape.channels, s.cin)
            var im2col = Tensor(height: 0, width: 0, channels: 0)
            Conv3x3.backward(dout, weights: weights, into: &im2col, workspace: ConvWorkspace())
            assertScaledClose(din, Conv3x3.naiveBackward(dout, weights: weights), tolerance: 1e-5, "backward vs naive \(s)")
            assertScaledClose(din, im2col, tolerance: 1e-5, "backward vs im2col backward \(s)")
        }
        let (h, w, cin, cout) = (13, 10, 16, 24)
        let dy = TestData.tensor(h, w, cout, seed: 70)
        let output = Tensor(height: h, width: w, channels: cout, data: TestData.tensor(h, w, cout, seed: 71).data.map { max($0, 0) })
        let weights = TestData.conv(cin, cout, seed: 72)
        var bits = [UInt64](repeating: 0, count: ReLU.maskWords(dy.count))
        output.data.withUnsafeBufferPointer { o in bits.withUnsafeMutableBufferPointer { ReLU.mask(o.baseAddress!, count: dy.count, into: $0.baseAddress!) } }
        var masked = dy
        ReLU.backward(output: output, gradient: &masked)
        let expected = Conv3x3.naiveBackward(masked, weights: weights)
        var fused = Tensor(height: h, width: w, channels: cin)
        dy.data.withUnsafeBufferPointer { src in
            bits.withUnsafeBufferPointer { m in
                fused.data.withUnsafeMutableBufferPointer { d in
                    Conv3x3.winogradBackward(src.baseAddress!, height: h, width: w, kernel: WinogradKernel(weights),
                                             inputMask: m.baseAddress!, into: d.baseAddress!, workspace: ConvWorkspace())
                }
            }
        }
        assertScaledClose(fused, expected, tolerance: 1e-5, "fused mask, turned image")
    }

    /// The fused input mask (the ReLU backward of the layer above) against masking first, then convolving.
    func testFusedInputMaskEqualsMaskingFirst() {
        let (h, w, cin, cout) = (11, 13, 24, 8)
        let x = TestData.tensor(h, w, cin, seed: 50)
        let relued = Tensor(height: h, width: w, channels: cin, data: TestData.tensor(h, w, cin, seed: 51).data.map { max($0, 0) })
        let weights = TestData.conv(cin, cout, seed: 52)
        let kernel = WinogradKernel(weights)
        var bits = [UInt64](repeating: 0, count: ReLU.maskWords(x.count))
        relued.data.withUnsafeBufferPointer { o in bits.withUnsafeMutableBufferPointer { ReLU.mask(o.baseAddress!, count: x.count, into: $0.baseAddress!) } }
        var masked = x
        ReLU.backward(output: relued, gradient: &masked)
        var expected = Tensor(height: 0, width: 0, channels: 0)
        Conv3x3.winogradForward(masked, kernel: kernel, bias: nil, relu: false, into: &expected, workspace: ConvWorkspace())
        var fused = Tensor(height: h, width: w, channels: cout)
        x.data.withUnsafeBufferPointer { src in
            bits.withUnsafeBufferPointer { m in
                fused.data.withUnsafeMutableBufferPointer { d in
                    Conv3x3.winogradForward(src.baseAddress!, height: h, width: w, kernel: kernel, bias: nil, relu: false,
                                            inputMask: m.baseAddress!, into: d.baseAddress!, workspace: ConvWorkspace())
                }
            }
        }
        XCTAssertEqual(fused, expected, "a fused mask reads exactly the masked input")
    }

    /// One, two and three workers, with blocks smaller than a worker's share: same result.
    func testWorkersAndBlocksAgree() {
        let x = TestData.tensor(37, 41, 16, seed: 5)
        let weights = TestData.conv(16, 24, seed: 6)
        let kernel = WinogradKernel(weights)
        let naive = Conv3x3.naive(x, weights: weights)
        for workers in [1, 2, 3] {
            for minimumTiles in [1, 7, 1000] {
                let workspace = ConvWorkspace(workers: workers)
                workspace.winogradBlockBytes = 1
                workspace.winogradMinimumBlockTiles = minimumTiles
                var y = Tensor(height: 0, width: 0, channels: 0)
                Conv3x3.winogradForward(x, kernel: kernel, bias: weights.bias, relu: true, into: &y, workspace: workspace)
                assertScaledClose(y, naive, tolerance: 1e-5, "\(workers) workers, blocks of at least \(minimumTiles) tiles")
            }
        }
    }

    /// Workers take blocks as they finish: every chunk runs exactly once, on a worker numbered below the parts asked
    /// for, also when a worker is held up (chunk 0 sleeps while the others take the rest; Dispatch may also run the
    /// workers one after the other, so which worker takes a chunk is not asserted).
    func testChunksRunOnceEachAcrossWorkers() {
        for (chunks, parts) in [(0, 2), (1, 2), (7, 1), (9, 2), (40, 3), (5, 8)] {
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(1, chunks))
            let workers = UnsafeMutablePointer<Int>.allocate(capacity: max(1, chunks))
            counts.initialize(repeating: 0, count: max(1, chunks))
            defer { counts.deallocate(); workers.deallocate() }
            nonisolated(unsafe) let (c, w) = (counts, workers)
            parallelForChunks(chunks, parts: parts) { worker, chunk in
                if chunk == 0 && chunks > 2 { usleep(20_000) }
                c[chunk] += 1
                w[chunk] = worker
            }
            for chunk in 0 ..< chunks {
                XCTAssertEqual(counts[chunk], 1, "\(chunks) chunks on \(parts) parts: chunk \(chunk)")
                XCTAssertTrue((0 ..< max(1, min(parts, chunks))).contains(workers[chunk]), "worker \(workers[chunk])")
            }
        }
    }

    /// The default block is one core's L2 cache, within 1...4 MiB, and 4 MiB where the system reports no L2 size; a
    /// workspace starts with the rule applied to this machine's cache.
    func testBlockFollowsTheLevelTwoCache() {
        let mib = 1 << 20
        XCTAssertEqual(ConvWorkspace.blockBytes(levelTwoCache: nil), 4 * mib)
        XCTAssertEqual(ConvWorkspace.blockBytes(levelTwoCache: 256 << 10), mib)
        XCTAssertEqual(ConvWorkspace.blockBytes(levelTwoCache: mib), mib)
        XCTAssertEqual(ConvWorkspace.blockBytes(levelTwoCache: 2 * mib), 2 * mib)
        XCTAssertEqual(ConvWorkspace.blockBytes(levelTwoCache: 32 * mib), 4 * mib)
        XCTAssertEqual(ConvWorkspace().winogradBlockBytes,
                       ConvWorkspace.blockBytes(levelTwoCache: ConvWorkspace.levelTwoCacheBytes))
    }

    /// `max |a - b| <= tolerance * max |b|`, printing the worst difference.
    func assertScaledClose(_ a: Tensor, _ b: Tensor, tolerance: Double, _ message: String,
                           file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape.height, b.shape.height, message, file: file, line: line)
        XCTAssertEqual(a.shape.width, b.shape.width, message, file: file, line: line)
        XCTAssertEqual(a.shape.channels, b.shape.channels, message, file: file, line: line)
        guard a.count == b.count else { return }
        let scale = Double(b.data.map { abs($0) }.max() ?? 0)
        let worst = zip(a.data, b.data).map { Double(abs($0 - $1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance * max(scale, 1e-30),
                                 "\(message): worst |diff| \(worst) against largest magnitude \(scale)", file: file, line: line)
    }
}

/// The accuracy bar on real data: every Winograd layer of the bundled VGG16 on `starry_night.jpg`
/// (224x224, preprocessed), each fed the same im2col input so that errors do not compound, within
/// 1e-5 of the im2col output relative to the layer's largest magnitude; and the input gradient of
/// each layer (the layer's kernel transposed) on a random output gradient, held to im2col's transposed GEMM within
/// 2e-5 (white noise in [-1, 1] as the output gradient has no spatial smoothness at all, the worst
/// case for the transforms' cancellations; measured worst 1.6e-5 at block5_conv1 with OpenBLAS' products, 1.1e-5 with
/// the panel product's sums in runs of 128, 2.3e-5 when it summed all 512 channels in one running sum).
final class WinogradBundledWeightsTests: XCTestCase {
    func testEveryLayerWithinOneInHundredThousand() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let weightsPath = "\(root)/\(WeightsLoader.bundledPath)", imagePath = "\(root)/images/starry_night.jpg"
        guard FileManager.default.fileExists(atPath: weightsPath) else { throw XCTSkip("\(weightsPath) is absent: run scripts/setup") }
        let weights = try WeightsLoader.load(path: weightsPath)
        guard FileManager.default.fileExists(atPath: imagePath) else { throw XCTSkip("\(imagePath) is absent: run scripts/setup") }
        let image = try RGBImage(contentsOf: imagePath).resized(width: 224, height: 224)
        var x = weights.preprocessing.apply(Tensor(height: 224, width: 224, channels: 3, data: image.pixels.map { Float($0) }))
        let workspace = ConvWorkspace()
        var worstForward = 0.0, worstBackward = 0.0
        for (name, step) in weights.architecture.steps {
            switch step {
            case .conv(let c):
                let w = weights.convolutions[c]
                let reference = Conv3x3.forward(x, weights: w, workspace: workspace)
                if w.inChannels >= ConvAlgorithm.winogradMinimumInChannels {
                    var y = Tensor(height: 0, width: 0, channels: 0)
                    Conv3x3.winogradForward(x, kernel: WinogradKernel(w), bias: w.bias, relu: true, into: &y, workspace: workspace)
                    let error = Self.relativeError(y, reference)
                    worstForward = max(worstForward, error)
                    XCTAssertLessThanOrEqual(error, 1e-5, "\(name) forward")
                    let dout = TestData.tensor(x.height, x.width, w.outChannels, seed: UInt64(c))
                    var din = Tensor(height: 0, width: 0, channels: 0), dinReference = din
                    Conv3x3.winogradBackward(dout, kernel: WinogradKernel(w), into: &din, workspace: workspace)
                    Conv3x3.backward(dout, weights: w, into: &dinReference, workspace: workspace)
                    let backError = Self.relativeError(din, dinReference)
                    worstBackward = max(worstBackward, backError)
                    XCTAssertLessThanOrEqual(backError, 2e-5, "\(name) input gradient")
                }
                x = reference
            case .pool:
                var argmax: [UInt8] = []
                var y = Tensor(height: 0, width: 0, channels: 0)
                MaxPool2x2.forward(x, into: &y, argmax: &argmax)
                x = y
            }
        }
        print("Winograd on bundled VGG16, starry_night 224: worst forward \(worstForward), worst input gradient \(worstBackward) of the layer's magnitude")
    }

    /// max |a - b| / max |b|.
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
        let scale = Double(b.data.map { abs($0) }.max() ?? 0)
        let worst = zip(a.data, b.data).map { Double(abs($0 - $1)) }.max() ?? 0
        return worst / max(scale, 1e-30)
    }
}
