import Foundation
import NeuralCore

/// The peak memory a run needs, in parts, as `--dry-run` prints it.
public struct MemoryEstimate: Sendable, Equatable {
    /// Named parts in bytes, largest concern first; they add up to `bytes`.
    public var parts: [(name: String, bytes: Int)]
    /// The estimated peak resident size of the process.
    public var bytes: Int { parts.reduce(0) { $0 + $1.bytes } }

    public static func == (a: MemoryEstimate, b: MemoryEstimate) -> Bool {
        a.parts.map(\.name) == b.parts.map(\.name) && a.parts.map(\.bytes) == b.parts.map(\.bytes)
    }
}

extension RunPlan {
    /// Resident memory of the process besides the parts counted below: the Swift runtime, Foundation, OpenBLAS and
    /// its thread buffers, libpng/libjpeg, allocator slack. Fitted to peak RSS from `/usr/bin/time -v` (README, Run
    /// plans): with it the estimate was within 4% of the measured peak for VGG16 at 256 and 512 px and VGG19 at
    /// 384 px and 128 → 320 px.
    public static let processBaselineBytes = 48 << 20

    /// Column and Winograd tile scratch of the convolutions (`ConvWorkspace`: a 4 MiB column buffer and a 1 MiB
    /// Winograd block per worker) and the losses' row block (`LayerLossScratch`, 4 MiB).
    static let convolutionScratchBytes = 12 << 20

    /// The peak memory of running this plan, following the memory plans of `VGGNetwork` (two working buffers as
    /// large as the largest layer output up to the deepest loss layer, the loss layers' kept outputs, one ReLU mask
    /// bit per convolution output and one winner byte per pool output), `WinogradKernelCache` (the transformed
    /// kernels of every layer with 64 or more input channels, one per layer, up to its budget), `StyleObjective`
    /// (the preprocessed image, the content target, the Gram targets) and `LBFGS` (eight vectors of the image's
    /// size, seven without the pixel box, and a pair of vectors per step kept, at most `history` and at most one
    /// per evaluation: Floats, or bfloat16 plus the pending pair's two Float vectors).
    /// - Parameters:
    ///   - architecture: the network the plan runs on.
    ///   - convolution: how 3x3 layers are computed (im2col keeps no transformed kernels).
    ///   - winogradCacheBytes: the kernel cache's budget.
    public func memoryEstimate(architecture: VGGArchitecture, convolution: ConvAlgorithm = .winograd,
                               winogradCacheBytes: Int = WinogradKernelCache.defaultBudgetBytes) -> MemoryEstimate {
        let float = MemoryLayout<Float>.stride
        let convs = architecture.convolutions
        let weights = convs.reduce(0) { $0 + (9 * $1.inChannels + 1) * $1.outChannels } * float
        let rows = architecture.layerSummary(includeTop: false, inputSize: (1, 1))
        let deepest = rows.lastIndex { lossLayers.contains($0.name) } ?? rows.count - 1
        let names = rows.prefix(deepest + 1).map(\.name)

        // Transformed kernels: one per layer in network order (the input gradient reads the forward kernel), each
        // kept while the budget allows, else transformed into the one reused buffer (as large as the largest).
        var kernels = 0, transient = 0
        if convolution == .winograd {
            let used = convs.filter { names.contains($0.name) && $0.inChannels >= ConvAlgorithm.winogradMinimumInChannels }
            for conv in used {   // one kernel per layer: the input gradient reads it transposed
                let bytes = WinogradKernel.positions * conv.inChannels * conv.outChannels * float
                if kernels + bytes <= winogradCacheBytes { kernels += bytes } else { transient = max(transient, bytes) }
            }
        }

        /// The network's buffers for an image of `size` keeping `kept` layers, with or without what backward needs;
        /// for a tiled scale, those of the largest tile region (the buffers only grow, see `VGGNetwork`).
        func network(_ size: Size, kept: Set<String>, backward: Bool, tile: Int?) -> Int {
            RunPlan.networkBytes(regionSize(size, tile: tile, architecture: architecture), architecture: architecture,
                                 deepest: deepest, kept: kept, backward: backward)
        }
        /// Floats of one layer's output for an image of `size`.
        func layerValues(_ layer: String, _ size: Size) -> Int {
            guard let row = architecture.layerSummary(includeTop: false, inputSize: (size.height, size.width))
                .first(where: { $0.name == layer }) else { return 0 }
            return row.shape.compactMap { $0 }.reduce(1, *)
        }

        let styleLayers = Set(preset.styleLayers.map(\.layer))
        let grams = preset.styleLayers.reduce(0) { total, entry in
            let channels = architecture.layerSummary(includeTop: false, inputSize: (1, 1))
                .first { $0.name == entry.layer }?.shape.last.flatMap { $0 } ?? 0
            return total + channels * channels
        } * float
        // The largest scale decides; at each scale the style targets are made first (the network planned at a
        // style's size), then the evaluations run (planned at the output size).
        var peakRun = 0, styleForward = 0
        for (index, scale) in scales.enumerated() {
            let n = scale.output.values
            let pairs = min(preset.history, max(0, scale.evaluations - 1))
            let optimizer = optimizerBytes(scale)
            let objective = (n + layerValues(preset.contentLayer, scale.output)) * float + grams
            let previous = index > 0 ? scales[index - 1].output.values * float : 0
            // The start image, the current image handed to each report, and its copy for a checkpoint's state.
            let images = 2 * n * float + (outputs.checkpoint != nil ? (4 + 2 * pairs) * n * float : 0)
            // The style images at this scale stay decoded as tensors while the scale runs.
            let styleTensors = scale.styles.reduce(0) { $0 + $1.values } * float
            let evaluation = network(scale.output, kept: Set(lossLayers), backward: true, tile: scale.tile) + styleTensors
                + (scale.tile != nil ? regionSize(scale.output, tile: scale.tile, architecture: architecture).values * float : 0)
            peakRun = max(peakRun, evaluation + objective + optimizer + previous + images)
            for style in scale.styles {
                // Its preprocessed copy as the targets are made.
                styleForward = max(styleForward, network(style, kept: styleLayers, backward: false, tile: scale.tile) + objective
                                   + styleTensors + style.values * float)
            }
        }
        let inputs = ([contentSize] + styleSizes + (initializationSize.map { [$0] } ?? [])).reduce(0) { $0 + 3 * $1.width * $1.height }
        var parts: [(String, Int)] = [("process", RunPlan.processBaselineBytes), ("weights", weights)]
        if kernels + transient > 0 { parts.append(("Winograd kernels", kernels + transient)) }
        parts.append(("decoded inputs", inputs))
        parts.append(("scratch", RunPlan.convolutionScratchBytes))
        parts.append(("network, losses and optimizer", max(peakRun, styleForward)))
        return MemoryEstimate(parts: parts)
    }
}

