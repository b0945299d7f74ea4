// One full style-transfer evaluation, exactly what the transfer does per evaluation: forward to
// the deepest loss layer, the content, style and TV losses, backward to the image. Each
// configuration runs in a child process of its own so that its peak RSS is its own.
import Foundation
import Imaging
import NeuralCore
import StyleTransfer

/// What one child measured.
struct EvaluationFigures: Codable {
    var arch: String
    var size: Int
    var conv: String
    var threads: Int
    /// Median and fastest wall seconds of one evaluation.
    var seconds: Double
    var fastest: Double
    /// Median process CPU seconds of one evaluation (all threads): with the wall time, shows
    /// whether the machine was shared (a quiet 2-thread run has CPU ≈ 2 × wall).
    var cpuSeconds: Double
    /// Median wall seconds inside the convolutions during one evaluation.
    var convolutionSeconds: Double
    /// Direct-convolution FLOPs of one evaluation (forward + input gradient, 2 · 9 · H · W · Cin · Cout each).
    var flops: Double
    var peakRSSMiB: Double
    /// RSS after the first evaluation and after the last: flat when nothing is allocated per evaluation.
    var rssAfterFirstMiB: Double
    var rssAfterLastMiB: Double
}

/// Current resident set size in MiB (`/proc/self/statm`, second field, in pages).
func currentRSSMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1048576
}

/// An image of the project's samples stretched to `size`x`size`, or seeded noise when absent.
func sampleImage(_ name: String, size: Int, seed: UInt64) -> Tensor {
    let root = ProcessInfo.processInfo.environment["STYLIZE_HOME"] ?? FileManager.default.currentDirectoryPath
    if let image = try? RGBImage(contentsOf: "\(root)/images/\(name)") {
        return Tensor(image.resized(width: size, height: size))
    }
    var rng = SplitMix64(seed: seed)
    return Tensor(height: size, width: size, channels: 3, data: (0 ..< size * size * 3).map { _ in Float(rng.nextUniform() * 255) })
}

/// Direct-convolution FLOPs of forward + input gradient through every convolution up to `layer`.
func evaluationFlops(_ arch: VGGArchitecture, weights: VGGWeights, size: Int, deepest layer: String) -> Double {
    var flops = 0.0, h = size, w = size
    for (name, step) in arch.steps {
        switch step {
        case .conv(let i):
            let c = weights.convolutions[i]
            flops += 2 * 2 * 9 * Double(h * w * c.inChannels * c.outChannels)
        case .pool: (h, w) = (h / 2, w / 2)
        }
        if name == layer { break }
    }
    return flops
}

/// The Winograd settings `--tune` takes, each `NAME=N` or `alternate-NAME=N`.
let tuningNames = ["block-tiles", "block-kib", "channels-per-tile", "cache-mib"]

/// One `--tune` setting: its name (without `alternate-`), value and whether it is an alternate's; stops with one line
/// on an unknown name or a value that is not a whole number from 0 to 2^20.
func tuningSetting(_ setting: String) -> (name: String, value: Int, alternate: Bool) {
    let parts = setting.split(separator: "=", omittingEmptySubsequences: false)
    let alternate = parts[0].hasPrefix("alternate-")
    let name = String(alternate ? parts[0].dropFirst("alternate-".count) : parts[0])
    guard tuningNames.contains(name) else {
        fail("--tune \(setting): unknown setting (\(tuningNames.joined(separator: ", ")), or alternate-NAME)")
    }
    guard parts.count == 2, let value = Int(parts[1]), (0 ... 1 << 20).contains(value) else {
        fail("--tune \(setting): needs a whole number from 0 to 1048576")
    }
    return (name, value, alternate)
}

