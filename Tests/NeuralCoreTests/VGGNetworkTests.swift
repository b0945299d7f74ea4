import XCTest
@testable import NeuralCore

/// `VGGNetwork.forward` against the same network composed from the naive reference layers
/// (`Conv3x3.naive`, `MaxPool2x2.naive`), with random He-normal weights. Tolerance 1e-5 in
/// `|a - b| / (1 + max |b|)` per layer: float32 rounding compounds over up to 16 layers and is
/// relative to the layer's scale (small elements are sums of large cancelling terms).
final class VGGNetworkTests: XCTestCase {
    /// Reference forward through naive layers; returns every layer's output by name.
    func naiveForward(_ weights: VGGWeights, _ input: Tensor) -> [String: Tensor] {
        var result = ["input_1": input]
        var x = input
        for (name, step) in weights.architecture.steps {
            switch step {
            case .conv(let i): x = Conv3x3.naive(x, weights: weights.convolutions[i])
            case .pool: x = MaxPool2x2.naive(x)
            }
            result[name] = x
        }
        return result
    }

    /// Winograd on every layer with 64 or more input channels, and `auto` (at 35x19, im2col from block2 down).
    func testForwardMatchesNaiveLayers() {
        for arch in [VGGArchitecture.vgg16, .vgg19] { for convolution in [ConvAlgorithm.winograd, .auto] {
            let weights = VGGWeights.random(architecture: arch, seed: 42)
            let network = VGGNetwork(weights: weights)
            network.convolution = convolution
            let input = TestData.tensor(35, 19, 3, seed: 1, scale: 100)
            let names = arch.layerNames(includeTop: false)
            let reference = naiveForward(weights, input)
            let fast = network.forward(input, outputs: names)
            XCTAssertEqual(Set(fast.keys), Set(names))
            for name in names {
                assertClose(fast[name]!, reference[name]!, tolerance: 1e-5, relativeToMax: true, "\(arch.name) \(name)")
            }
            // forwardForBackward returns the same values.
            let kept = network.forwardForBackward(input, outputs: ["block2_conv1", "block4_pool"])
            assertClose(kept["block4_pool"]!, reference["block4_pool"]!, tolerance: 1e-5, relativeToMax: true, "\(arch.name) forwardForBackward block4_pool")
            assertClose(kept["block2_conv1"]!, reference["block2_conv1"]!, tolerance: 1e-5, relativeToMax: true, "\(arch.name) forwardForBackward block2_conv1")
        } }
    }

    /// `auto` runs Winograd where a layer's image has at least `winogradMinimumTiles` 4x4 tiles, and keeps the
    /// transformed kernels of those layers only, both directions after a gradient.
    func testAutoChoosesWinogradByTheLayersTiles() {
        let few = ConvAlgorithm.winogradMinimumTiles - 1
        XCTAssertFalse(ConvAlgorithm.auto.usesWinograd(inChannels: 512, height: 4, width: 4 * few))
        XCTAssertTrue(ConvAlgorithm.auto.usesWinograd(inChannels: 512, height: 4, width: 4 * few + 1))
        XCTAssertTrue(ConvAlgorithm.winograd.usesWinograd(inChannels: 512, height: 4, width: 4))
        XCTAssertFalse(ConvAlgorithm.im2col.usesWinograd(inChannels: 512, height: 400, width: 400))
        for algorithm in ConvAlgorithm.allCases {
            XCTAssertFalse(algorithm.usesWinograd(inChannels: 3, height: 400, width: 400), "the first layer stays on im2col")
        }
        let weights = VGGWeights.random(architecture: .vgg16, seed: 44)
        let network = VGGNetwork(weights: weights)
        XCTAssertEqual(network.convolution, .auto, "the default")
        let (height, width) = (70, 52)   // block2: 35x26 (81 tiles), block3: 17x13 (20 tiles)
        _ = network.gradient(TestData.tensor(height, width, 3, seed: 45, scale: 50), at: ["block3_conv1"]) { _, _ in }
        let shapes = weights.architecture.outputShapes(height: height, width: width)
        var expected = 0
        for (i, step) in weights.architecture.steps.enumerated() where i <= weights.architecture.layerIndex("block3_conv1")! - 1 {
            guard case .conv(let c) = step.step else { continue }
            let conv = weights.convolutions[c]
            if ConvAlgorithm.auto.usesWinograd(inChannels: conv.inChannels, height: shapes[i].height, width: shapes[i].width) {
                expected += 2 * WinogradKernelCache.bytes(inChannels: conv.inChannels, outChannels: conv.outChannels)
            }
        }
        XCTAssertEqual(expected, 2 * WinogradKernelCache.bytes(inChannels: 64, outChannels: 64)
                                  + 2 * WinogradKernelCache.bytes(inChannels: 64, outChannels: 128)
                                  + 2 * WinogradKernelCache.bytes(inChannels: 128, outChannels: 128),
                       "block1_conv2, block2_conv1 and block2_conv2 on Winograd, block3_conv1 on im2col")
        XCTAssertEqual(network.winogradKernels.bytes, expected)
    }

