import Dispatch
import Foundation
import Imaging
import NeuralCore
import SafeIO

/// How fast this machine evaluates the objective, measured in a few seconds and kept per machine and weights, so
/// that a plan's time can be estimated before it runs (`RunPlan.estimatedSeconds`).
///
/// Model: one evaluation at a size costs `fixed + perMultiply · M`, where M is the multiply-adds of the forward
/// pass and the input gradient of every convolution up to the deepest loss layer (`RunPlan.multiplies`); each
/// optimizer step adds `perVectorValue · n · (4 m + 20)` for n values and m pairs (the two-loop recursion reads
/// 4 m n values, the line search and bookkeeping about 20 n). At sizes whose kernels the network does not keep
/// (`WinogradKernelCache.automaticBudget`), an evaluation adds `kernelTransforms`, the time to transform every
/// kernel on use (a constant: it depends on the channels, not on the size), or the share of it that a partial budget
/// leaves to be made (`WinogradKernelCache.holding`).
public struct TimeCalibration: Sendable, Equatable, Codable {
    /// The largest calibration cache read: 1 MiB, far above the few hundred bytes of an entry per network and
    /// convolution, so that a wrong file is refused before it is parsed.
    static let cacheFileLimit = 1 << 20

    public var fixed: Double
    public var perMultiply: Double
    public var perVectorValue: Double
    public var kernelTransforms: Double

    public init(fixed: Double, perMultiply: Double, perVectorValue: Double, kernelTransforms: Double) {
        (self.fixed, self.perMultiply, self.perVectorValue, self.kernelTransforms) = (fixed, perMultiply, perVectorValue, kernelTransforms)
    }

    /// Square sizes the calibration evaluates at: two, so that both terms of the model are fitted, far apart so
    /// that the slope is not lost in the noise of the small one.
    public static let sizes = [96, 256]
    /// Timed evaluations per size (after one untimed, which plans the buffers and fills the kernel cache); the
    /// median is kept. With 3 evaluations at 96 and 192 px and their mean, five calibrations of one machine
    /// estimated the same 4096 px plan at 18m46s to 32m21s (it took 21m38s).
    public static let evaluations = 5