/// Runs in the child: `repeats` evaluations of the default preset's objective after one warm-up.
func measureEvaluation(arch: VGGArchitecture, size: Int, conv: ConvAlgorithm, repeats: Int, tuning: [String]) -> EvaluationFigures {
    let weights = VGGWeights.random(architecture: arch, seed: 2024)
    // The measured setup, and with any `alternate-` setting a second one that starts as its copy.
    let workspace = ConvWorkspace(), other = ConvWorkspace()
    var cacheBytes: Int?, otherCacheBytes: Int?  // nil: the network's automatic budget
    var alternates: [String] = []
    for setting in tuning {
        let (name, value, alternate) = tuningSetting(setting)
        if alternate { alternates.append("\(name)=\(value)") }
        for (target, into) in [(workspace, false), (other, true)] where !alternate || into {
            switch name {
            case "block-tiles": target.winogradMinimumBlockTiles = max(1, value)
            case "block-kib": target.winogradBlockBytes = max(1, value) << 10
            case "channels-per-tile": target.winogradChannelsPerBlockTile = max(1, value)
            default: if into { otherCacheBytes = value << 20 } else { cacheBytes = value << 20 }   // cache-mib
            }
        }
    }
    if !alternates.isEmpty && otherCacheBytes == nil { otherCacheBytes = cacheBytes }
    let network = VGGNetwork(weights: weights, workspace: workspace, winogradCacheBytes: cacheBytes)
    network.convolution = conv
    let preset = Preset.builtIn
    let content = sampleImage("building.jpg", size: size, seed: 1)
    let style = sampleImage("starry_night.jpg", size: size, seed: 2)
    let objective = StyleObjective(network: network, preset: preset, content: content, styles: [style], blend: [1])
    let evaluate = evaluation(of: objective, at: content)
    evaluate()
    let rssAfterFirst = currentRSSMiB()
    if !alternates.isEmpty {
        let second = VGGNetwork(weights: weights, workspace: other, winogradCacheBytes: otherCacheBytes)
        alternate(second, label: alternates.joined(separator: ", "), against: "as set", conv: conv, preset: preset,
                  content: content, style: style, repeats: repeats, evaluate: evaluate)
    }
    var times: [Double] = [], convTimes: [Double] = [], cpuTimes: [Double] = []
    for _ in 0 ..< max(1, repeats) {
        let conv0 = network.convolutionSeconds
        let (start, cpu0) = (DispatchTime.now().uptimeNanoseconds, cpuSeconds())
        evaluate()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        cpuTimes.append(cpuSeconds() - cpu0)
        convTimes.append(network.convolutionSeconds - conv0)
    }
    let median = { (v: [Double]) in v.sorted()[v.count / 2] }
    return EvaluationFigures(arch: arch.name, size: size, conv: conv.rawValue, threads: GEMM.threadCount,
                             seconds: median(times), fastest: times.min()!, cpuSeconds: median(cpuTimes),
                             convolutionSeconds: median(convTimes),
                             flops: evaluationFlops(arch, weights: weights, size: size, deepest: preset.contentLayer),
                             peakRSSMiB: peakMemoryMiB(), rssAfterFirstMiB: rssAfterFirst, rssAfterLastMiB: currentRSSMiB())
}

/// Runs in the parent: one child process per configuration; nil (with a message) when a child fails.
func runEvaluationChild(arch: VGGArchitecture, size: Int, conv: ConvAlgorithm, repeats: Int, threads: Int,
                        tuning: [String]) -> EvaluationFigures? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0].contains("/")
        ? CommandLine.arguments[0] : "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = ["--child", "\(arch.name):\(size):\(conv.rawValue)", "--repeat", "\(repeats)", "--threads", "\(threads)"]
        + tuning.flatMap { ["--tune", $0] }
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch {
        print("(could not start a child: \(error))")
        return nil
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0,
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("EVAL ") }),
          let figures = try? JSONDecoder().decode(EvaluationFigures.self, from: Data(line.dropFirst(5).utf8)) else {
        print("(child for \(arch.name) \(size) \(conv.rawValue) failed with status \(process.terminationStatus))")
        return nil
    }
    return figures
}

