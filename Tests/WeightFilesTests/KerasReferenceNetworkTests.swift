import Foundation
import NeuralCore
@testable import WeightFiles
import XCTest

/// The library's `VGGNetwork` (im2col + GEMM) and `Preprocessing.caffe` against real Keras, with weights from
/// this project's loaders: the same fixture and tolerance as `KerasReferenceTests` (1e-4 of each layer's largest
/// magnitude), which holds a naive forward pass to it.
final class KerasReferenceNetworkTests: XCTestCase {
    typealias R = KerasReferenceTests

    private func check(_ weights: VGGWeights, _ network: String) throws {
        let expected = try R.layers(try R.loadFixture(), network)
        let input = Preprocessing.caffe.apply(R.inputImage())
        let names = expected.keys.map { $0 == "input" ? "input_1" : $0 }
        for algorithm in ConvAlgorithm.allCases {  // Winograd, its im2col twin, and the default that mixes them by size
            let vgg = VGGNetwork(weights: weights)
            vgg.convolution = algorithm
            var outputs: [String: Tensor] = [:]
            for (name, tensor) in vgg.forward(input, outputs: names) {
                outputs[name == "input_1" ? "input" : name] = tensor
            }
            R.compare(outputs, expected, network: "\(network) (VGGNetwork, \(algorithm.rawValue))")
        }
    }

    func testVGG16BundledWeightsThroughVGGNetwork() throws {
        try check(try WeightsLoader.load(path: try WeightsTestSupport.requireHed()), "vgg16_hed")
    }

    func testVGG19SeededRandomWeightsThroughVGGNetwork() throws {
        try check(try WeightsLoader.resolve("random:42:vgg19", projectRoot: nil), "vgg19_random42")
    }
}
