// stylize-bench: times the VGG forward pass (per layer and whole) against the OpenBLAS sgemm
// peak measured in the same run, and one style-transfer iteration's network part
// (forwardForBackward + backward to block5_conv2).
//
// Usage: stylize-bench [--sizes 224,512] [--models vgg19,vgg16] [--repeat 3] [--threads N]
//                      [--backward-size 512] [--backward-layer block5_conv2] [--no-backward] [--scratch-mib 4]
//
// The sgemm peak is measured at the start and again at the end (the machine may be shared);
// percentages are relative to the higher of the two.
import Dispatch
import Foundation
import NeuralCore

/// Command-line options (plain `CommandLine.arguments`, no dependencies).
struct Options {
    var sizes = [224, 512]
    var models: [VGGArchitecture] = [.vgg19, .vgg16]
    var repeats = 3
    var threads: Int?
    var backwardSize = 512
    var backwardLayer = "block5_conv2"
    var backward = true
    var scratchMiB = 4

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var i = 1
        func value() -> String {
            i += 1
            guard i < arguments.count else { fail("\(arguments[i - 1]) needs a value") }
            return arguments[i]
        }
        func integers(_ text: String) -> [Int] {
            text.split(separator: ",").map { part in
                guard let n = Int(part), n > 0 else { fail("'\(part)' is not a positive integer") }
                return n
            }
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--sizes": options.sizes = integers(value())
            case "--models":
                options.models = value().split(separator: ",").map { name in
                    guard let arch = VGGArchitecture.named(String(name)) else { fail("unknown model '\(name)' (vgg16, vgg19)") }
                    return arch
                }
            case "--repeat": options.repeats = integers(value())[0]
            case "--threads": options.threads = integers(value())[0]
            case "--backward-size": options.backwardSize = integers(value())[0]
            case "--backward-layer": options.backwardLayer = value()
            case "--no-backward": options.backward = false
            case "--scratch-mib": options.scratchMiB = integers(value())[0]
            case "-h", "--help":
                print("usage: stylize-bench [--sizes 224,512] [--models vgg19,vgg16] [--repeat 3] [--threads N] [--backward-size 512] [--backward-layer block5_conv2] [--no-backward] [--scratch-mib 4]")
                exit(0)
            default: fail("unknown option '\(arguments[i])' (see --help)")
            }
            i += 1
        }
        return options
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write("stylize-bench: \(message)\n".data(using: .utf8)!)
    exit(2)
}

/// Seconds of the fastest of `repeats` runs of `body`.
func best(_ repeats: Int, _ body: () -> Void) -> Double {
    var fastest = Double.infinity
    for _ in 0 ..< max(1, repeats) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    return fastest
}

/// Peak resident memory of this process so far, in MiB (`ru_maxrss` is in KiB on Linux).
func peakMemoryMiB() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return right ? padding + text : text + padding
}

func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

/// GFLOP/s of one sgemm `(m, k) x (k, n)`, best of `repeats` (after a warm-up).
func sgemmRate(m: Int, n: Int, k: Int, repeats: Int) -> Double {
    var rng = SplitMix64(seed: 1)
    let a = (0 ..< m * k).map { _ in Float(rng.nextUniform()) }
    let b = (0 ..< k * n).map { _ in Float(rng.nextUniform()) }
    var c = [Float](repeating: 0, count: m * n)
    let seconds = best(repeats + 1) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    GEMM.multiply(m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n,
                                  c: c.baseAddress!, ldc: n)
                }
            }
        }
    }
    return 2 * Double(m) * Double(n) * Double(k) / seconds * 1e-9
}

/// The 1-minute load average (`/proc/loadavg`), to show whether the machine was shared.
func loadAverage() -> String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
    return String(text.split(separator: " ").first ?? "?")
}

/// A random preprocessed-looking input `(size, size, 3)` of scale 100.
func randomInput(_ size: Int, seed: UInt64) -> Tensor {
    var rng = SplitMix64(seed: seed)
    return Tensor(height: size, width: size, channels: 3,
                  data: (0 ..< size * size * 3).map { _ in Float(rng.nextUniform() * 200 - 100) })
}

