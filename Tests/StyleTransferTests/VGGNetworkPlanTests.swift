import NeuralCore
@testable import StyleTransfer
import XCTest

/// The network's memory plan (`VGGNetwork.MemoryPlan`, which the dry run's estimate reads) against the buffers the
/// network allocates: after the
/// passes of a transfer (the content target with every loss layer, the style targets, then an evaluation's forward
/// and backward pass), `VGGNetwork.planBytes` holds what the model predicts, up to the rounding of the masks to
/// 64-bit words, the one-float working buffers a pass may leave unused and the allocator's rounding.
final class VGGNetworkPlanTests: XCTestCase {
    func testEstimateFollowsTheNetwork() {
        let styleLayers = Preset.builtIn.styleLayers.map(\.layer)
        let cases: [(VGGArchitecture, Int, Int, [String], ConvAlgorithm, Bool)] = [
            (.vgg16, 96, 80, styleLayers + ["block5_conv2"], .winograd, true),
            (.vgg19, 93, 70, styleLayers + ["block5_conv2"], .winograd, true),
            (.vgg19, 93, 70, styleLayers + ["block5_conv2"], .auto, true),  // block4 and block5 on im2col, unfused
            (.vgg19, 40, 40, ["block2_conv2", "block4_conv1"], .winograd, true),  // block2_conv2 kept: its pool is not fused
            (.vgg16, 64, 48, styleLayers + ["block5_conv2"], .im2col, true),
            (.vgg16, 64, 48, styleLayers + ["block5_conv2"], .winograd, false),  // no fused pools
        ]
        for (architecture, height, width, layers, convolution, fusesPools) in cases {
            let network = VGGNetwork(weights: .random(architecture: architecture, seed: 5))
            network.convolution = convolution
            network.fusesPools = fusesPools
            let content = PlanTestImage.make(height, width, seed: 1), style = PlanTestImage.make(height, width, seed: 2)
            _ = network.forward(content, outputs: layers)
            _ = network.forward(style, outputs: layers.filter { $0 != "block5_conv2" })
            _ = network.gradient(content, at: layers) { _, features in
                for i in features.data.indices { features.data[i] *= 0.5 }
            }
            let estimate = VGGNetwork.MemoryPlan(architecture: architecture, height: height, width: width, keeping: layers,
                                                 backward: true, convolution: convolution, fusesPools: fusesPools).bytes
            // Mask words of up to 20 layers, two unused one-float buffers, and the allocator's rounding of each kept
            // output's array (Swift arrays report the allocation's usable size as their capacity: up to a page).
            let slack = 8 * 20 + 2 * 4 + 4096 * layers.count
            XCTAssertEqual(Double(network.planBytes), Double(estimate), accuracy: Double(slack),
                           "\(architecture.name) \(height)x\(width) \(layers) \(convolution) fusesPools \(fusesPools)")
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