    /// The automatic kernel budget: every kernel under 2¹⁷ pixels, none from 2¹⁸, falling linearly in between (half
    /// at the middle, never rising with the size).
    func testAutomaticKernelBudgetFallsToNothingAt512x512() {
        let (low, high, whole) = (1 << 17, 1 << 18, WinogradKernelCache.wholeNetworkBytes)
        XCTAssertEqual(WinogradKernelCache.automaticBudget(pixels: 256 * 256), whole)
        XCTAssertEqual(WinogradKernelCache.automaticBudget(pixels: low - 1), whole)
        XCTAssertEqual(WinogradKernelCache.automaticBudget(pixels: low), whole)
        XCTAssertEqual(WinogradKernelCache.automaticBudget(pixels: (low + high) / 2), whole / 2)
        XCTAssertEqual(WinogradKernelCache.automaticBudget(pixels: high), 0, "512x512 keeps none")
        XCTAssertEqual(WinogradKernelCache.automaticBudget(pixels: 4096 * 4096), 0)
        XCTAssertEqual(WinogradKernelCache.automaticBudget(pixels: 512 * 354), 331_350_016, "512x354: 316 MiB")
        var previous = Int.max
        for pixels in stride(from: 0, through: 1 << 19, by: 997) {
            let budget = WinogradKernelCache.automaticBudget(pixels: pixels)
            XCTAssertLessThanOrEqual(budget, previous, "at \(pixels) pixels")
            previous = budget
        }
    }

    /// What the memory and time estimates assume a cache holds (`WinogradKernelCache.holding`) is what a network's
    /// cache holds after a gradient, with a budget that keeps some kernels and not others: here the three forward
    /// kernels of block1_conv2, block2_conv1 and block2_conv2 (4128768 bytes of the 4 MiB), the three backward ones
    /// made in turn in one buffer as large as block2_conv2's.
    func testCacheHoldsWhatItsEstimateSays() {
        let weights = VGGWeights.random(architecture: .vgg16, seed: 46)
        let budget = 4 << 20
        let network = VGGNetwork(weights: weights, winogradCacheBytes: budget)
        _ = network.gradient(TestData.tensor(70, 52, 3, seed: 47, scale: 50), at: ["block2_conv2"]) { _, _ in }
        let layers = [(64, 64), (64, 128), (128, 128)].map { (inChannels: $0.0, outChannels: $0.1) }
        let held = WinogradKernelCache.holding(layers: layers, budget: budget)
        let bytes = { WinogradKernelCache.bytes(inChannels: $0, outChannels: $1) }
        XCTAssertEqual(held.kept, bytes(64, 64) + bytes(64, 128) + bytes(128, 128))
        XCTAssertEqual(held.transient, bytes(128, 128))
        XCTAssertEqual(held.made, held.kept)
        XCTAssertEqual(held.total, 2 * held.kept)
        XCTAssertEqual(network.winogradKernels.bytes, held.kept + held.transient)
        XCTAssertEqual(WinogradKernelCache.holding(layers: layers, budget: 0).made, held.total)
        XCTAssertEqual(WinogradKernelCache.holding(layers: layers, budget: WinogradKernelCache.wholeNetworkBytes).made, 0)
    }

    /// Stopping early and asking for a subset gives exactly what the full pass gives, and
    /// repeated calls reuse buffers without corrupting results held by the caller.
    func testForwardSubsetsAndRepeatedCalls() {
        let network = VGGNetwork(weights: .random(architecture: .vgg19, seed: 7))
        let a = TestData.tensor(16, 16, 3, seed: 2, scale: 50)
        let b = TestData.tensor(16, 16, 3, seed: 3, scale: 50)
        let all = network.forward(a, outputs: ["block1_conv2", "block3_conv1", "block5_pool"])
        XCTAssertEqual(all["block5_pool"]!.shape.height, 0 + 16 / 32)
        let first = network.forward(a, outputs: ["block3_conv1"])
        let other = network.forward(b, outputs: ["block3_conv1", "input_1"])
        XCTAssertEqual(first["block3_conv1"], all["block3_conv1"], "same input, same output")
        XCTAssertNotEqual(other["block3_conv1"], first["block3_conv1"], "held result was overwritten")
        XCTAssertEqual(other["input_1"], b)
        XCTAssertEqual(all["block1_conv2"]!.channels, 64)
    }

