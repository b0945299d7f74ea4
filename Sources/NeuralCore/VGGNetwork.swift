import Dispatch

/// The convolutional part of VGG16/VGG19 (Simonyan & Zisserman, "Very Deep Convolutional
/// Networks for Large-Scale Image Recognition", ICLR 2015), forward and reverse mode to the
/// input image. One code path for both depths: the layer plan comes from `VGGArchitecture`.
/// The fully connected top is listed by `layerSummary` but never computed.
///
/// Not thread-safe: a network owns its scratch buffers and reuses them across calls.
public final class VGGNetwork {
    public let weights: VGGWeights
    public var architecture: VGGArchitecture { weights.architecture }

    /// Column scratch for every convolution (bounded, see `ConvWorkspace`).
    public let workspace: ConvWorkspace
    /// How the 3x3 layers with at least `ConvAlgorithm.winogradMinimumInChannels` input channels
    /// are computed, forward and backward; the first layer (3 input channels) always uses im2col.
    public var convolution: ConvAlgorithm = .winograd
    /// Transformed kernels, see `WinogradKernelCache`.
    public let winogradKernels: WinogradKernelCache
    /// Wall seconds spent in convolutions (forward and input gradients) since creation, for
    /// benchmarks that report the share of an evaluation outside them.
    public private(set) var convolutionSeconds = 0.0
    /// The computed layers in order, with their names.
    let steps: [(name: String, step: VGGArchitecture.Step)]

    // The memory plan. Per input size, allocated on the first call at that size and reused:
    // - two working buffers as large as the largest layer output: forward alternates between
    //   them, and so does backward, for the gradients;
    // - the outputs the caller asked for (kept[i] for step i), which forward writes in place of
    //   a working buffer and the next layer reads from there;
    // - for backward only: each convolution's ReLU mask as bits, each pool's winners as bytes.
    // No other activation survives a forward pass.
    private var plannedInput = (height: -1, width: -1)
    /// shapes[i] is the output shape of steps[i] for the planned input.
    private var shapes: [(height: Int, width: Int, channels: Int)] = []
    private var work: [UnsafeMutablePointer<Float>] = []
    private var workCapacity = 0
    private var kept: [TensorBox?]
    private var masks: [[UInt64]]
    private var argmaxes: [[UInt8]]
    private var inputGradient = Tensor(height: 0, width: 0, channels: 0)
    /// How many steps the last forwardForBackward ran (-1: none since the plan was made).
    private var storedDepth = -1

    /// - Parameters:
    ///   - weights: the frozen convolution weights.
    ///   - workspace: column scratch; a fresh 4 MiB-bounded one by default.
    ///   - winogradCacheBytes: transformed kernels kept between calls, see `WinogradKernelCache`.
    public init(weights: VGGWeights, workspace: ConvWorkspace = ConvWorkspace(),
                winogradCacheBytes: Int = WinogradKernelCache.defaultBudgetBytes) {
        self.weights = weights
        self.workspace = workspace
        self.steps = weights.architecture.steps
        self.winogradKernels = WinogradKernelCache(weights: weights, budgetBytes: winogradCacheBytes)
        kept = Array(repeating: nil, count: steps.count)
        masks = Array(repeating: [], count: steps.count)
        argmaxes = Array(repeating: [], count: steps.count)
    }

    deinit { for buffer in work { buffer.deallocate() } }

    /// Convenience: `architecture.validate(layers:)`, so callers can reject bad names early.
    public func validate(layers: [String]) throws {
        try architecture.validate(layers: layers)
    }

    /// Layer positions (0 = input_1), preconditioning on unknown names.
    private func indices(of names: some Sequence<String>) -> [String: Int] {
        var result: [String: Int] = [:]
        for name in names {
            guard let index = architecture.layerIndex(name) else {
                preconditionFailure("\(architecture.name): unknown layer '\(name)'; call validate(layers:) first")
            }
            result[name] = index
        }
        return result
    }

    /// Forward pass; returns the requested layers' outputs and stops at the deepest one.
    ///
    /// - Parameters:
    ///   - input: `(H, W, 3)`, preprocessed (see `Preprocessing.apply`).
    ///   - outputs: Keras layer names (`input_1`, `block1_conv1` ... `block5_pool`); an unknown
    ///     name is a precondition failure (check with `validate(layers:)`).
    /// - Returns: name -> `(H', W', C)` output (conv outputs are post-ReLU). The tensors share
    ///   storage with the network's buffers: let go of them before the next call, or the next
    ///   call copies them (copy-on-write) instead of reusing the buffers.
    public func forward(_ input: Tensor, outputs: [String]) -> [String: Tensor] {
        run(input, outputs: outputs, keepForBackward: false)
    }