    /// Times the objective of `preset`'s layers on `network` (a few seconds) and fits the model.
    public static func measure(network: VGGNetwork, preset: Preset) -> TimeCalibration {
        var points: [(multiplies: Double, seconds: Double)] = []
        var transforms = 0.0
        for size in sizes {
            var t = Tensor(height: size, width: size, channels: 3)
            var rng = SplitMix64(seed: UInt64(size))
            for i in 0 ..< t.count { t.data[i] = Float(rng.nextUniform() * 255) }
            let objective = StyleObjective(network: network, preset: preset, content: t, styles: [t], blend: [1])
            var gradient = [Float](repeating: 0, count: t.count)
            func once() { t.data.withUnsafeBufferPointer { x in gradient.withUnsafeMutableBufferPointer { _ = objective.evaluate(x, gradient: $0) } } }
            func median() -> Double {
                once()
                var times: [Double] = []
                for _ in 0 ..< evaluations {
                    let start = DispatchTime.now().uptimeNanoseconds
                    once()
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
                }
                return times.sorted()[times.count / 2]
            }
            let seconds = median()
            if size == sizes[0], network.convolution != .im2col {
                // The same evaluations with every kernel transformed on use, as at sizes whose kernels are not kept.
                let kept = network.winogradKernels.budgetBytes
                network.winogradKernels.budgetBytes = 0
                transforms = max(0, median() - seconds)
                network.winogradKernels.budgetBytes = kept
            }
            let size = RunPlan.Size(width: size, height: size)
            points.append((Double(RunPlan.multiplies(size, layers: preset.styleLayers.map(\.layer) + [preset.contentLayer],
                                                     architecture: network.architecture)), seconds))
        }
        let (a, b) = (points[0], points[1])
        let slope = max(0, (b.seconds - a.seconds) / (b.multiplies - a.multiplies))
        let fixed = max(0, a.seconds - slope * a.multiplies)
        // Vector work: a pass of x += a y over 4 M values, as the two-loop recursion does.
        let n = 4 << 20
        var x = [Float](repeating: 1, count: n), y = [Float](repeating: 0.5, count: n)
        var best = Double.infinity
        for _ in 0 ..< 3 {
            let start = DispatchTime.now().uptimeNanoseconds
            x.withUnsafeMutableBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in
                _ = VectorOps.update(xb, adding: 1e-3, times: UnsafeBufferPointer(yb), scale: 1, thenDotWith: UnsafeBufferPointer(yb))
            } }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return TimeCalibration(fixed: fixed, perMultiply: slope, perVectorValue: best / Double(n), kernelTransforms: transforms)
    }

    /// What identifies this machine for a calibration: host name, processor model, processor count, the
    /// OpenBLAS thread setting and core, and the ISA of the project's kernels (each changes the speed).
    public static var machine: String {
        let threads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "default"
        return "\(ProcessInfo.processInfo.hostName) | \(Processor.modelName) | \(ProcessInfo.processInfo.activeProcessorCount) cores"
            + " | OpenBLAS threads \(threads) | core \(BLASCore.name) | kernels \(VectorISA.kernels)"
    }

    /// The cache file: `$XDG_CACHE_HOME/stylize/calibration.json`, else `$HOME/.cache/stylize/calibration.json`;
    /// nil (no cache) when neither names an absolute folder, so that an unset or empty `HOME` never makes the cache
    /// a file of the current folder (the XDG Base Directory rule: relative paths are ignored).
    public static var cachePath: String? {
        let env = ProcessInfo.processInfo.environment
        let absolute = { (path: String?) in path.flatMap { $0.hasPrefix("/") ? $0 : nil } }
        guard let base = absolute(env["XDG_CACHE_HOME"])
                ?? absolute(env["HOME"]).map({ ($0 as NSString).appendingPathComponent(".cache") }) else { return nil }
        return ((base as NSString).appendingPathComponent("stylize") as NSString).appendingPathComponent("calibration.json")
    }

    /// The key of a calibration in the cache: the machine, the weights' fingerprint, the convolution method and the
    /// calibration's version (3: 96 and 256 px, medians of 5, and the kernel transforms), so that older calibrations are made again.
    public static func key(weights: UInt64, convolution: ConvAlgorithm) -> String {
        "\(machine) | weights \(FNV1a.hex(weights)) | \(convolution) | calibration 3"
    }

    /// What makes this calibration unusable, or nil: a coefficient that is not finite or not plausible. The
    /// bounds are far beyond any machine: an evaluation's fixed cost and the kernel transforms at most an hour, a
    /// multiply-add at most a microsecond (10^4 times this 2-core machine's 1e-10 s), a vector value at most a
    /// millisecond. `measure` never gives a negative coefficient, and the per-value costs are above 0 (measured times).
    public var problem: String? {
        let checks: [(name: String, value: Double, range: ClosedRange<Double>, positive: Bool)] = [
            ("fixed", fixed, 0...3600, false), ("perMultiply", perMultiply, 0...1e-6, true),
            ("perVectorValue", perVectorValue, 0...1e-3, true), ("kernelTransforms", kernelTransforms, 0...3600, false),
        ]
        for c in checks where !(c.value.isFinite && c.range.contains(c.value) && (!c.positive || c.value > 0)) {
            return "\(c.name) = \(c.value) is not in \(c.positive ? "(" : "[")\(c.range.lowerBound), \(c.range.upperBound)]"
        }
        return nil
    }

    /// The cached calibration for `key`, if any, and a warning naming the cache file when it cannot be used: a
    /// file that is not a calibration cache, or an entry with an implausible number (`problem`). A missing file or
    /// key, or no cache (`cachePath` nil), is no calibration and no warning. An unusable entry is made again by the
    /// next dry run, which replaces it.
    /// - Parameter path: the cache file (`cachePath`, or another for tests).
    public static func cached(key: String, path: String? = cachePath) -> (calibration: TimeCalibration?, warning: String?) {
        guard let path, FileManager.default.fileExists(atPath: path) else { return (nil, nil) }
        let ignored = "ignored; the next --dry-run calibrates this machine again"
        let all: [String: TimeCalibration]
        do {
            let bytes = try InputFile.contents(of: path, limit: TimeCalibration.cacheFileLimit, what: "calibration caches", protected: false)
            all = try JSONDecoder().decode([String: TimeCalibration].self, from: Data(bytes))
        } catch let error as FileAccessError {
            return (nil, "\(path): \(error.problem); \(ignored)")
        } catch {
            return (nil, "\(path): not a calibration cache (it does not hold calibrations with numbers); \(ignored)")
        }
        guard let found = all[key] else { return (nil, nil) }
        if let problem = found.problem { return (nil, "\(path): the calibration of this machine is damaged (\(problem)); \(ignored)") }
        return (found, nil)
    }

    /// Adds this calibration to the cache under `key` (creating the folder), atomically. Failures are not errors:
    /// the cache only saves the next run a few seconds. The cache is read unprotected (`InputFile`'s `protected`), or
    /// the guard against overwriting an input would refuse this write once the file exists.
    /// - Returns: whether the cache file was written.
    @discardableResult
    public func store(key: String) -> Bool {
        guard let path = TimeCalibration.cachePath else { return false }
        var all: [String: TimeCalibration] = [:]
        if let bytes = try? InputFile.contents(of: path, limit: TimeCalibration.cacheFileLimit, what: "calibration caches", protected: false),
           let old = try? JSONDecoder().decode([String: TimeCalibration].self, from: Data(bytes)) { all = old }
        all[key] = self
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? encoder.encode(all), (try? StagedFile.write(Array(data), to: path)) != nil else { return false }
        return true
    }
}

extension TimeCalibration {
    /// Reads older entries of the cache file too (they have no `kernelTransforms`), so that storing a new one keeps them.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        fixed = try c.decode(Double.self, forKey: .fixed)
        perMultiply = try c.decode(Double.self, forKey: .perMultiply)
        perVectorValue = try c.decode(Double.self, forKey: .perVectorValue)
        kernelTransforms = try c.decodeIfPresent(Double.self, forKey: .kernelTransforms) ?? 0
    }
}

