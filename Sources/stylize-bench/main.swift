// stylize-bench: times one full style-transfer evaluation (forward to the deepest loss layer,
// losses, backward to the image) for each model, size and convolution path against the OpenBLAS
// sgemm peak measured in the same run, with the share outside the convolutions and the peak RSS;
// optionally the forward pass per layer.
//
// Usage: stylize-bench [--models vgg19,vgg16] [--eval-sizes 256,512] [--conv im2col,auto,winograd]
//                      [--repeat 3] [--threads N] [--forward] [--sizes 224,512] [--scratch-mib 4]
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
    var forward = false
    var evaluationSizes = [256, 512]
    var scratchMiB = 4
    var conv: [ConvAlgorithm] = [.im2col, .auto]
    /// Internal: measure one evaluation `ARCH:SIZE:CONV` and print it as one `EVAL {json}` line.
    var child: (VGGArchitecture, Int, ConvAlgorithm)?
    /// Winograd tuning for the evaluations (`tuningSetting`): `block-tiles=N`, `block-kib=N`, `channels-per-tile=N`,
    /// `cache-mib=N`; with `--child`, `alternate-NAME=N` for any of those (`alternate`).
    var tuning: [String] = []

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
            case "--forward": options.forward = true
            case "--tune":
                let setting = value()
                _ = tuningSetting(setting)   // refused here, before any child starts
                options.tuning.append(setting)
            case "--eval-sizes": options.evaluationSizes = integers(value())
            case "--child":
                let parts = value().split(separator: ":").map(String.init)
                guard parts.count == 3, let arch = VGGArchitecture.named(parts[0]), let size = Int(parts[1]),
                      let conv = ConvAlgorithm(rawValue: parts[2]) else { fail("--child needs ARCH:SIZE:CONV") }
                options.child = (arch, size, conv)
            case "--scratch-mib": options.scratchMiB = integers(value())[0]
            case "--conv":
                options.conv = value().split(separator: ",").map { name in
                    guard let c = ConvAlgorithm(rawValue: String(name)) else { fail("unknown --conv '\(name)' (\(ConvAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")))") }
                    return c
                }
            case "-h", "--help":
                print("usage: stylize-bench [--models vgg19,vgg16] [--eval-sizes 256,512] [--conv im2col,auto,winograd] [--repeat 3] [--threads N] [--tune block-tiles=N|block-kib=N|channels-per-tile=N|cache-mib=N, and alternate-NAME=N for any of them] [--forward] [--sizes 224,512] [--scratch-mib 4]")
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

/// Wall-clock and process CPU seconds of a run.
struct Timing {
    var wall = Double.infinity
    var cpu = Double.infinity
    static func + (a: Timing, b: Timing) -> Timing { Timing(wall: a.wall + b.wall, cpu: a.cpu + b.cpu) }
}

/// CPU seconds this process has used, all threads (`CLOCK_PROCESS_CPUTIME_ID`, ns resolution).
func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// The fastest of `repeats` runs of `body`, in wall-clock and in CPU time (each the minimum).
func best(_ repeats: Int, _ body: () -> Void) -> Timing {
    var fastest = Timing()
    for _ in 0 ..< max(1, repeats) {
        let (start, cpuStart) = (DispatchTime.now().uptimeNanoseconds, cpuSeconds())
        body()
        fastest.wall = min(fastest.wall, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        fastest.cpu = min(fastest.cpu, cpuSeconds() - cpuStart)
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

/// Rates of a run against the sgemm peak: wall GFLOP/s, and GFLOP per CPU-second per thread
/// relative to sgemm's (robust when other processes share the cores).
struct Peak {
    var wall = 0.0
    var cpu = 0.0

    /// `ms  GFLOP/s  % peak  % peak(cpu)` columns for `flops` done in `t`.
    func columns(_ flops: Double, _ t: Timing, msDigits: Int = 1) -> String {
        let ms = pad(fixed(t.wall * 1e3, msDigits), 8, right: true)
        guard flops > 0 else { return "\(ms)  \(pad("-", 9, right: true))  \(pad("-", 6, right: true))  \(pad("-", 6, right: true))" }
        let rate = flops / t.wall * 1e-9, cpuRate = flops / t.cpu * 1e-9
        return "\(ms)  \(pad(fixed(rate, 1), 9, right: true))  \(pad(fixed(100 * rate / wall, 0), 6, right: true))  \(pad(fixed(100 * cpuRate / cpu, 0), 6, right: true))"
    }
}
let header = "      ms    GFLOP/s  % peak   % cpu"

/// Wall and CPU GFLOP/s of one sgemm `(m, k) x (k, n)`, best of `repeats` (after a warm-up).
func sgemmRate(m: Int, n: Int, k: Int, repeats: Int) -> (wall: Double, cpu: Double) {
    var rng = SplitMix64(seed: 1)
    let a = (0 ..< m * k).map { _ in Float(rng.nextUniform()) }
    let b = (0 ..< k * n).map { _ in Float(rng.nextUniform()) }
    var c = [Float](repeating: 0, count: m * n)
    let t = best(repeats + 1) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    // OpenBLAS' own threading: the peak is the library's figure.
                    GEMM.withBLASThreads(GEMM.threadCount) {
                        GEMM.multiply(m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n,
                                      c: c.baseAddress!, ldc: n)
                    }
                }
            }
        }
    }
    let flops = 2 * Double(m) * Double(n) * Double(k)
    return (flops / t.wall * 1e-9, flops / t.cpu * 1e-9)
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