extension RunPlan {
    /// The network's buffers (`VGGNetwork`'s memory plan) for an image of `size` up to layer index `deepest` of the
    /// summary, keeping `kept` layers' outputs, with or without what backward needs (masks, winners, the input
    /// gradient).
    static func networkBytes(_ size: Size, architecture: VGGArchitecture, deepest: Int, kept: Set<String>, backward: Bool) -> Int {
        let float = MemoryLayout<Float>.stride
        let summary = architecture.layerSummary(includeTop: false, inputSize: (size.height, size.width))
        var largest = size.values, keptCount = 0, maskBits = 0, winners = 0
        for row in summary.dropFirst().prefix(deepest) {
            let count = row.shape.compactMap { $0 }.reduce(1, *)
            largest = max(largest, count)
            if kept.contains(row.name) { keptCount += count }
            if row.kind == .conv { maskBits += count }
            if row.kind == .pool { winners += count }
        }
        var bytes = (2 * largest + keptCount) * float
        if backward { bytes += maskBits / 8 + winners + size.values * float }   // + the input gradient
        return bytes
    }

    /// L-BFGS's vectors at a scale: eight of the image's size (seven without the pixel box) and a pair per step
    /// kept, at most `history` and at most one per evaluation (Floats, or bfloat16 plus the pending pair's two Float
    /// vectors).
    func optimizerBytes(_ scale: Scale) -> Int {
        let float = MemoryLayout<Float>.stride
        let n = scale.output.values
        let pairs = min(preset.history, max(0, scale.evaluations - 1))
        let history = historyPrecision == .float32 ? 2 * pairs * n * float : 2 * pairs * n * 2 + 2 * n * float
        return (pixelBox ? 8 : 7) * n * float + history
    }

    /// The network's buffers of one evaluation of this plan for an image of `size`, whole.
    func networkBytes(_ size: Size, architecture: VGGArchitecture) -> Int {
        let rows = architecture.layerSummary(includeTop: false, inputSize: (1, 1))
        let deepest = rows.lastIndex { lossLayers.contains($0.name) } ?? rows.count - 1
        return RunPlan.networkBytes(size, architecture: architecture, deepest: deepest, kept: Set(lossLayers), backward: true)
    }

    /// The tiles of an image of `size` with cores of `tile` pixels, for this plan's loss layers; nil without a tile.
    func tileGrid(_ size: Size, tile: Int?, architecture: VGGArchitecture) -> TileGrid? {
        guard let tile, let deepest = architecture.deepest(of: lossLayers) else { return nil }
        return TileGrid(height: size.height, width: size.width, core: tile, architecture: architecture, deepestLayer: deepest)
    }

    /// The largest tile region of an image of `size` with cores of `tile` pixels (the image itself without tiles).
    func regionSize(_ size: Size, tile: Int?, architecture: VGGArchitecture) -> Size {
        guard let largest = tileGrid(size, tile: tile, architecture: architecture)?.largestRegion else { return size }
        return Size(width: largest.width, height: largest.height)
    }
}

/// Memory this machine can give a run now.
public enum AvailableMemory {
    /// `MemAvailable` of /proc/meminfo (what the kernel can hand out without swapping), else the physical memory.
    public static var bytes: Int {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kib = Int(line.split(separator: " ").dropFirst().first ?? "") {
            return kib.multipliedReportingOverflow(by: 1024).overflow ? Int.max : kib * 1024
        }
        return Int(clamping: ProcessInfo.processInfo.physicalMemory)
    }
}

/// "1.2 GiB", "340 MiB".
public func memoryText(_ bytes: Int) -> String {
    let mib = Double(bytes) / 1_048_576
    return mib >= 1024 ? String(format: "%.1f GiB", mib / 1024) : String(format: "%.0f MiB", mib)
}
