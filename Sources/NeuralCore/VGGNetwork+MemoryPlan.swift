// The network's memory plan: which buffer each step of a pass writes, and how large each buffer grows. The network
// runs its passes by it (`VGGNetwork.run`, `runBackward`), and `RunPlan`'s memory estimate asks it for its bytes,
// so the two cannot disagree.
//
// - Two working buffers, each as large as the largest output it receives: forward alternates between them, and so
//   does backward, for the gradients.
// - A Winograd layer with whole 8-channel lanes of output followed by a 2x2 pool writes only the pooled output when
//   its own is not kept (`fusesPools`); the pool's winners then stand for the layer's ReLU mask.
// - The kept outputs (the layers asked for) live in buffers of their own, written in place of a working buffer.
// - Backward writes a convolution's input gradient straight into a kept layer's gradient when that layer's gradient
//   is given in place (`VGGNetwork.gradient`).
// - For backward only: each unfused convolution's ReLU mask as bits, each pool's winners as bytes, the input gradient.

extension VGGNetwork {
    /// A layer's output shape `(H, W, C)`.
    public typealias Shape = (height: Int, width: Int, channels: Int)

    /// Where a layer's output, or its gradient, lives during a pass.
    public enum Slot: Equatable, Sendable { case input, work(Int), kept(Int) }

    /// One step of a pass: steps `first ... last` (a convolution and the pool fused after it, or one step), whose
    /// result goes to `destination` (forward: the output of `last`; backward: the gradient of the input of `first`).
    public struct PlannedStep: Equatable, Sendable {
        public var first: Int
        public var last: Int
        public var destination: Slot
        public var fused: Bool { last != first }
    }

    /// The buffers of one forward pass, and of the backward pass after it, for an input size, the kept layers, the
    /// convolution algorithm and the fusion rule.
    public struct MemoryPlan: Sendable {
        public let convolution: ConvAlgorithm
        public let fusesPools: Bool
        /// shapes[i]: the output of step i, for every step of the network.
        public let shapes: [Shape]
        public let inputHeight: Int
        public let inputWidth: Int
        /// Steps whose outputs are kept (the layers asked for; index i for the output of step i).
        public let kept: Set<Int>
        /// The steps the forward pass runs: up to the deepest kept one.
        public let depth: Int
        /// Whether the plan holds what a backward pass needs (masks, winners, the input gradient).
        public let backward: Bool
        /// The forward pass, in order.
        public let forward: [PlannedStep]
        /// Floats each working buffer grows to over the forward pass and, with `backward`, the backward pass.
        public let workFloats: [Int]
        /// Floats of the kept outputs.
        public let keptFloats: Int
        /// Bytes of the ReLU masks (64-bit words) and pool winners (one byte each); 0 without `backward`.
        public let maskBytes: Int
        public let winnerBytes: Int
        /// isConvolution[i]: step i is a convolution (else a pool).
        let isConvolution: [Bool]

        /// - Parameters:
        ///   - architecture: the network.
        ///   - height, width: the input.
        ///   - kept: the steps whose outputs are asked for (none: nothing runs).
        ///   - backward: plan for a backward pass with the gradients given in place at `kept`.
        ///   - convolution: how the 3x3 layers are computed (only Winograd layers fuse their pools).
        ///   - fusesPools: `VGGNetwork.fusesPools`.
        public init(architecture: VGGArchitecture, height: Int, width: Int, kept: Set<Int>, backward: Bool,
                    convolution: ConvAlgorithm, fusesPools: Bool = true) {
            self.convolution = convolution
            self.fusesPools = fusesPools
            self.inputHeight = height
            self.inputWidth = width
            self.kept = kept
            self.backward = backward
            let shapes = architecture.outputShapes(height: height, width: width)
            self.shapes = shapes
            let depth = (kept.max() ?? -1) + 1
            self.depth = depth
            let steps = architecture.steps, convs = architecture.convolutions
            let isConvolution = steps.map { if case .conv = $0.step { true } else { false } }
            self.isConvolution = isConvolution
            func count(_ i: Int) -> Int { shapes[i].height * shapes[i].width * shapes[i].channels }
            func fusable(_ i: Int) -> Bool {
                guard fusesPools, i + 1 < depth, !kept.contains(i), case .conv(let c) = steps[i].step,
                      case .pool = steps[i + 1].step else { return false }
                return Self.usesWinogradLanes(inChannels: convs[c].inChannels, outChannels: convs[c].outChannels, height: shapes[i].height, width: shapes[i].width, convolution)
            }
            var work = [0, 0], masks = 0, winners = 0
            var forward: [PlannedStep] = []
            var current = Slot.input
            var i = 0
            while i < depth {
                let last = fusable(i) ? i + 1 : i
                let destination: Slot
                if kept.contains(last) {
                    destination = .kept(last)
                } else {
                    let k = current == .work(0) ? 1 : 0
                    destination = .work(k)
                    work[k] = max(work[k], count(last))
                }
                if case .conv = steps[i].step, last == i { masks += 8 * ReLU.maskWords(count(i)) }
                if case .pool = steps[last].step { winners += count(last) }
                forward.append(PlannedStep(first: i, last: last, destination: destination))
                current = destination
                i = last + 1
            }
            self.forward = forward
            self.keptFloats = kept.reduce(0) { $0 + count($1) }
            self.maskBytes = backward ? masks : 0
            self.winnerBytes = backward ? winners : 0
            if backward && depth > 0 {
                let pass = Self.backwardSteps(forward, isConvolution: isConvolution, from: depth - 1, inPlace: kept)
                if pass.start == .work(0) { work[0] = max(work[0], count(depth - 1)) }
                for step in pass.steps where step.first > 0 {
                    if case .work(let k) = step.destination { work[k] = max(work[k], count(step.first - 1)) }
                }
            }
            self.workFloats = work
        }