BLASCore.correctByReexecuting(program: "stylize-bench")
let options = Options.parse(CommandLine.arguments)
if let threads = options.threads { GEMM.threadCount = threads }
if let (arch, size, conv) = options.child {
    let figures = measureEvaluation(arch: arch, size: size, conv: conv, repeats: options.repeats, tuning: options.tuning)
    print("EVAL " + String(decoding: try! JSONEncoder().encode(figures), as: UTF8.self))
    exit(0)
}
for line in ComputeReport.lines { print(line) }
print("stylize-bench: OpenBLAS \(GEMM.threadCount) thread(s) on \(GEMM.processorCount) core(s); best of \(options.repeats) runs; load average \(loadAverage())")
print("'% cpu' compares GFLOP per CPU-second with sgemm's, which holds when other processes share the cores.")
print("")

// 1. The sgemm peak, on squares and on the shapes of two layers' band GEMMs.
let workspaceBound = options.scratchMiB << 20
@MainActor func makeWorkspace() -> ConvWorkspace { ConvWorkspace(scratchLimitBytes: workspaceBound) }
let midSize = options.sizes.max() ?? 512
let midWidth = midSize / 4, midCin = 256, midCout = 256  // block3_conv2
let midBand = makeWorkspace().bandHeight(height: midWidth, width: midWidth, inChannels: midCin)
let firstBand = makeWorkspace().bandHeight(height: midSize, width: midSize, inChannels: 64)
let gemmShapes = [
    (label: "square 1024", m: 1024, n: 1024, k: 1024),
    (label: "square 2048", m: 2048, n: 2048, k: 2048),
    (label: "block3_conv2 @\(midSize) band", m: midBand * midWidth, n: midCout, k: 9 * midCin),
    (label: "block1_conv2 @\(midSize) band", m: firstBand * midSize, n: 64, k: 9 * 64),
]

/// Measures and prints the sgemm table; returns the best wall rate and the squares' best CPU rate.
@MainActor func measureSgemm() -> Peak {
    print("sgemm (OpenBLAS)                 M      N      K    GFLOP/s  GFLOP/cpu-s")
    var best = Peak()
    for shape in gemmShapes {
        let rate = sgemmRate(m: shape.m, n: shape.n, k: shape.k, repeats: max(5, options.repeats))
        best.wall = max(best.wall, rate.wall)
        // CPU peak from the squares only: a skinny GEMM may leave a thread idle, which raises
        // its GFLOP per CPU-second without being faster.
        if shape.label.hasPrefix("square") { best.cpu = max(best.cpu, rate.cpu) }
        print("\(pad(shape.label, 26)) \(pad("\(shape.m)", 6, right: true)) \(pad("\(shape.n)", 6, right: true)) \(pad("\(shape.k)", 6, right: true))  \(pad(fixed(rate.wall, 1), 9, right: true))  \(pad(fixed(rate.cpu, 1), 11, right: true))")
    }
    return best
}
var peak = measureSgemm()
print("peak: \(fixed(peak.wall, 1)) GFLOP/s, \(fixed(peak.cpu, 1)) GFLOP/cpu-s (conv scratch bound \(workspaceBound >> 20) MiB)")
print("")
var table: [(label: String, flops: Double, time: Timing)] = []

// 2. Forward to block5_pool, per layer and whole (on request).
for arch in options.forward ? options.models : [] {
    let network = VGGNetwork(weights: .random(architecture: arch, seed: 2024), workspace: makeWorkspace())
    for size in options.sizes {
        let input = randomInput(size, seed: 7)
        // Per layer: the same kernels the network runs, on the network's workspace.
        print("\(arch.name) forward \(size)x\(size)")
        print("layer           output          " + header)
        var x = input
        var layerFlops = 0.0, layerTime = Timing(wall: 0, cpu: 0)
        for (name, step) in arch.steps {
            var y = Tensor(height: 0, width: 0, channels: 0)
            var argmax: [UInt8] = []
            var flops = 0.0
            let t: Timing
            switch step {
            case .conv(let i):
                let w = network.weights.convolutions[i]
                flops = 2 * Double(x.height * x.width * 9 * w.inChannels * w.outChannels)
                t = best(options.repeats) { Conv3x3.forward(x, weights: w, into: &y, workspace: network.workspace) }
            case .pool:
                t = best(options.repeats) { MaxPool2x2.forward(x, into: &y, argmax: &argmax) }
            }
            layerFlops += flops
            layerTime = layerTime + t
            print("\(pad(name, 15)) \(pad("(\(y.height), \(y.width), \(y.channels))", 16))" + peak.columns(flops, t))
            x = y
        }
        let whole = best(options.repeats) { _ = network.forward(input, outputs: ["block5_pool"]) }
        print("sum of layers                   " + peak.columns(layerFlops, layerTime))
        print("VGGNetwork.forward              " + peak.columns(layerFlops, whole))
        print("(\(fixed(layerFlops * 1e-9, 1)) GFLOP; scratch \(fixed(Double(network.workspace.scratchBytes) / 1048576, 1)) MiB; peak RSS so far \(fixed(peakMemoryMiB(), 0)) MiB)")
        print("")
        table.append(("\(pad(arch.name, 6)) \(pad("\(size)", 4, right: true))  forward to block5_pool", layerFlops, whole))
    }
}