    /// Forward pass that also keeps what `backward` needs (ReLU masks, pool winners); returns
    /// the requested outputs as `forward` does. `forward` and this share their buffers: a
    /// `forward` call in between ends what `backward` could use.
    public func forwardForBackward(_ input: Tensor, outputs: [String]) -> [String: Tensor] {
        run(input, outputs: outputs, keepForBackward: true)
    }

    /// Forward pass that hands each requested layer's output to `visit` in place (no copy, and the visitor may
    /// overwrite it): for callers that reduce the outputs (a tiled Gram sum) and need nothing afterwards.
    /// - Parameters:
    ///   - input: `(H, W, 3)`, preprocessed.
    ///   - outputs: Keras layer names other than `input_1`.
    ///   - visit: `(name, output)`, once per requested layer, deepest first.
    public func forward(_ input: Tensor, outputs: [String], visiting visit: (String, inout Tensor) -> Void) {
        precondition(!outputs.contains("input_1"), "VGGNetwork.forward(visiting:): input_1 is not a network output")
        _ = run(input, outputs: outputs, keepForBackward: false, returnOutputs: false)
        for (name, index) in indices(of: outputs).sorted(by: { $0.value > $1.value }) {
            visit(name, &kept[index - 1]!.tensor)
        }
    }

    /// The output shape `(H, W, C)` of a layer for an input of `height` x `width` (pools round down).
    public func outputShape(_ layer: String, height: Int, width: Int) -> (height: Int, width: Int, channels: Int) {
        guard let index = indices(of: [layer])[layer], index > 0 else { return (height, width, 3) }
        var (h, w, c) = (height, width, 3)
        for (_, step) in steps.prefix(index) {
            switch step {
            case .conv(let i): c = weights.convolutions[i].outChannels
            case .pool: (h, w) = (h / 2, w / 2)
            }
        }
        return (h, w, c)
    }

    /// The input gradient of a loss on some layers' outputs, with no buffer beyond the plan: one
    /// forward pass keeping the requested outputs, then `lossGradient` is called once per requested
    /// layer (deepest first) with that layer's output, which it must REPLACE IN PLACE by
    /// d(loss)/d(output) (same shape), then one backward pass.
    ///
    /// - Parameters:
    ///   - input: `(H, W, 3)`, preprocessed.
    ///   - layers: Keras layer names other than `input_1`.
    ///   - lossGradient: `(name, features -> gradient)`.
    /// - Returns: `(H, W, 3)`, d(loss)/d(preprocessed input).
    public func gradient(_ input: Tensor, at layers: [String],
                         replacingOutputsWithGradients lossGradient: (String, inout Tensor) -> Void) -> Tensor {
        precondition(!layers.contains("input_1"), "VGGNetwork.gradient: input_1 is not a network output")
        _ = run(input, outputs: layers, keepForBackward: true, returnOutputs: false)
        let wanted = indices(of: layers).sorted { $0.value > $1.value }
        for (name, index) in wanted {
            let box = kept[index - 1]!
            lossGradient(name, &box.tensor)
            let shape = shapes[index - 1]
            let t = box.tensor
            precondition(t.height == shape.height && t.width == shape.width && t.channels == shape.channels,
                         "VGGNetwork.gradient: the gradient for \(name) must keep the output's shape")
        }
        return runBackward(injected: Dictionary(uniqueKeysWithValues: wanted.map { ($0.value, $0.key) }), given: [:])
    }