        /// The plan keeping the outputs of the layers named `kept` (Keras names other than `input_1`).
        public init(architecture: VGGArchitecture, height: Int, width: Int, keeping kept: some Sequence<String>, backward: Bool,
                    convolution: ConvAlgorithm, fusesPools: Bool = true) {
            self.init(architecture: architecture, height: height, width: width,
                      kept: Set(kept.compactMap { architecture.layerIndex($0) }.filter { $0 > 0 }.map { $0 - 1 }),
                      backward: backward, convolution: convolution, fusesPools: fusesPools)
        }

        /// Bytes of the plan: the working buffers, the kept outputs, and with `backward` the masks, the winners and
        /// the input gradient.
        public var bytes: Int {
            let float = MemoryLayout<Float>.stride
            let inputGradient = backward ? inputHeight * inputWidth * 3 : 0
            return (workFloats.reduce(0, +) + keptFloats + inputGradient) * float + maskBytes + winnerBytes
        }

        /// The backward pass from the gradient at the output of step `deepest` down to the input, with the gradients
        /// of the `inPlace` steps written over their outputs: where the pass starts, and its steps in order (each
        /// `destination` the gradient of the input of `first`).
        public func backwardSteps(from deepest: Int, inPlace: Set<Int>) -> (start: Slot, steps: [PlannedStep]) {
            Self.backwardSteps(forward, isConvolution: isConvolution, from: deepest, inPlace: inPlace)
        }

        static func backwardSteps(_ forward: [PlannedStep], isConvolution: [Bool], from deepest: Int,
                                  inPlace: Set<Int>) -> (start: Slot, steps: [PlannedStep]) {
            let fused = Set(forward.filter(\.fused).map(\.first))
            let start: Slot = inPlace.contains(deepest) ? .kept(deepest) : .work(0)
            var current = start
            var result: [PlannedStep] = []
            var i = deepest
            while i >= 0 {
                let first = i >= 1 && fused.contains(i - 1) ? i - 1 : i
                let destination: Slot
                if first == 0 {
                    destination = .input
                } else if isConvolution[first] && inPlace.contains(first - 1) {
                    destination = .kept(first - 1)  // a convolution adds its input gradient into that layer's own
                } else {
                    destination = current == .work(0) ? .work(1) : .work(0)
                }
                result.append(PlannedStep(first: first, last: i, destination: destination))
                current = destination
                i = first - 1
            }
            return (start, result)
        }

        /// Whether a convolution on an image of `height` x `width` runs on Winograd with whole 8-channel lanes of
        /// output, which its transforms need to write ReLU mask bytes and pool winners as they go.
        static func usesWinogradLanes(inChannels: Int, outChannels: Int, height: Int, width: Int, _ convolution: ConvAlgorithm) -> Bool {
            convolution.usesWinograd(inChannels: inChannels, height: height, width: width) && outChannels % 8 == 0
        }
    }
}

extension VGGArchitecture {
    /// The output shape `(H, W, C)` of every step for an input of `height` x `width` (pools round down): element i
    /// for `steps[i]`.
    public func outputShapes(height: Int, width: Int) -> [VGGNetwork.Shape] {
        let convs = convolutions
        var (h, w, c) = (height, width, 3)
        return steps.map { _, step in
            switch step {
            case .conv(let i): c = convs[i].outChannels
            case .pool: (h, w) = (h / 2, w / 2)
            }
            return (h, w, c)
        }
    }
}