let options = Options.parse(CommandLine.arguments)
if let threads = options.threads { GEMM.threadCount = threads }
print("stylize-bench: OpenBLAS \(GEMM.threadCount) thread(s) on \(GEMM.processorCount) core(s); best of \(options.repeats) runs; load average \(loadAverage())")
print("")

// 1. The sgemm peak, on squares and on the shape of a mid layer's band GEMM.
let workspaceBound = options.scratchMiB << 20
@MainActor func makeWorkspace() -> ConvWorkspace { ConvWorkspace(scratchLimitBytes: workspaceBound) }
let midSize = options.sizes.max() ?? 512
let midWidth = midSize / 4, midCin = 256, midCout = 256  // block3_conv2
let midBand = makeWorkspace().bandHeight(height: midWidth, width: midWidth, inChannels: midCin)
var gemmShapes = [(label: String, m: Int, n: Int, k: Int)]()
gemmShapes.append(("square 1024", 1024, 1024, 1024))
gemmShapes.append(("square 2048", 2048, 2048, 2048))
gemmShapes.append(("block3_conv2 @\(midSize) band", midBand * midWidth, midCout, 9 * midCin))
let firstBand = makeWorkspace().bandHeight(height: midSize, width: midSize, inChannels: 64)
gemmShapes.append(("block1_conv2 @\(midSize) band", firstBand * midSize, 64, 9 * 64))
/// Measures and prints the sgemm table; returns the best rate.
@MainActor func measureSgemm() -> Double {
    print("sgemm (OpenBLAS)                 M      N      K    GFLOP/s")
    var best = 0.0
    for shape in gemmShapes {
        let rate = sgemmRate(m: shape.m, n: shape.n, k: shape.k, repeats: max(5, options.repeats))
        best = max(best, rate)
        print("\(pad(shape.label, 26)) \(pad("\(shape.m)", 6, right: true)) \(pad("\(shape.n)", 6, right: true)) \(pad("\(shape.k)", 6, right: true))  \(pad(fixed(rate, 1), 9, right: true))")
    }
    return best
}
var peak = measureSgemm()
print("peak: \(fixed(peak, 1)) GFLOP/s (conv scratch bound \(workspaceBound >> 20) MiB)")
print("")
var table: [(label: String, flops: Double, seconds: Double)] = []

// 2. Forward to block5_pool, per layer and whole.
for arch in options.models {
    let network = VGGNetwork(weights: .random(architecture: arch, seed: 2024), workspace: makeWorkspace())
    for size in options.sizes {
        let input = randomInput(size, seed: 7)
        // Per layer: the same kernels the network runs, on the network's workspace.
        print("\(arch.name) forward \(size)x\(size)")
        print("layer           output              ms    GFLOP/s  % peak")
        var x = input
        var layerFlops = 0.0, layerSeconds = 0.0
        for (name, step) in arch.steps {
            var y = Tensor(height: 0, width: 0, channels: 0)
            var argmax: [Int32] = []
            var flops = 0.0
            let seconds: Double
            switch step {
            case .conv(let i):
                let w = network.weights.convolutions[i]
                flops = 2 * Double(x.height * x.width * 9 * w.inChannels * w.outChannels)
                seconds = best(options.repeats) {
                    Conv3x3.forward(x, weights: w, into: &y, workspace: network.workspace)
                }
            case .pool:
                seconds = best(options.repeats) { MaxPool2x2.forward(x, into: &y, argmax: &argmax) }
            }
            layerFlops += flops
            layerSeconds += seconds
            let rate = flops > 0 ? flops / seconds * 1e-9 : 0
            let shape = "(\(y.height), \(y.width), \(y.channels))"
            print("\(pad(name, 15)) \(pad(shape, 16)) \(pad(fixed(seconds * 1e3, 1), 8, right: true))  \(pad(flops > 0 ? fixed(rate, 1) : "-", 9, right: true))  \(pad(flops > 0 ? fixed(100 * rate / peak, 0) : "-", 6, right: true))")
            x = y
        }
        let whole = best(options.repeats) { _ = network.forward(input, outputs: ["block5_pool"]) }
        let wholeRate = layerFlops / whole * 1e-9
        print("sum of layers                    \(pad(fixed(layerSeconds * 1e3, 1), 8, right: true))  \(pad(fixed(layerFlops / layerSeconds * 1e-9, 1), 9, right: true))  \(pad(fixed(100 * layerFlops / layerSeconds * 1e-9 / peak, 0), 6, right: true))")
        print("VGGNetwork.forward               \(pad(fixed(whole * 1e3, 1), 8, right: true))  \(pad(fixed(wholeRate, 1), 9, right: true))  \(pad(fixed(100 * wholeRate / peak, 0), 6, right: true))")
        print("(\(fixed(layerFlops * 1e-9, 1)) GFLOP; scratch \(fixed(Double(network.workspace.scratchBytes) / 1048576, 1)) MiB; peak RSS so far \(fixed(peakMemoryMiB(), 0)) MiB)")
        print("")
        table.append(("\(pad(arch.name, 6)) \(pad("\(size)", 5, right: true))  forward to block5_pool", layerFlops, whole))
    }
}