    /// Makes the buffers for an input of `height` x `width` (nothing when the size is unchanged).
    private func plan(height: Int, width: Int) {
        if plannedInput == (height, width) { return }
        plannedInput = (height, width)
        shapes = []
        var (h, w, c) = (height, width, 3)
        var largest = h * w * c
        for (_, step) in steps {
            switch step {
            case .conv(let i): c = weights.convolutions[i].outChannels
            case .pool: (h, w) = (h / 2, w / 2)
            }
            shapes.append((h, w, c))
            largest = max(largest, h * w * c)
        }
        // Buffers only grow: the tiles of a tiled evaluation (several region sizes, see `TileGrid`) share them, and
        // the kept outputs, masks and winners keep their storage when a smaller size comes.
        if largest > workCapacity {
            for buffer in work { buffer.deallocate() }
            work = (0 ..< 2).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(1, largest)) }
            workCapacity = largest
        }
        storedDepth = -1
    }

    /// Frees every buffer of the memory plan (the next call plans again). The buffers only grow while the input
    /// size changes, so a run that moves to another size (the next scale of a coarse-to-fine run, or from whole
    /// images to tiles) calls this, and its peak is the largest single plan's, not the sum of them.
    public func releaseBuffers() {
        for buffer in work { buffer.deallocate() }
        work = []
        workCapacity = 0
        kept = Array(repeating: nil, count: steps.count)
        masks = Array(repeating: [], count: steps.count)
        argmaxes = Array(repeating: [], count: steps.count)
        inputGradient = Tensor(height: 0, width: 0, channels: 0)
        plannedInput = (-1, -1)
        storedDepth = -1
    }

    /// Makes the buffers for an input of `height` x `width` now, so that smaller inputs after it allocate nothing
    /// (a tiled evaluation reserves its largest region first).
    public func reserve(height: Int, width: Int) {
        plan(height: height, width: width)
        for (i, shape) in shapes.enumerated() {
            let count = shape.height * shape.width * shape.channels
            if case .conv = steps[i].step, masks[i].count < ReLU.maskWords(count) {
                masks[i] = [UInt64](repeating: 0, count: ReLU.maskWords(count))
            }
            if case .pool = steps[i].step, argmaxes[i].count < count { argmaxes[i] = [UInt8](repeating: 0, count: count) }
        }
    }

    /// Where a layer's output lives during a pass.
    private enum Slot: Equatable { case input, work(Int), kept(Int) }

    private func withReadPointer<R>(_ slot: Slot, input: UnsafePointer<Float>, _ body: (UnsafePointer<Float>) -> R) -> R {
        switch slot {
        case .input: return body(input)
        case .work(let k): return body(work[k])
        case .kept(let i): return kept[i]!.tensor.data.withUnsafeBufferPointer { body($0.baseAddress!) }
        }
    }

    private func withWritePointer<R>(_ slot: Slot, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        switch slot {
        case .input: preconditionFailure("the input is never written")
        case .work(let k): return body(work[k])
        case .kept(let i): return kept[i]!.tensor.data.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        }
    }

    /// The forward pass shared by `forward`, `forwardForBackward` and `gradient`.
    private func run(_ input: Tensor, outputs: [String], keepForBackward: Bool, returnOutputs: Bool = true) -> [String: Tensor] {
        precondition(input.channels == 3, "VGG input must have 3 channels, got \(input.channels)")
        let wanted = indices(of: outputs)
        let wantedSteps = Set(wanted.values.filter { $0 > 0 }.map { $0 - 1 })
        let deepest = wanted.values.max() ?? 0
        plan(height: input.height, width: input.width)
        storedDepth = keepForBackward ? deepest : -1
        input.data.withUnsafeBufferPointer { inputBuffer in
            guard let source = inputBuffer.baseAddress else { return }
            var current = Slot.input
            for i in 0 ..< deepest {
                let shape = shapes[i]
                let count = shape.height * shape.width * shape.channels
                let destination: Slot
                if wantedSteps.contains(i) {
                    if kept[i] == nil { kept[i] = TensorBox(Tensor(height: shape.height, width: shape.width, channels: shape.channels)) }
                    kept[i]!.tensor.reshapeForOutput(height: shape.height, width: shape.width, channels: shape.channels)
                    destination = .kept(i)
                } else {
                    destination = current == .work(0) ? .work(1) : .work(0)
                }
                let (ih, iw) = i == 0 ? (input.height, input.width) : (shapes[i - 1].height, shapes[i - 1].width)
                withReadPointer(current, input: source) { x in
                    withWritePointer(destination) { y in
                        switch steps[i].step {
                        case .conv(let c):
                            convForward(c, x, height: ih, width: iw, into: y)
                            if keepForBackward {
                                if masks[i].count < ReLU.maskWords(count) { masks[i] = [UInt64](repeating: 0, count: ReLU.maskWords(count)) }
                                masks[i].withUnsafeMutableBufferPointer { ReLU.mask(y, count: count, into: $0.baseAddress!) }
                            }
                        case .pool:
                            if keepForBackward {
                                if argmaxes[i].count < count { argmaxes[i] = [UInt8](repeating: 0, count: count) }
                                argmaxes[i].withUnsafeMutableBufferPointer { idx in
                                    MaxPool2x2.forward(x, height: ih, width: iw, channels: shape.channels, into: y, argmax: idx.baseAddress!)
                                }
                            } else {
                                MaxPool2x2.forward(x, height: ih, width: iw, channels: shape.channels, into: y, argmax: nil)
                            }
                        }
                    }
                }
                current = destination
            }
        }
        guard returnOutputs else { return [:] }
        var result: [String: Tensor] = [:]
        for (name, index) in wanted {
            result[name] = index == 0 ? input : kept[index - 1]!.tensor
        }
        return result
    }

    /// d(loss)/d(input) from d(loss)/d(output) at some of the layers computed by the last
    /// `forwardForBackward`. Gradients injected at several layers are summed as they flow back;
    /// only the layers between the image and the deepest given layer are run.
    ///
    /// - Parameter outputGradients: layer name -> `(H', W', C)`, each of the shape that layer's
    ///   output had (conv gradients are w.r.t. the post-ReLU output).
    /// - Returns: `(H, W, 3)`, the gradient w.r.t. the preprocessed input (chain through
    ///   `Preprocessing.backward` for RGB). A fresh value; the buffer behind it is reused.
    public func backward(_ outputGradients: [String: Tensor]) -> Tensor {
        precondition(storedDepth >= 0, "VGGNetwork.backward called without a forwardForBackward before it")
        let given = indices(of: outputGradients.keys)
        for (name, index) in given {
            let shape = index == 0 ? (plannedInput.height, plannedInput.width, 3) : shapes[index - 1]
            let g = outputGradients[name]!
            precondition(g.height == shape.0 && g.width == shape.1 && g.channels == shape.2,
                         "VGGNetwork.backward: gradient for \(name) is (\(g.height), \(g.width), \(g.channels)), output was \(shape)")
        }
        var byIndex: [Int: Tensor] = [:]
        for (name, index) in given { byIndex[index] = outputGradients[name]! }
        return runBackward(injected: [:], given: byIndex)
    }

    /// The backward pass. Gradients come from `kept` (for `injected` layer indices) or from
    /// `given` (layer index -> tensor); index 0 is the input.
    private func runBackward(injected: [Int: String], given: [Int: Tensor]) -> Tensor {
        let deepest = max(injected.keys.max() ?? 0, given.keys.max() ?? 0)
        precondition(deepest <= storedDepth,
                     "VGGNetwork.backward: a gradient is given deeper than the last forwardForBackward went")
        let (h, w) = plannedInput
        inputGradient.reshapeForOutput(height: h, width: w, channels: 3)
        // Adds the gradient injected at layer `index` (if any) to `count` floats at `dst`.
        func addInjected(_ index: Int, into dst: UnsafeMutablePointer<Float>, count: Int, overwrite: Bool) {
            func combine(_ src: UnsafePointer<Float>) {
                if overwrite { dst.update(from: src, count: count) } else { for j in 0 ..< count { dst[j] += src[j] } }
            }
            if injected[index] != nil {
                kept[index - 1]!.tensor.data.withUnsafeBufferPointer { combine($0.baseAddress!) }
            } else if let g = given[index] {
                g.data.withUnsafeBufferPointer { combine($0.baseAddress!) }
            } else if overwrite {
                dst.update(repeating: 0, count: count)
            }
        }
        inputGradient.data.withUnsafeMutableBufferPointer { dinput in
            let din = dinput.baseAddress!
            if deepest == 0 {
                addInjected(0, into: din, count: h * w * 3, overwrite: true)
                return
            }
            // g: the working buffer holding d(loss)/d(output of steps[i]).
            var g = 0
            let top = shapes[deepest - 1]
            addInjected(deepest, into: work[g], count: top.height * top.width * top.channels, overwrite: true)
            for i in stride(from: deepest - 1, through: 0, by: -1) {
                let shape = shapes[i]
                let count = shape.height * shape.width * shape.channels
                if i < deepest - 1 { addInjected(i + 1, into: work[g], count: count, overwrite: false) }
                let (ih, iw) = i == 0 ? (h, w) : (shapes[i - 1].height, shapes[i - 1].width)
                let dst = i == 0 ? din : work[1 - g]
                switch steps[i].step {
                case .conv(let c):
                    masks[i].withUnsafeBufferPointer { convBackward(c, work[g], mask: $0.baseAddress!, count: count, height: ih, width: iw, into: dst) }
                case .pool:
                    argmaxes[i].withUnsafeBufferPointer { idx in
                        MaxPool2x2.backward(work[g], argmax: idx.baseAddress!, height: ih, width: iw, channels: shape.channels, into: dst)
                    }
                }
                g = 1 - g
            }
            if given[0] != nil { addInjected(0, into: din, count: h * w * 3, overwrite: false) }
        }
        return inputGradient
    }

    /// Whether convolution `c` runs on Winograd.
    private func usesWinograd(_ c: Int) -> Bool {
        convolution == .winograd && weights.convolutions[c].inChannels >= ConvAlgorithm.winogradMinimumInChannels
    }

    /// Convolution `c` + bias + ReLU: `x (H, W, Cin)` into `y (H, W, Cout)`.
    private func convForward(_ c: Int, _ x: UnsafePointer<Float>, height: Int, width: Int, into y: UnsafeMutablePointer<Float>) {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { convolutionSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
        let w = weights.convolutions[c]
        if usesWinograd(c) {
            winogradKernels.withKernel(c, flipped: false) { kernel in
                w.bias.withUnsafeBufferPointer { b in
                    Conv3x3.winogradForward(x, height: height, width: width, kernel: kernel, bias: b.baseAddress!,
                                            relu: true, into: y, workspace: workspace)
                }
            }
        } else {
            Conv3x3.forward(x, height: height, width: width, weights: w, relu: true, into: y, workspace: workspace)
        }
    }

    /// Input gradient of convolution `c` through its ReLU: `dy (H, W, Cout)`, d(loss)/d(post-ReLU output), is
    /// masked by the layer's ReLU `mask` (fused into Winograd's input transform; in place in `dy` for im2col),
    /// then goes into `dx (H, W, Cin)` (OVERWRITTEN).
    private func convBackward(_ c: Int, _ dy: UnsafeMutablePointer<Float>, mask: UnsafePointer<UInt64>, count: Int,
                              height: Int, width: Int, into dx: UnsafeMutablePointer<Float>) {
        // Winograd reads the mask as it transforms dy, eight channels at a time; otherwise dy is masked first.
        let fused = usesWinograd(c) && weights.convolutions[c].outChannels % 8 == 0
        if !fused { ReLU.backward(mask: mask, gradient: dy, count: count) }
        let start = DispatchTime.now().uptimeNanoseconds
        defer { convolutionSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
        if usesWinograd(c) {
            // The forward kernel, read transposed on the turned image (`Conv3x3.winogradBackward`): one cached
            // kernel per layer serves both directions.
            winogradKernels.withKernel(c, flipped: false) { kernel in
                Conv3x3.winogradBackward(dy, height: height, width: width, kernel: kernel,
                                         inputMask: fused ? mask : nil, into: dx, workspace: workspace)
            }
        } else {
            Conv3x3.backward(dy, height: height, width: width, weights: weights.convolutions[c], into: dx, workspace: workspace)
        }
    }

    /// Addresses of the plan's buffers, for tests that check they are reused.
    var bufferAddresses: [UnsafeRawPointer?] {
        work.map { UnsafeRawPointer($0) } + kept.compactMap { $0?.tensor.data.withUnsafeBytes { $0.baseAddress } }
            + [inputGradient.data.withUnsafeBytes { $0.baseAddress }]
    }

    /// Bytes held by the plan's buffers, the masks and winners, the kept outputs, the scratch and
    /// the cached transformed kernels.
    public var bufferBytes: Int {
        let keptFloats = kept.reduce(0) { $0 + ($1?.tensor.data.capacity ?? 0) }
        let maskBytes = masks.reduce(0) { $0 + 8 * $1.count } + argmaxes.reduce(0) { $0 + $1.count }
        return 4 * (2 * workCapacity + keptFloats + inputGradient.count) + maskBytes
            + workspace.scratchBytes + workspace.winogradScratchBytes + winogradKernels.bytes
    }
}

/// A tensor with an identity, so that the network can hand out access to one kept output while
/// it reads another.
final class TensorBox {
    var tensor: Tensor
    init(_ tensor: Tensor) { self.tensor = tensor }
}

/// How a 3x3 convolution is computed: im2col + one GEMM per band (the reference twin), or
/// Winograd F(4x4, 3x3) (a quarter of the multiplies).
public enum ConvAlgorithm: String, CaseIterable, Sendable {
    case im2col
    case winograd

    /// Layers with fewer input channels stay on im2col: with 3 channels (the first layer) the
    /// transforms would cost more than the GEMM they save.
    public static let winogradMinimumInChannels = 64
}
