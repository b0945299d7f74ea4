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
    /// How the 3x3 layers are computed, forward and backward, each by `ConvAlgorithm.usesWinograd` for its input
    /// channels and image size; the first layer (3 input channels) always uses im2col.
    public var convolution: ConvAlgorithm = .auto
    /// Whether a Winograd layer followed by a 2x2 max-pool computes both at once, forward and backward, when its own
    /// output is not asked for (`Conv3x3.winogradForwardPooled`): no full-size output or gradient of that layer is
    /// written. Off: the layer and the pool run one after the other (for comparisons).
    public var fusesPools = true
    /// Transformed kernels, see `WinogradKernelCache`.
    public let winogradKernels: WinogradKernelCache
    /// Whether each new input size sets the kernel cache's budget (`WinogradKernelCache.automaticBudget`).
    private let automaticCache: Bool
    /// Wall seconds spent in convolutions (forward and input gradients) since creation, for
    /// benchmarks that report the share of an evaluation outside them.
    public private(set) var convolutionSeconds = 0.0
    /// The computed layers in order, with their names.
    let steps: [(name: String, step: VGGArchitecture.Step)]

    // The buffers of the memory plan (`MemoryPlan`, which says which buffer each step writes), allocated on the
    // first call at an input size and reused: the two working buffers, the kept outputs (kept[i] for step i), and for
    // backward only the ReLU masks and pool winners. No other activation survives a forward pass.
    private var plannedInput = (height: -1, width: -1)
    /// shapes[i] is the output shape of steps[i] for the planned input.
    private var shapes: [(height: Int, width: Int, channels: Int)] = []
    private var work: [UnsafeMutablePointer<Float>] = []
    /// Floats each working buffer holds: each grows to the largest output it is given (see `ensureWork`).
    private var workCapacity: [Int] = []
    /// The plans of the last forward pass without and with what backward needs (reused while they fit the call).
    private var forwardPlan: MemoryPlan?
    private var backwardPlan: MemoryPlan?
    private var kept: [TensorBox?]
    private var masks: [[UInt64]]
    private var argmaxes: [[UInt8]]
    private var inputGradient = Tensor(height: 0, width: 0, channels: 0)
    /// How many steps the last forwardForBackward ran (-1: none since the plan was made).
    private var storedDepth = -1

    /// - Parameters:
    ///   - weights: the frozen convolution weights.
    ///   - workspace: column scratch; a fresh 4 MiB-bounded one by default.
    ///   - winogradCacheBytes: transformed kernels kept between calls, see `WinogradKernelCache`; nil: set for each
    ///     input size (`WinogradKernelCache.automaticBudget`).
    public init(weights: VGGWeights, workspace: ConvWorkspace = ConvWorkspace(), winogradCacheBytes: Int? = nil) {
        self.weights = weights
        self.workspace = workspace
        self.steps = weights.architecture.steps
        self.automaticCache = winogradCacheBytes == nil
        self.winogradKernels = WinogradKernelCache(weights: weights, budgetBytes: winogradCacheBytes ?? 0)
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
        return architecture.outputShapes(height: height, width: width)[index - 1]
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
        if automaticCache { winogradKernels.budgetBytes = WinogradKernelCache.automaticBudget(pixels: height * width) }
        shapes = architecture.outputShapes(height: height, width: width)
        // Buffers only grow: the tiles of a tiled evaluation (several region sizes, see `TileGrid`) share them, and
        // the working buffers, kept outputs, masks and winners keep their storage when a smaller size comes.
        if work.isEmpty {
            work = (0 ..< 2).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: 1) }
            workCapacity = [1, 1]
        }
        storedDepth = -1
    }

    /// Makes working buffer `k` hold at least `count` floats. Only a buffer about to be overwritten is grown (its
    /// contents are not kept), so after the first pass at a size nothing is allocated.
    private func ensureWork(_ k: Int, _ count: Int) {
        if workCapacity[k] >= count { return }
        work[k].deallocate()
        work[k] = UnsafeMutablePointer<Float>.allocate(capacity: count)
        workCapacity[k] = count
    }

    /// The memory plan of a pass over the planned input keeping the outputs of steps `kept`.
    private func memoryPlan(kept: Set<Int>, backward: Bool) -> MemoryPlan {
        if let plan = backward ? backwardPlan : forwardPlan, plan.inputHeight == plannedInput.height,
           plan.inputWidth == plannedInput.width, plan.kept == kept, plan.convolution == convolution, plan.fusesPools == fusesPools {
            return plan
        }
        let plan = MemoryPlan(architecture: architecture, height: plannedInput.height, width: plannedInput.width, kept: kept,
                              backward: backward, convolution: convolution, fusesPools: fusesPools)
        if backward { backwardPlan = plan } else { forwardPlan = plan }
        return plan
    }

    /// Frees every buffer of the memory plan (the next call plans again). The buffers only grow while the input
    /// size changes, so a run that moves to another size (the next scale of a coarse-to-fine run, or from whole
    /// images to tiles) calls this, and its peak is the largest single plan's, not the sum of them.
    public func releaseBuffers() {
        for buffer in work { buffer.deallocate() }
        work = []
        workCapacity = []
        forwardPlan = nil
        backwardPlan = nil
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

    private func withReadPointer<R>(_ slot: Slot, input: UnsafePointer<Float>, _ body: (UnsafePointer<Float>) -> R) -> R {
        switch slot {
        case .input: return body(input)
        case .work(let k): return body(work[k])
        case .kept(let i): return kept[i]!.tensor.data.withUnsafeBufferPointer { body($0.baseAddress!) }
        }
    }

    /// `input`: the buffer that stands for the input slot (the input gradient, in the backward pass).
    private func withWritePointer<R>(_ slot: Slot, input: UnsafeMutablePointer<Float>? = nil, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        switch slot {
        case .input:
            guard let input else { preconditionFailure("the input is never written") }
            return body(input)
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
        let memoryPlan = memoryPlan(kept: wantedSteps, backward: keepForBackward)
        input.data.withUnsafeBufferPointer { inputBuffer in
            guard let source = inputBuffer.baseAddress else { return }
            var current = Slot.input
            // A Winograd layer whose output nobody asked for runs together with the pool after it (`MemoryPlan`).
            for pass in memoryPlan.forward {
                let (i, last, fused) = (pass.first, pass.last, pass.fused)  // last: the step whose output this writes
                let shape = shapes[last]
                let count = shape.height * shape.width * shape.channels
                let destination = pass.destination
                switch destination {
                case .kept:
                    if kept[last] == nil { kept[last] = TensorBox(Tensor(height: shape.height, width: shape.width, channels: shape.channels)) }
                    kept[last]!.tensor.reshapeForOutput(height: shape.height, width: shape.width, channels: shape.channels)
                case .work(let k):
                    ensureWork(k, count)
                case .input:
                    preconditionFailure("a forward pass never writes its input")
                }
                if keepForBackward, case .pool = steps[last].step, argmaxes[last].count < count {
                    argmaxes[last] = [UInt8](repeating: 0, count: count)
                }
                let (ih, iw) = i == 0 ? (input.height, input.width) : (shapes[i - 1].height, shapes[i - 1].width)
                withReadPointer(current, input: source) { x in
                    withWritePointer(destination) { y in
                        switch steps[i].step {
                        case .conv(let c) where fused:
                            if keepForBackward {
                                argmaxes[last].withUnsafeMutableBufferPointer { convForwardPooled(c, x, height: ih, width: iw, into: y, winners: $0.baseAddress!) }
                            } else {
                                convForwardPooled(c, x, height: ih, width: iw, into: y, winners: nil)
                            }
                        case .conv(let c):
                            if keepForBackward {
                                if masks[i].count < ReLU.maskWords(count) { masks[i] = [UInt64](repeating: 0, count: ReLU.maskWords(count)) }
                                // A Winograd layer writes its mask as it writes its output; otherwise a pass makes it.
                                let fusedMask = usesWinogradLanes(c, height: ih, width: iw)
                                masks[i].withUnsafeMutableBufferPointer { m in
                                    convForward(c, x, height: ih, width: iw, mask: fusedMask ? m.baseAddress! : nil, into: y)
                                    if !fusedMask { ReLU.mask(y, count: count, into: m.baseAddress!) }
                                }
                            } else {
                                convForward(c, x, height: ih, width: iw, mask: nil, into: y)
                            }
                        case .pool:
                            if keepForBackward {
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
            // The steps of the last forwardForBackward's plan, from the deepest gradient down, with the injected
            // gradients in place of the outputs.
            let pass = backwardPlan!.backwardSteps(from: deepest - 1, inPlace: Set(injected.keys.map { $0 - 1 }))
            // current: where d(loss)/d(output of step i) lives, complete with the gradient injected there.
            var current = pass.start
            if case .work(let k) = current {
                let top = shapes[deepest - 1]
                let count = top.height * top.width * top.channels
                ensureWork(k, count)
                addInjected(deepest, into: work[k], count: count, overwrite: true)
            }
            for planned in pass.steps {
                // A pool fused with the layer before it goes back through both at once.
                let (step, i, pooled) = (planned.first, planned.last, planned.fused)  // d(loss)/d(input of step)
                let (ih, iw) = step == 0 ? (h, w) : (shapes[step - 1].height, shapes[step - 1].width)
                let inputCount = ih * iw * (step == 0 ? 3 : shapes[step - 1].channels)
                // A convolution whose input has a loss adds its input gradient straight into that loss's gradient.
                let destination = planned.destination
                let intoKept = step > 0 && destination == .kept(step - 1)
                if case .work(let k) = destination { ensureWork(k, inputCount) }
                withWritePointer(current) { dy in
                    withWritePointer(destination, input: din) { dx in
                        switch steps[step].step {
                        case .conv(let c) where pooled:
                            argmaxes[i].withUnsafeBufferPointer {
                                convBackwardPooled(c, dy, winners: $0.baseAddress!, height: ih, width: iw, accumulate: intoKept, into: dx)
                            }
                        case .conv(let c):
                            let shape = shapes[step]
                            masks[step].withUnsafeBufferPointer {
                                convBackward(c, dy, mask: $0.baseAddress!, count: shape.height * shape.width * shape.channels,
                                             height: ih, width: iw, accumulate: intoKept, into: dx)
                            }
                        case .pool:
                            argmaxes[step].withUnsafeBufferPointer { idx in
                                MaxPool2x2.backward(dy, argmax: idx.baseAddress!, height: ih, width: iw, channels: shapes[step].channels, into: dx)
                            }
                        }
                        if step > 0 && !intoKept { addInjected(step, into: dx, count: inputCount, overwrite: false) }
                    }
                }
                current = destination
            }
            if given[0] != nil { addInjected(0, into: din, count: h * w * 3, overwrite: false) }
        }
        return inputGradient
    }

    /// Whether convolution `c` runs on Winograd with whole 8-channel lanes of output, which its transforms need to
    /// read or write ReLU mask bytes and pool winners as they go.
    private func usesWinogradLanes(_ c: Int, height: Int, width: Int) -> Bool {
        MemoryPlan.usesWinogradLanes(inChannels: weights.convolutions[c].inChannels, outChannels: weights.convolutions[c].outChannels,
                                     height: height, width: width, convolution)
    }

    /// Whether convolution `c` runs on Winograd on an image of `height` x `width`.
    private func usesWinograd(_ c: Int, height: Int, width: Int) -> Bool {
        convolution.usesWinograd(inChannels: weights.convolutions[c].inChannels, height: height, width: width)
    }

    /// Convolution `c` + bias + ReLU: `x (H, W, Cin)` into `y (H, W, Cout)`.
    /// With `mask`, a Winograd layer also writes its ReLU mask (`Conv3x3.winogradForward`'s `outputMask`).
    private func convForward(_ c: Int, _ x: UnsafePointer<Float>, height: Int, width: Int, mask: UnsafeMutablePointer<UInt64>?,
                             into y: UnsafeMutablePointer<Float>) {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { convolutionSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
        let w = weights.convolutions[c]
        if usesWinograd(c, height: height, width: width) {
            winogradKernels.withKernel(c) { kernel in
                w.bias.withUnsafeBufferPointer { b in
                    Conv3x3.winogradForward(x, height: height, width: width, kernel: kernel, bias: b.baseAddress!,
                                            relu: true, outputMask: mask, into: y, workspace: workspace)
                }
            }
        } else {
            Conv3x3.forward(x, height: height, width: width, weights: w, relu: true, into: y, workspace: workspace)
        }
    }

    /// Convolution `c` + bias + ReLU + the 2x2 max-pool after it: `x (H, W, Cin)` into `y (H/2, W/2, Cout)`, with the
    /// winners (`WinogradPool`) when a backward pass follows.
    private func convForwardPooled(_ c: Int, _ x: UnsafePointer<Float>, height: Int, width: Int, into y: UnsafeMutablePointer<Float>,
                                   winners: UnsafeMutablePointer<UInt8>?) {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { convolutionSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
        winogradKernels.withKernel(c) { kernel in
            weights.convolutions[c].bias.withUnsafeBufferPointer { b in
                Conv3x3.winogradForwardPooled(x, height: height, width: width, kernel: kernel, bias: b.baseAddress!, relu: true,
                                              into: y, winners: winners, workspace: workspace)
            }
        }
    }

    /// Input gradient of convolution `c` and the pool fused after it, from the pooled gradient `dy (H/2, W/2, Cout)`
    /// and the winners, into `dx (H, W, Cin)` (overwritten, or added to with `accumulate`).
    private func convBackwardPooled(_ c: Int, _ dy: UnsafePointer<Float>, winners: UnsafePointer<UInt8>, height: Int, width: Int,
                                    accumulate: Bool, into dx: UnsafeMutablePointer<Float>) {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { convolutionSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
        winogradKernels.withKernel(c, .backward) { kernel in
            Conv3x3.winogradBackward(pooledGradient: dy, winners: winners, height: height, width: width, kernel: kernel,
                                     accumulate: accumulate, into: dx, workspace: workspace)
        }
    }

    /// Input gradient of convolution `c` through its ReLU: `dy (H, W, Cout)`, d(loss)/d(post-ReLU output), is
    /// masked by the layer's ReLU `mask` (fused into Winograd's input transform; in place in `dy` for im2col),
    /// then goes into `dx (H, W, Cin)` (OVERWRITTEN).
    private func convBackward(_ c: Int, _ dy: UnsafeMutablePointer<Float>, mask: UnsafePointer<UInt64>, count: Int,
                              height: Int, width: Int, accumulate: Bool, into dx: UnsafeMutablePointer<Float>) {
        // Winograd reads the mask as it transforms dy, eight channels at a time; otherwise dy is masked first.
        let fused = usesWinogradLanes(c, height: height, width: width)
        if !fused { ReLU.backward(mask: mask, gradient: dy, count: count) }
        let start = DispatchTime.now().uptimeNanoseconds
        defer { convolutionSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
        if usesWinograd(c, height: height, width: width) {
            // The layer's kernel transposed, read on the turned image (`Conv3x3.winogradBackward`).
            winogradKernels.withKernel(c, .backward) { kernel in
                Conv3x3.winogradBackward(dy, height: height, width: width, kernel: kernel,
                                         inputMask: fused ? mask : nil, accumulate: accumulate, into: dx, workspace: workspace)
            }
        } else {
            Conv3x3.backward(dy, height: height, width: width, weights: weights.convolutions[c], accumulate: accumulate,
                             into: dx, workspace: workspace)
        }
    }

    /// Addresses of the plan's buffers, for tests that check they are reused.
    var bufferAddresses: [UnsafeRawPointer?] {
        work.map { UnsafeRawPointer($0) } + kept.compactMap { $0?.tensor.data.withUnsafeBytes { $0.baseAddress } }
            + [inputGradient.data.withUnsafeBytes { $0.baseAddress }]
    }

    /// Bytes of the memory plan's buffers as allocated: the working buffers, the kept outputs, the masks and winners
    /// and the input gradient (after a pass, what `MemoryPlan.bytes` says up to rounding).
    public var planBytes: Int {
        let keptFloats = kept.reduce(0) { $0 + ($1?.tensor.data.capacity ?? 0) }
        let maskBytes = masks.reduce(0) { $0 + 8 * $1.count } + argmaxes.reduce(0) { $0 + $1.count }
        return 4 * (workCapacity.reduce(0, +) + keptFloats + inputGradient.count) + maskBytes
    }
}

/// A tensor with an identity, so that the network can hand out access to one kept output while
/// it reads another.
final class TensorBox {
    var tensor: Tensor
    init(_ tensor: Tensor) { self.tensor = tensor }
}

/// How a 3x3 convolution is computed: im2col + one GEMM per band (the reference twin), Winograd F(4x4, 3x3) (a
/// quarter of the multiplies), or each layer by its size (`auto`, the default).
public enum ConvAlgorithm: String, CaseIterable, Sendable {
    case im2col
    case winograd
    /// Winograd on the layers whose image has at least `winogradMinimumTiles` output tiles, im2col on the smaller
    /// ones, where Winograd's kernels (four times the layer's weights) cost more to read than the multiplies saved.
    case auto

    /// Layers with fewer input channels stay on im2col: with 3 channels (the first layer) the
    /// transforms would cost more than the GEMM they save.
    public static let winogradMinimumInChannels = 64
    /// The fewest 4x4 output tiles of a layer's image on which `auto` uses Winograd.
    public static let winogradMinimumTiles = 24

    /// Whether a 3x3 convolution with `inChannels` input channels on an image of `height` x `width` runs on Winograd.
    public func usesWinograd(inChannels: Int, height: Int, width: Int) -> Bool {
        guard inChannels >= Self.winogradMinimumInChannels else { return false }
        switch self {
        case .im2col: return false
        case .winograd: return true
        case .auto: return WinogradTile.tiles(height: height, width: width) >= Self.winogradMinimumTiles
        }
    }
}
