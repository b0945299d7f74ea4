import NeuralCore
@testable import StyleTransfer
import XCTest

/// The dry run's model of the network's memory plan (`RunPlan.networkBytes`) against the network itself: after the
/// passes of a transfer (the content target with every loss layer, the style targets, then an evaluation's forward
/// and backward pass), `VGGNetwork.planBytes` holds what the model predicts, up to the rounding of the masks to
/// 64-bit words, the one-float working buffers a pass may leave unused and the allocator's rounding.
final class VGGNetworkPlanTests: XCTestCase {
    func testEstimateFollowsTheNetwork() {
        let styleLayers = Preset.builtIn.styleLayers.map(\.layer)
        let cases: [(VGGArchitecture, Int, Int, [String], ConvAlgorithm)] = [
            (.vgg16, 96, 80, styleLayers + ["block5_conv2"], .winograd),
            (.vgg19, 93, 70, styleLayers + ["block5_conv2"], .winograd),
            (.vgg19, 40, 40, ["block2_conv2", "block4_conv1"], .winograd),  // block2_conv2 kept: its pool is not fused
            (.vgg16, 64, 48, styleLayers + ["block5_conv2"], .im2col),
        ]
        for (architecture, height, width, layers, convolution) in cases {
            let network = VGGNetwork(weights: .random(architecture: architecture, seed: 5))
            network.convolution = convolution
            let content = PlanTestImage.make(height, width, seed: 1), style = PlanTestImage.make(height, width, seed: 2)
            _ = network.forward(content, outputs: layers)
            _ = network.forward(style, outputs: layers.filter { $0 != "block5_conv2" })
            _ = network.gradient(content, at: layers) { _, features in
                for i in features.data.indices { features.data[i] *= 0.5 }
            }
            let rows = architecture.layerSummary(includeTop: false, inputSize: (1, 1))
            let deepest = rows.lastIndex { layers.contains($0.name) }!
            let estimate = RunPlan.networkBytes(RunPlan.Size(width: width, height: height), architecture: architecture, deepest: deepest,
                                                kept: Set(layers), backward: true, convolution: convolution)
            // Mask words of up to 20 layers, two unused one-float buffers, and the allocator's rounding of each kept
            // output's array (Swift arrays report the allocation's usable size as their capacity: up to a page).
            let slack = 8 * 20 + 2 * 4 + 4096 * layers.count
            XCTAssertEqual(Double(network.planBytes), Double(estimate), accuracy: Double(slack),
                           "\(architecture.name) \(height)x\(width) \(layers) \(convolution)")
        }
    }
}

enum PlanTestImage {
    /// A preprocessed-looking image `(H, W, 3)` of values in -100...100.
    static func make(_ h: Int, _ w: Int, seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(height: h, width: w, channels: 3, data: (0 ..< h * w * 3).map { _ in Float(rng.nextUniform() * 200 - 100) })
    }
}