    /// Same seed, same weights; different seeds differ; He-normal std within 2% on a big layer.
    func testRandomWeights() {
        let a = VGGWeights.random(architecture: .vgg16, seed: 1)
        let b = VGGWeights.random(architecture: .vgg16, seed: 1)
        let c = VGGWeights.random(architecture: .vgg16, seed: 2)
        XCTAssertEqual(a.convolutions, b.convolutions)
        XCTAssertNotEqual(a.convolutions[0].kernel, c.convolutions[0].kernel)
        XCTAssertTrue(a.source.hasPrefix("random:1"), a.source)
        let k = a.convolutions[5].kernel
        let std = (k.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(k.count)).squareRoot()
        let expected = (2.0 / Double(9 * a.convolutions[5].inChannels)).squareRoot()
        XCTAssertEqual(std, expected, accuracy: 0.02 * expected, "He-normal std \(std) vs \(expected)")
        XCTAssertTrue(a.convolutions.allSatisfy { $0.bias.allSatisfy { $0 == 0 } })
        // The pieces drawn at once are the one sequence the Python fixture rebuilds: every value, drawn in order.
        var rng = SplitMix64(seed: 1)
        for conv in a.convolutions {
            let std = (2.0 / Double(9 * conv.inChannels)).squareRoot()
            let sequential = conv.kernel.map { _ in Float(rng.nextNormal() * std) }
            XCTAssertEqual(conv.kernel, sequential, conv.name)
        }
        var skipped = SplitMix64(seed: 9, skipping: 1000), stepped = SplitMix64(seed: 9)
        for _ in 0 ..< 1000 { _ = stepped.next() }
        XCTAssertEqual(skipped.next(), stepped.next())
    }

    /// After the first call at a given size, forwardForBackward, backward and gradient write into
    /// the same storage (checked by buffer addresses), and the gradient still matches a fresh network's.
    func testBuffersReusedAcrossCalls() {
        let weights = VGGWeights.random(architecture: .vgg16, seed: 11)
        let network = VGGNetwork(weights: weights)
        network.convolution = .winograd
        let names = ["block1_conv2", "block3_conv1"]
        var outputs = network.forwardForBackward(TestData.tensor(20, 18, 3, seed: 1, scale: 50), outputs: names)
        let r = ["block3_conv1": TestData.tensor(5, 4, 256, seed: 2)]
        _ = network.backward(r)
        let before = network.bufferAddresses
        outputs = [:]
        let x = TestData.tensor(20, 18, 3, seed: 3, scale: 50)
        outputs = network.forwardForBackward(x, outputs: names)
        outputs = [:]
        let dx = network.backward(r)
        XCTAssertEqual(network.bufferAddresses, before, "buffers were reallocated")
        let fresh = VGGNetwork(weights: weights)
        fresh.convolution = .winograd
        outputs = fresh.forwardForBackward(x, outputs: names)
        XCTAssertEqual(fresh.backward(r), dx, "reused buffers give a different gradient")
        XCTAssertEqual(outputs.count, 2)
    }

    /// `gradient(_:at:replacingOutputsWithGradients:)`, which turns the kept outputs into
    /// gradients in place, against forwardForBackward + backward with the same gradients.
    func testInPlaceGradientMatchesBackward() {
        let weights = VGGWeights.random(architecture: .vgg16, seed: 12)
        let network = VGGNetwork(weights: weights)
        network.convolution = .winograd
        let x = TestData.tensor(19, 22, 3, seed: 5, scale: 50)
        let names = ["block1_conv1", "block2_pool", "block3_conv2"]
        // d(loss)/d(F) = 0.5 F + 0.01 for a loss of 0.25 ΣF² + 0.01 ΣF at each layer.
        func lossGradient(_ f: Tensor) -> Tensor {
            Tensor(height: f.height, width: f.width, channels: f.channels, data: f.data.map { 0.5 * $0 + 0.01 })
        }
        let outputs = network.forwardForBackward(x, outputs: names)
        var given: [String: Tensor] = [:]
        for (name, f) in outputs { given[name] = lossGradient(f) }
        let reference = network.backward(given)
        var seen: [String] = []
        let dx = network.gradient(x, at: names) { name, f in
            seen.append(name)
            f = lossGradient(f)
        }
        XCTAssertEqual(seen, ["block3_conv2", "block2_pool", "block1_conv1"], "deepest first")
        assertClose(dx, reference, tolerance: 1e-6, relativeToMax: true, "in-place gradient")
    }
}