/// Median seconds of one L-BFGS step with a full history on a `size`x`size` RGB image, in the pixel box, from
/// `optimizer-bench` beside this binary (0 with a message when it cannot be run).
func optimizerStepSeconds(size: Int, history: Int) -> Double {
    let me = URL(fileURLWithPath: CommandLine.arguments[0].contains("/") ? CommandLine.arguments[0] : "/proc/self/exe")
        .resolvingSymlinksInPath()
    let process = Process()
    process.executableURL = me.deletingLastPathComponent().appendingPathComponent("optimizer-bench")
    process.arguments = ["--width", "\(size)", "--height", "\(size)", "--history", "\(history)", "--box", "--steps", "10"]
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch {
        print("(optimizer-bench not found beside stylize-bench: build it with swift build -c release)")
        return 0
    }
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    // "optimizer step with a full history: median 46.1 ms, ..."
    guard let range = text.range(of: "median "), let end = text[range.upperBound...].range(of: " ms"),
          let ms = Double(text[range.upperBound ..< end.lowerBound]) else {
        print("(could not read optimizer-bench's output)")
        return 0
    }
    return ms / 1000
}

/// Milliseconds of `Gram.matrix` by sgemm and by ssyrk on the style layers' feature shapes of a `size`x`size`
/// VGG input (M = H·W rows, C channels), best of `repeats`.
func measureGram(size: Int, repeats: Int) -> [(label: String, gemm: Double, syrk: Double)] {
    let shapes = [(size, 64, "block1_conv1"), (size / 2, 128, "block2_conv1"), (size / 4, 256, "block3_conv1"),
                  (size / 8, 512, "block4_conv1"), (size / 16, 512, "block5_conv1")]
    var rng = SplitMix64(seed: 3)
    return shapes.map { side, c, name in
        let m = side * side
        let f = (0 ..< m * c).map { _ in Float(rng.nextUniform()) }
        var g = [Float](repeating: 0, count: c * c)
        var result: [Double] = []
        for method in [Gram.Method.gemm, .syrk] {
            let t = best(repeats) {
                f.withUnsafeBufferPointer { f in
                    g.withUnsafeMutableBufferPointer { g in
                        Gram.matrix(f.baseAddress!, rows: m, channels: c, scale: 1, into: g.baseAddress!, method: method)
                    }
                }
            }
            result.append(t.wall * 1e3)
        }
        return ("\(name) (\(m) x \(c))", result[0], result[1])
    }
}

/// One evaluation of `objective` (loss and gradient) at the image `x`, each call into the same gradient buffer.
func evaluation(of objective: StyleObjective, at x: Tensor) -> () -> Void {
    let pixels = x.data
    var gradient = [Float](repeating: 0, count: pixels.count)
    return {
        pixels.withUnsafeBufferPointer { x in gradient.withUnsafeMutableBufferPointer { g in _ = objective.evaluate(x, gradient: g) } }
    }
}

/// `--tune alternate-NAME=N` (with `--child`; NAME is any of `tuningNames`): the measured network against a second one
/// with those settings changed, in one process, one evaluation of each in turn (each pair in either order), and the
/// median of the pairs' ratios. On a machine whose speed drifts by tens of
/// percent between runs, separate runs cannot show a tenth; pairs a second apart can.
func alternate(_ kept: VGGNetwork, label: String, against: String, conv: ConvAlgorithm, preset: Preset, content: Tensor,
               style: Tensor, repeats: Int, evaluate: () -> Void) {
    kept.convolution = conv
    let evaluateKept = evaluation(of: StyleObjective(network: kept, preset: preset, content: content, styles: [style], blend: [1]),
                                  at: content)
    evaluateKept()
    var (a, b, ratios) = ([Double](), [Double](), [Double]())
    for round in 0 ..< max(1, repeats) {
        var (ta, tb) = (0.0, 0.0)
        for keptFirst in round % 2 == 0 ? [false, true] : [true, false] {
            let start = DispatchTime.now().uptimeNanoseconds
            if keptFirst { evaluateKept() } else { evaluate() }
            let t = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-6
            if keptFirst { tb = t } else { ta = t }
        }
        a.append(ta); b.append(tb); ratios.append(tb / ta)
    }
    let median = { (v: [Double]) in v.sorted()[v.count / 2] }
    print(String(format: "%@: median %.0f ms; %@: median %.0f ms (%d MiB of kernels held); "
                 + "ratio of %d pairs: median %.3f (%.3f-%.3f)", against, median(a), label, median(b), kept.winogradKernels.bytes >> 20,
                 ratios.count, median(ratios), ratios.min()!, ratios.max()!))
}