// Gram matrices: sgemm against ssyrk on the style layers' shapes (OpenBLAS' ssyrk has been slow on tall, skinny inputs).
for size in options.evaluationSizes {
    print("Gram matrix Fᵀ F at \(size)x\(size)           sgemm ms   ssyrk ms")
    for row in measureGram(size: size, repeats: max(3, options.repeats)) {
        print("\(pad(row.label, 36)) \(pad(fixed(row.gemm, 2), 8, right: true))  \(pad(fixed(row.syrk, 2), 9, right: true))")
    }
    print("")
}

// 3. One full evaluation per model, size and convolution path, each in a child process.
var evaluations: [EvaluationFigures] = []
for arch in options.models {
    for size in options.evaluationSizes {
        for conv in options.conv {
            guard let figures = runEvaluationChild(arch: arch, size: size, conv: conv, repeats: options.repeats,
                                                   threads: GEMM.threadCount, tuning: options.tuning) else { continue }
            evaluations.append(figures)
            print("evaluation \(arch.name) \(size)x\(size) \(conv.rawValue): \(fixed(figures.seconds * 1e3, 0)) ms (fastest \(fixed(figures.fastest * 1e3, 0))), convolutions \(fixed(figures.convolutionSeconds * 1e3, 0)) ms, peak RSS \(fixed(figures.peakRSSMiB, 0)) MiB, RSS after the first evaluation \(fixed(figures.rssAfterFirstMiB, 0)) MiB and after the last \(fixed(figures.rssAfterLastMiB, 0)) MiB")
        }
    }
}
print("")

let endPeak = measureSgemm()
print("sgemm peak: \(fixed(peak.wall, 1)) GFLOP/s at the start, \(fixed(endPeak.wall, 1)) at the end; load average \(loadAverage())")
peak = Peak(wall: max(peak.wall, endPeak.wall), cpu: max(peak.cpu, endPeak.cpu))
print("")
print("summary (sgemm peak \(fixed(peak.wall, 1)) GFLOP/s, \(fixed(peak.cpu, 1)) GFLOP/cpu-s; peak RSS \(fixed(peakMemoryMiB(), 0)) MiB; scratch bound \(workspaceBound >> 20) MiB)")
print("run                              " + header)
for row in table {
    print(pad(row.label, 33) + peak.columns(row.flops, row.time, msDigits: 0))
}
if !evaluations.isEmpty {
    // The optimizer's step at history 100 on each size (optimizer-bench, beside this binary), added to every row.
    var stepSeconds: [Int: Double] = [:]
    for size in Set(evaluations.map(\.size)) {
        stepSeconds[size] = optimizerStepSeconds(size: size, history: 100)
    }
    print("")
    print("one evaluation as the transfer pays it: forward to block5_conv2, losses, backward to the image, and one")
    print("L-BFGS step at history 100 in the pixel box (GFLOP/s of direct-conv work per second of all of it)")
    print("outside conv: the share of the objective (losses, Gram matrices, pools, masks, copies) outside the")
    print("convolutions, without the step; step: the L-BFGS step's share of the whole")
    print("model  size  conv          ms  of which step    GFLOP/s  x peak  x peak(cpu)  outside conv    step  peak RSS MiB")
    for e in evaluations {
        let step = stepSeconds[e.size] ?? 0
        let total = e.seconds + step
        let rate = e.flops / total * 1e-9
        print("\(pad(e.arch, 6)) \(pad("\(e.size)", 4, right: true))  \(pad(e.conv, 8)) \(pad(fixed(total * 1e3, 0), 7, right: true))  \(pad(fixed(step * 1e3, 1) + " ms", 13, right: true))  \(pad(fixed(rate, 1), 9, right: true))  \(pad(fixed(rate / peak.wall, 2), 6, right: true))  \(pad(fixed(e.flops / e.cpuSeconds * 1e-9 / peak.cpu, 2), 10, right: true))  \(pad(fixed(100 * (1 - e.convolutionSeconds / e.seconds), 1) + " %", 12, right: true))  \(pad(fixed(100 * step / total, 1) + " %", 6, right: true))  \(pad(fixed(e.peakRSSMiB, 0), 12, right: true))")
    }
}