extension RunPlan {
    /// Multiply-adds of one evaluation for an image of `size`: the forward pass of every convolution up to the
    /// deepest of `layers`, and the input gradient of each (the same count), except the first convolution's
    /// gradient, which is still needed (the image is the variable).
    public static func multiplies(_ size: Size, layers: [String], architecture: VGGArchitecture) -> Int {
        let summary = architecture.layerSummary(includeTop: false, inputSize: (size.height, size.width))
        let used = Set(layers)
        guard let deepest = summary.lastIndex(where: { used.contains($0.name) }) else { return 0 }
        let convs = Dictionary(uniqueKeysWithValues: architecture.convolutions.map { ($0.name, $0) })
        var total = 0
        for row in summary.prefix(deepest + 1) {
            guard let conv = convs[row.name], let h = row.shape[1], let w = row.shape[2] else { continue }
            total += 2 * 9 * h * w * conv.inChannels * conv.outChannels
        }
        return total
    }

    /// The estimated seconds of the whole run on the calibrated machine: every scale's evaluation budget used up
    /// (a run that stops early takes less), its optimizer steps (about one per evaluation), and the forward passes
    /// that make the targets (the content and each style: about 2/5 of an evaluation each at their sizes).
    public func estimatedSeconds(_ c: TimeCalibration, architecture: VGGArchitecture) -> Double {
        var total = 0.0
        for scale in scales {
            let n = Double(scale.output.values)
            // Pairs held, averaged over the steps: one more per step up to the history length.
            let (m, e) = (Double(preset.history), Double(scale.evaluations))
            let meanPairs = m >= e ? (e - 1) / 2 : (m * (m - 1) / 2 + m * (e - m)) / e
            let evaluation = evaluationSeconds(c, architecture: architecture, size: scale.output, tile: scale.tile)
            total += Double(scale.evaluations) * (evaluation + c.perVectorValue * n * (4 * meanPairs + 20))
            total += 0.4 * (evaluation + scale.styles.reduce(0) { $0 + evaluationSeconds(c, architecture: architecture, size: $1, tile: scale.tile) })
        }
        return total
    }

