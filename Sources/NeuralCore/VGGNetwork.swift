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
    /// Transformed kernels per convolution index, made on a layer's first Winograd use and kept.
    private var winogradKernels: [Int: WinogradKernel] = [:]
    private var winogradFlippedKernels: [Int: WinogradKernel] = [:]
    /// The computed layers in order, with their names.
    let steps: [(name: String, step: VGGArchitecture.Step)]

    // Plain forward: one output buffer per layer (allocated on first use, then reused, so no
    // layer pays for fresh pages), and its pool argmaxes; kept apart from what backward needs.
    private var layerOutputs: [Tensor]
    private var outputArgmaxes: [[Int32]]

    // Kept by forwardForBackward: activations[i] is the output of steps[i]; argmaxes[i] for pools.
    private(set) var activations: [Tensor]
    private var argmaxes: [[Int32]]
    /// gradients[i] is d(loss)/d(output of steps[i]), reused across backward calls.
    private(set) var gradients: [Tensor]
    private var inputGradient = Tensor(height: 0, width: 0, channels: 0)
    /// Shape of the input of the last forwardForBackward, and how many steps it ran (-1: none).
    private var storedInputShape = (height: 0, width: 0, channels: 0)
    private var storedDepth = -1

    /// - Parameters:
    ///   - weights: the frozen convolution weights.
    ///   - workspace: column scratch; a fresh 4 MiB-bounded one by default.
    public init(weights: VGGWeights, workspace: ConvWorkspace = ConvWorkspace()) {
        self.weights = weights
        self.workspace = workspace
        self.steps = weights.architecture.steps
        let empty = Tensor(height: 0, width: 0, channels: 0)
        activations = Array(repeating: empty, count: steps.count)
        layerOutputs = Array(repeating: empty, count: steps.count)
        outputArgmaxes = Array(repeating: [], count: steps.count)
        gradients = Array(repeating: empty, count: steps.count)
        argmaxes = Array(repeating: [], count: steps.count)
    }

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
    /// It writes into its own per-layer buffers (reused across calls), so it does not disturb
    /// what the last `forwardForBackward` kept for `backward`.
    ///
    /// - Parameters:
    ///   - input: `(H, W, 3)`, preprocessed (see `Preprocessing.apply`).
    ///   - outputs: Keras layer names (`input_1`, `block1_conv1` ... `block5_pool`); an unknown
    ///     name is a precondition failure (check with `validate(layers:)`).
    /// - Returns: name -> `(H', W', C)` output (conv outputs are post-ReLU).
    public func forward(_ input: Tensor, outputs: [String]) -> [String: Tensor] {
        precondition(input.channels == 3, "VGG input must have 3 channels, got \(input.channels)")
        let wanted = indices(of: outputs)
        var result: [String: Tensor] = [:]
        if wanted.values.contains(0) { result["input_1"] = input }
        let deepest = wanted.values.max() ?? 0
        if deepest == 0 { return result }
        for i in 0 ..< deepest {
            let x = i == 0 ? input : layerOutputs[i - 1]
            run(step: i, input: x, into: &layerOutputs[i], argmax: &outputArgmaxes[i])
            if wanted[steps[i].name] != nil { result[steps[i].name] = layerOutputs[i] }
        }
        return result
    }

    /// Forward pass that also keeps what `backward` needs: every activation up to the deepest
    /// requested layer and the pool argmaxes, in buffers reused across calls (after the first
    /// call at a given size nothing is allocated, as long as the caller has let go of the
    /// tensors returned last time; otherwise copy-on-write copies them).
    ///
    /// - Parameters:
    ///   - input: `(H, W, 3)`, preprocessed.
    ///   - outputs: Keras layer names, as for `forward`.
    public func forwardForBackward(_ input: Tensor, outputs: [String]) -> [String: Tensor] {
        precondition(input.channels == 3, "VGG input must have 3 channels, got \(input.channels)")
        let wanted = indices(of: outputs)
        let deepest = wanted.values.max() ?? 0
        storedInputShape = (input.height, input.width, input.channels)
        storedDepth = deepest
        var result: [String: Tensor] = [:]
        if wanted.values.contains(0) { result["input_1"] = input }
        for i in 0 ..< deepest {
            let x = i == 0 ? input : activations[i - 1]
            run(step: i, input: x, into: &activations[i], argmax: &argmaxes[i])
            if wanted[steps[i].name] != nil { result[steps[i].name] = activations[i] }
        }
        return result
    }

    /// One computed layer.
    private func run(step i: Int, input: Tensor, into output: inout Tensor, argmax: inout [Int32]) {
        switch steps[i].step {
        case .conv(let c):
            let w = weights.convolutions[c]
            if usesWinograd(c) {
                Conv3x3.winogradForward(input, kernel: winogradKernel(c), bias: w.bias, relu: true,
                                        into: &output, workspace: workspace)
            } else {
                Conv3x3.forward(input, weights: w, relu: true, into: &output, workspace: workspace)
            }
        case .pool:
            MaxPool2x2.forward(input, into: &output, argmax: &argmax)
        }
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
        precondition(storedDepth >= 0, "VGGNetwork.backward called before forwardForBackward")
        let given = indices(of: outputGradients.keys)
        let deepest = given.values.max() ?? 0
        precondition(deepest <= storedDepth,
                     "VGGNetwork.backward: a gradient is given deeper than the last forwardForBackward went")
        let (h, w, c) = storedInputShape
        inputGradient.reshapeForOutput(height: h, width: w, channels: c)
        for (name, index) in given {
            let shape = index == 0 ? storedInputShape : activations[index - 1].shape
            let g = outputGradients[name]!
            precondition(g.height == shape.0 && g.width == shape.1 && g.channels == shape.2,
                         "VGGNetwork.backward: gradient for \(name) is (\(g.height), \(g.width), \(g.channels)), output was \(shape)")
        }
        if deepest == 0 {
            if let injected = outputGradients["input_1"] {
                copy(injected, into: &inputGradient)
            } else {
                inputGradient.data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }  // no gradient given
            }
            return inputGradient
        }
        // gradients[i] holds d(loss)/d(output of steps[i]); start at the deepest layer.
        copy(outputGradients[steps[deepest - 1].name]!, into: &gradients[deepest - 1])
        for i in stride(from: deepest - 1, through: 0, by: -1) {
            if i < deepest - 1, let injected = outputGradients[steps[i].name] {
                add(injected, into: &gradients[i])
            }
            let inputHeight = i == 0 ? h : activations[i - 1].height
            let inputWidth = i == 0 ? w : activations[i - 1].width
            switch steps[i].step {
            case .conv(let c):
                ReLU.backward(output: activations[i], gradient: &gradients[i])
                if i == 0 {
                    convBackward(c, gradients[i], into: &inputGradient)
                } else {
                    let g = gradients[i]
                    convBackward(c, g, into: &gradients[i - 1])
                }
            case .pool:
                let g = gradients[i]
                if i == 0 {
                    MaxPool2x2.backward(g, argmax: argmaxes[i], height: inputHeight, width: inputWidth, into: &inputGradient)
                } else {
                    MaxPool2x2.backward(g, argmax: argmaxes[i], height: inputHeight, width: inputWidth, into: &gradients[i - 1])
                }
            }
        }
        if let injected = outputGradients["input_1"] { add(injected, into: &inputGradient) }
        return inputGradient
    }

    /// Whether convolution `c` runs on Winograd.
    private func usesWinograd(_ c: Int) -> Bool {
        convolution == .winograd && weights.convolutions[c].inChannels >= ConvAlgorithm.winogradMinimumInChannels
    }

    private func winogradKernel(_ c: Int) -> WinogradKernel {
        if let k = winogradKernels[c] { return k }
        let k = WinogradKernel(weights.convolutions[c])
        winogradKernels[c] = k
        return k
    }

    private func winogradFlippedKernel(_ c: Int) -> WinogradKernel {
        if let k = winogradFlippedKernels[c] { return k }
        let k = WinogradKernel(weights.convolutions[c], flipped: true)
        winogradFlippedKernels[c] = k
        return k
    }

    /// Input gradient of convolution `c` (OVERWRITES `inputGradient`), ReLU already masked.
    private func convBackward(_ c: Int, _ outputGradient: Tensor, into inputGradient: inout Tensor) {
        if usesWinograd(c) {
            Conv3x3.winogradForward(outputGradient, kernel: winogradFlippedKernel(c), bias: nil, relu: false,
                                    into: &inputGradient, workspace: workspace)
        } else {
            Conv3x3.backward(outputGradient, weights: weights.convolutions[c], into: &inputGradient, workspace: workspace)
        }
    }

    /// `dst = src` elementwise, reusing `dst`'s storage when the size matches.
    private func copy(_ src: Tensor, into dst: inout Tensor) {
        dst.reshapeForOutput(height: src.height, width: src.width, channels: src.channels)
        src.data.withUnsafeBufferPointer { s in
            dst.data.withUnsafeMutableBufferPointer { d in
                d.baseAddress!.update(from: s.baseAddress!, count: s.count)
            }
        }
    }

    /// `dst += src` elementwise (same shape).
    private func add(_ src: Tensor, into dst: inout Tensor) {
        src.data.withUnsafeBufferPointer { s in
            dst.data.withUnsafeMutableBufferPointer { d in
                for j in 0 ..< d.count { d[j] += s[j] }
            }
        }
    }

    /// Bytes held by the layer buffers (forward, forwardForBackward, gradients) and the scratch.
    public var bufferBytes: Int {
        let floats = activations.reduce(0) { $0 + $1.count } + gradients.reduce(0) { $0 + $1.count }
            + layerOutputs.reduce(0) { $0 + $1.count } + inputGradient.count
        let ints = argmaxes.reduce(0) { $0 + $1.count } + outputArgmaxes.reduce(0) { $0 + $1.count }
        let transformed = (winogradKernels.values.map(\.bytes) + winogradFlippedKernels.values.map(\.bytes)).reduce(0, +)
        return 4 * floats + 4 * ints + workspace.scratchBytes + workspace.winogradScratchBytes + transformed
    }
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
