import Foundation
import NeuralCore
@testable import WeightFiles
import XCTest

/// Each weight format read into `VGGWeights`, and each kind of bad file giving one clear line.
/// References: the pattern formulas the fixture script wrote (make_keras_reference.py), values h5py reads
/// from the bundled file, and safetensors files whose values the test defines in torch's (Cout, Cin, 3, 3) order.
final class WeightsFormatTests: XCTestCase {
    typealias S = WeightsTestSupport

    /// Every kernel and bias equals the legacy pattern of its convolution index.
    private func assertLegacyPattern(_ weights: VGGWeights, file: StaticString = #filePath, line: UInt = #line) {
        var worst: Float = 0
        for (l, conv) in weights.convolutions.enumerated() {
            XCTAssertEqual(conv.name, weights.architecture.convolutions[l].name, file: file, line: line)
            for (i, v) in conv.kernel.enumerated() { worst = max(worst, abs(v - S.legacyKernel(l, i))) }
            for (j, v) in conv.bias.enumerated() { worst = max(worst, abs(v - S.legacyBias(l, j))) }
        }
        XCTAssertEqual(worst, 0, "worst difference from the pattern: \(worst)", file: file, line: line)
    }

    func testKerasLegacyVGG19WithTopIgnoresDenseLayers() throws {
        let weights = try WeightsLoader.load(path: S.fixture("legacy_vgg19_pattern_kernels.h5"))
        XCTAssertEqual(weights.architecture, .vgg19)  // deduced from block3_conv4
        XCTAssertEqual(weights.preprocessing, .caffe)
        XCTAssertEqual(weights.convolutions.count, 16)
        XCTAssertTrue(weights.source.hasSuffix("(Keras HDF5, VGG19)"), weights.source)
        assertLegacyPattern(weights)
    }

    func testKerasLegacyOldWeightNames() throws {
        let weights = try WeightsLoader.load(path: S.fixture("legacy_vgg16_pattern_oldnames.h5"))
        XCTAssertEqual(weights.architecture, .vgg16)
        assertLegacyPattern(weights)
    }

    func testKerasFullModelFileWithVariableLengthNames() throws {
        let weights = try WeightsLoader.load(path: S.fixture("legacy_vgg16_pattern_model.h5"))
        XCTAssertEqual(weights.architecture, .vgg16)
        XCTAssertTrue(weights.source.hasSuffix("(Keras HDF5 model, VGG16)"), weights.source)
        assertLegacyPattern(weights)
    }

    func testKeras3BundledHED() throws {
        let path = try S.requireHed()
        let start = Date()
        let weights = try WeightsLoader.load(path: path)
        let seconds = Date().timeIntervalSince(start)
        print("loaded \(weights.source) in \(String(format: "%.3f", seconds)) s")
        XCTAssertEqual(weights.architecture, .vgg16)
        XCTAssertEqual(weights.preprocessing, .caffe)
        XCTAssertEqual(weights.convolutions.map(\.name), VGGArchitecture.vgg16.convolutions.map(\.name))
        // h5py: f['block1/layers/conv2d/vars/0'][0,0,0,:3], f['block5/layers/conv2d_2/vars/0'][2,1,511,509:],
        //       f['block5/layers/conv2d_2/vars/1'][-2:]
        XCTAssertEqual(Array(weights.convolutions[0].kernel[0..<3]), [0.38976404070854187, 0.05395623296499252, 0.032314151525497437])
        let last = weights.convolutions[12]
        let at = ((2 * 3 + 1) * 512 + 511) * 512
        XCTAssertEqual(Array(last.kernel[(at + 509)..<(at + 512)]), [-0.007327838335186243, -0.0032925389241427183, -0.014267604798078537])
        XCTAssertEqual(Array(last.bias.suffix(2)), [0.8319923877716064, -0.022572141140699387])
        XCTAssertLessThan(seconds, 2, "58 MB should load well under a second in release")
    }