    /// The estimated seconds of one evaluation of the objective at `size` (the optimizer's step not included);
    /// tile by tile where the plan's grid has several tiles: each tile's region evaluated, plus the first pass (a
    /// forward pass, about half an evaluation) over every region again.
    public func evaluationSeconds(_ c: TimeCalibration, architecture: VGGArchitecture, size: Size, tile: Int?) -> Double {
        let (layers, names) = (lossLayers, layersRun(architecture: architecture))   // made once, not once per tile
        func whole(_ size: Size) -> Double {
            // The share of the kernels the automatic budget leaves to be transformed at each evaluation, on `auto`'s
            // layers (a calibration under `--conv im2col` measures no transforms at all).
            let used = RunPlan.winogradLayers(size, architecture: architecture, through: names, convolution: .auto)
            let held = WinogradKernelCache.holding(layers: used.map { ($0.inChannels, $0.outChannels) },
                                                   budget: WinogradKernelCache.automaticBudget(pixels: size.width * size.height))
            let transforms = held.total > 0 ? c.kernelTransforms * Double(held.made) / Double(held.total) : 0
            return c.fixed + transforms + c.perMultiply * Double(RunPlan.multiplies(size, layers: layers, architecture: architecture))
        }
        guard let grid = tileGrid(size, tile: tile, architecture: architecture), !grid.isSingle else { return whole(size) }
        return grid.tiles.reduce(0) { $0 + 1.5 * whole(Size(width: $1.region.width, height: $1.region.height)) }
    }
}

extension TimeCalibration {
    /// How far a run's evaluations may take longer or shorter than the calibration predicts before the calibration
    /// is corrected: a factor of 1.5, beyond the spread of one machine between runs (about 10 %) and of the model
    /// between sizes.
    public static let correctionFactor = 1.5
    /// The fewest evaluations a correction is judged on, so that the first evaluation's planning and kernel
    /// transforms do not decide it.
    public static let correctionEvaluations = 20

    /// The calibration a finished run's own timing calls for, or nil when it agrees with this one.
    ///
    /// A calibration measured while the machine was slowed without another program taking its processors (a
    /// profiler on the process, a neighbour on the host) makes every later estimate too long, and the busy check
    /// of `MachineLoad` cannot see it. A run whose `evaluations` took `observed` seconds in the objective where this
    /// calibration predicts `predicted` scales the per-evaluation terms by their ratio when it is beyond
    /// `correctionFactor` either way, the run had at least `correctionEvaluations` evaluations, and other programs
    /// took at most `MachineLoad.busyShare` of the machine while it ran (`othersShare`; nil: unknown, judged quiet,
    /// as a calibration is). The vector term, measured apart, is kept.
    public func corrected(observed: Double, predicted: Double, evaluations: Int, othersShare: Double?) -> TimeCalibration? {
        guard evaluations >= TimeCalibration.correctionEvaluations, observed.isFinite, predicted.isFinite, observed > 0, predicted > 0
        else { return nil }
        if let othersShare, othersShare > MachineLoad.busyShare { return nil }
        let ratio = observed / predicted
        guard ratio > TimeCalibration.correctionFactor || ratio < 1 / TimeCalibration.correctionFactor else { return nil }
        var c = self
        c.fixed *= ratio
        c.perMultiply *= ratio
        c.kernelTransforms *= ratio
        return c.problem == nil ? c : nil
    }
}