// 3. One style-transfer iteration's network part: forwardForBackward + backward.
if options.backward, let arch = options.models.first {
    let size = options.backwardSize
    let layer = options.backwardLayer
    do { try arch.validate(layers: [layer]) } catch { fail("\(error)") }
    let network = VGGNetwork(weights: .random(architecture: arch, seed: 2024), workspace: makeWorkspace())
    let input = randomInput(size, seed: 8)
    var outputs: [String: Tensor] = [:]
    let forward = best(options.repeats) {
        outputs = [:]  // let go of last call's tensors so the network reuses its buffers
        outputs = network.forwardForBackward(input, outputs: [layer])
    }
    var rng = SplitMix64(seed: 9)
    let out = outputs[layer]!
    let gradient = Tensor(height: out.height, width: out.width, channels: out.channels,
                          data: (0 ..< out.count).map { _ in Float(rng.nextUniform() - 0.5) })
    outputs = [:]
    var dx = Tensor(height: 0, width: 0, channels: 0)
    let backward = best(options.repeats) { dx = network.backward([layer: gradient]) }
    precondition(dx.height == size)
    // FLOPs: the convolutions up to `layer`, once forward and once backward.
    var flops = 0.0, h = size, w = size
    for (name, step) in arch.steps {
        switch step {
        case .conv(let i):
            let c = network.weights.convolutions[i]
            flops += 2 * Double(h * w * 9 * c.inChannels * c.outChannels)
        case .pool: (h, w) = (h / 2, w / 2)
        }
        if name == layer { break }
    }
    print("\(arch.name) iteration \(size)x\(size) to \(layer)      ms    GFLOP/s  % peak")
    for (label, seconds) in [("forwardForBackward", forward), ("backward", backward), ("total", forward + backward)] {
        let rate = (label == "total" ? 2 * flops : flops) / seconds * 1e-9
        print("\(pad(label, 32)) \(pad(fixed(seconds * 1e3, 1), 8, right: true))  \(pad(fixed(rate, 1), 9, right: true))  \(pad(fixed(100 * rate / peak, 0), 6, right: true))")
    }
    print("(buffers kept for backward \(fixed(Double(network.bufferBytes) / 1048576, 0)) MiB)")
    print("")
    table.append(("\(pad(arch.name, 6)) \(pad("\(size)", 5, right: true))  fwd+bwd to \(layer)", 2 * flops, forward + backward))
}

let endPeak = measureSgemm()
print("sgemm peak: \(fixed(peak, 1)) GFLOP/s at the start, \(fixed(endPeak, 1)) at the end; load average \(loadAverage())")
peak = max(peak, endPeak)
print("")
print("summary (relative to sgemm peak \(fixed(peak, 1)) GFLOP/s; peak RSS \(fixed(peakMemoryMiB(), 0)) MiB; scratch bound \(workspaceBound >> 20) MiB)")
print("run                                         ms    GFLOP/s  % peak")
for row in table {
    let rate = row.flops / row.seconds * 1e-9
    print("\(pad(row.label, 40)) \(pad(fixed(row.seconds * 1e3, 0), 7, right: true))  \(pad(fixed(rate, 1), 9, right: true))  \(pad(fixed(100 * rate / peak, 0), 6, right: true))")
}