    func testKerasLegacyMissingLayer() throws {
        let path = S.fixture("legacy_vgg16_missing_block5_conv3.h5")
        let error = S.error { _ = try WeightsLoader.load(path: path) }
        XCTAssertEqual(error?.kind, .missingLayer)
        XCTAssertEqual(error?.description, "\(path): missing block5_conv3 (file has 12 of 13 VGG16 convolutions)")
    }

    func testKerasLegacyWrongShape() throws {
        let path = S.fixture("legacy_vgg16_bad_block3_conv2.h5")
        let error = S.error { _ = try WeightsLoader.load(path: path) }
        XCTAssertEqual(error?.kind, .shapeMismatch)
        XCTAssertEqual(error?.description, "\(path): block3_conv2 kernel has shape (3, 3, 128, 256), expected (3, 3, 256, 256)")
    }

    func testTruncatedHDF5() throws {
        let hed = try S.requireHed()
        let dir = try S.temporaryDirectory(self)
        let path = "\(dir)/w.h5"
        let data = try Data(contentsOf: URL(fileURLWithPath: hed))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        let error = S.error { _ = try WeightsLoader.load(path: path) }
        XCTAssertEqual(error?.kind, .truncated)
        let text = error?.description ?? ""
        XCTAssertEqual(text, "\(path): truncated HDF5 file (its superblock records \(data.count) bytes, the file has \(data.count / 2))")
        XCTAssertFalse(text.contains("\n"))
    }

    func testSafetensorsDtypes() throws {
        // torch_partial.safetensors: features.0.weight F16, features.0.bias BF16, features.2.* F32; exact in each dtype.
        let file = try SafetensorsFile(path: S.fixture("torch_partial.safetensors"), name: "torch_partial.safetensors")
        for (key, n, count) in [("features.0.weight", 0, 64 * 27), ("features.0.bias", 100, 64),
                                ("features.2.weight", 2, 64 * 64 * 9), ("features.2.bias", 102, 64)] {
            let values = try file.floats(key)
            XCTAssertEqual(values.count, count, key)
            let worst = values.enumerated().map { abs($0.element - S.torchValue(n, $0.offset)) }.max() ?? 0
            XCTAssertEqual(worst, 0, "\(key): worst difference \(worst)")
        }
        XCTAssertEqual(file.entries["features.0.bias"]?.dtype, "BF16")
        let error = S.error { _ = try WeightsLoader.load(path: S.fixture("torch_partial.safetensors")) }
        XCTAssertEqual(error?.kind, .missingLayer)
        XCTAssertTrue(error?.description.hasSuffix("missing block2_conv1 = features.5 (file has 2 of 13 VGG16 convolutions)") ?? false,
                      error?.description ?? "")
    }

    /// A complete torchvision VGG16 written here (float32), loaded, and every kernel checked against
    /// the (Cout, Cin, 3, 3) -> (3, 3, Cin, Cout) transposition of the values it was written with.
    func testSafetensorsTorchvisionVGG16() throws {
        let dir = try S.temporaryDirectory(self)
        let path = "\(dir)/vgg16.safetensors"
        let convs = VGGArchitecture.vgg16.convolutions
        let indices = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]  // torchvision.models.vgg16().features
        var tensors: [(String, String, [Int], Data)] = []
        for (conv, n) in zip(convs, indices) {
            let shape = [conv.outChannels, conv.inChannels, 3, 3]
            let values = (0..<shape.reduce(1, *)).map { S.torchValue(n, $0) }
            tensors.append(("features.\(n).weight", "F32", shape, S.float32Bytes(values)))
            tensors.append(("features.\(n).bias", "F32", [conv.outChannels], S.float32Bytes((0..<conv.outChannels).map { S.torchValue(n + 1, $0) })))
        }
        tensors.append(("classifier.6.weight", "F32", [2, 3], S.float32Bytes([1, 2, 3, 4, 5, 6])))
        try S.writeSafetensors(path, tensors)
        let weights = try WeightsLoader.load(path: path)
        XCTAssertEqual(weights.architecture, .vgg16)
        XCTAssertEqual(weights.preprocessing, .torch)
        var worst: Float = 0
        for (conv, n) in zip(weights.convolutions, indices) {
            let (cin, cout) = (conv.inChannels, conv.outChannels)
            for ky in 0..<3 { for kx in 0..<3 { for ci in 0..<cin { for co in 0..<cout {
                let loaded = conv.kernel[((ky * 3 + kx) * cin + ci) * cout + co]
                worst = max(worst, abs(loaded - S.torchValue(n, ((co * cin + ci) * 3 + ky) * 3 + kx)))
            } } } }
            for co in 0..<cout { worst = max(worst, abs(conv.bias[co] - S.torchValue(n + 1, co))) }
        }
        XCTAssertEqual(worst, 0, "worst difference \(worst)")

        // The same file cut inside the data, and inside the header.
        let full = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = "\(dir)/w.safetensors"
        try full.prefix(100_000).write(to: URL(fileURLWithPath: cut))
        let error = S.error { _ = try WeightsLoader.load(path: cut) }
        XCTAssertEqual(error?.kind, .truncated)
        XCTAssertEqual(error?.description, "\(cut): truncated (header says \(full.count) bytes, file has 100000)")
        try full.prefix(1024).write(to: URL(fileURLWithPath: cut))
        let headerLength = Int(full[0]) | Int(full[1]) << 8
        XCTAssertEqual(S.error { _ = try WeightsLoader.load(path: cut) }?.description,
                       "\(cut): truncated (header says \(8 + headerLength) bytes of header, file has 1024)")
    }

    func testSafetensorsWrongShape() throws {
        let dir = try S.temporaryDirectory(self)
        let path = "\(dir)/w.safetensors"
        var tensors: [(String, String, [Int], Data)] = []
        for (conv, n) in zip(VGGArchitecture.vgg16.convolutions, [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]) {
            let cin = n == 0 ? 4 : conv.inChannels  // block1_conv1 with 4 input channels
            tensors.append(("features.\(n).weight", "F16", [conv.outChannels, cin, 3, 3], Data(count: 2 * conv.outChannels * cin * 9)))
            tensors.append(("features.\(n).bias", "F16", [conv.outChannels], Data(count: 2 * conv.outChannels)))
        }
        try S.writeSafetensors(path, tensors)
        let error = S.error { _ = try WeightsLoader.load(path: path) }
        XCTAssertEqual(error?.kind, .shapeMismatch)
        XCTAssertEqual(error?.description,
                       "\(path): block1_conv1 kernel (features.0.weight) has shape (64, 4, 3, 3), expected (64, 3, 3, 3)")
    }

    func testUnrecognisedAndPickleFiles() throws {
        let dir = try S.temporaryDirectory(self)
        let bin = "\(dir)/w.bin"
        try Data("hello, these are not weights".utf8).write(to: URL(fileURLWithPath: bin))
        XCTAssertEqual(S.error { _ = try WeightsLoader.load(path: bin) }?.description,
                       "\(bin): not a Keras HDF5, safetensors or torch.save weight file")
        // A zip signature is now read as a torch.save archive: zeros after it have no end of central directory.
        let pth = "\(dir)/vgg19.pth"
        try Data([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 60)).write(to: URL(fileURLWithPath: pth))
        let error = S.error { _ = try WeightsLoader.load(path: pth) }
        XCTAssertEqual(error?.kind, .truncated)
        XCTAssertEqual(error?.description, "\(pth): no zip end of central directory record (the file is cut short or not a zip archive)")
        // A pickle without PyTorch's magic number (pickle.dump of a dict) is refused before it is read.
        let pickle = "\(dir)/plain.pkl"
        try Data([0x80, 0x02, 0x7D, 0x71, 0x00, 0x2E]).write(to: URL(fileURLWithPath: pickle))
        let plain = S.error { _ = try WeightsLoader.load(path: pickle) }
        XCTAssertEqual(plain?.kind, .unsupported)
        XCTAssertEqual(plain?.description, "\(pickle): a Python pickle that is not a torch.save checkpoint (no PyTorch magic number); "
                       + "stylize reads torch.save files, Keras HDF5 and safetensors")
        let missing = "\(dir)/nothing.h5"
        XCTAssertEqual(S.error { _ = try WeightsLoader.load(path: missing) }?.description, "\(missing): no such file")
    }
}
