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

    /// The column scratch of the convolutions (`ConvWorkspace`'s 4 MiB column buffer) and the losses' row block
    /// (`LayerLossScratch`, 4 MiB); the Winograd blocks come on top (`ConvWorkspace.winogradScratchBytes`).
    static let convolutionScratchBytes = 8 << 20

    /// The convolutions of the network up to the deepest of `names` that run on Winograd for an input of `size`
    /// (`ConvAlgorithm.usesWinograd`), each with its image's size, in the order of a forward pass.
    static func winogradLayers(_ size: Size, architecture: VGGArchitecture, through names: [String], convolution: ConvAlgorithm)
        -> [(height: Int, width: Int, inChannels: Int, outChannels: Int)] {
        let convs = Dictionary(architecture.convolutions.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        return architecture.layerSummary(includeTop: false, inputSize: (size.height, size.width)).compactMap { row in
            guard names.contains(row.name), let conv = convs[row.name], let h = row.shape[1], let w = row.shape[2],
                  convolution.usesWinograd(inChannels: conv.inChannels, height: h, width: w) else { return nil }
            return (h, w, conv.inChannels, conv.outChannels)
        }
    }

    /// The layers an evaluation runs: the network's, up to the deepest loss layer.
    func layersRun(architecture: VGGArchitecture) -> [String] {
        let rows = architecture.layerSummary(includeTop: false, inputSize: (1, 1))
        let deepest = rows.lastIndex { lossLayers.contains($0.name) } ?? rows.count - 1
        return rows.prefix(deepest + 1).map(\.name)
    }

    /// How an evaluation computes its convolutions at each scale: "auto: Winograd on 5 of 12 layers at 100x69,
    /// 9 of 12 at 200x138, im2col on the others" (`ConvAlgorithm.usesWinograd`).
    public func convolutionDescription(architecture: VGGArchitecture, convolution: ConvAlgorithm) -> String {
        guard convolution != .im2col else { return "im2col on every layer" }
        let names = layersRun(architecture: architecture)
        let convs = architecture.convolutions.filter { names.contains($0.name) }.count
        let counts = scales.map { scale in
            RunPlan.winogradLayers(regionSize(scale.output, tile: scale.tile, architecture: architecture),
                                   architecture: architecture, through: names, convolution: convolution).count
        }
        let perScale = zip(counts, scales).enumerated().map { i, pair in
            "\(pair.0)" + (i == 0 ? " of \(convs) layers" : "") + " at \(pair.1.output)" + (pair.1.tile != nil ? " (tiles)" : "")
        }
        return "\(convolution.rawValue): Winograd on " + perScale.joined(separator: ", ") + ", im2col on the others"
    }

    /// The peak memory of running this plan, following the memory plans of `VGGNetwork` (its own
    /// `VGGNetwork.MemoryPlan`: two working buffers, the loss layers' kept outputs, ReLU mask bits and pool winners), `WinogradKernelCache` (the transformed kernels of every layer with 64 or more input
    /// channels, one per layer, up to the budget for the input's size, or one reused buffer), `StyleObjective`
    /// (the preprocessed image, the content target, the Gram targets) and `LBFGS` (eight vectors of the image's
    /// size, seven without the pixel box, and a pair of vectors per step kept, at most `history` and at most one
    /// per evaluation: Floats, or bfloat16 plus the pending pair's two Float vectors).
    /// - Parameters:
    ///   - architecture: the network the plan runs on.
    ///   - convolution: how 3x3 layers are computed (im2col keeps no transformed kernels).
    ///   - winogradCacheBytes: the kernel cache's budget; nil: the network's automatic one for each input size.
    public func memoryEstimate(architecture: VGGArchitecture, convolution: ConvAlgorithm = .auto,
                               winogradCacheBytes: Int? = nil) -> MemoryEstimate {
        let float = MemoryLayout<Float>.stride
        let convs = architecture.convolutions
        let weights = convs.reduce(0) { $0 + (9 * $1.inChannels + 1) * $1.outChannels } * float
        let names = layersRun(architecture: architecture)

        // What the Winograd layers of the network up to the deepest loss layer hold for an input of `size`, each at
        // its own resolution: the transformed kernels, one per layer and direction, asked for in the order of a forward
        // then a backward pass, each kept while the budget allows, else transformed into the one reused buffer (as
        // large as the largest); and the blocks of every worker (`ConvWorkspace.winogradScratchBytes`).
        func winogradBytes(_ size: Size) -> (kernels: Int, scratch: Int) {
            let budget = winogradCacheBytes ?? WinogradKernelCache.automaticBudget(pixels: size.width * size.height)
            let used = RunPlan.winogradLayers(size, architecture: architecture, through: names, convolution: convolution)
            let held = WinogradKernelCache.holding(layers: used.map { ($0.inChannels, $0.outChannels) }, budget: budget)
            return (held.kept + held.transient, ConvWorkspace().winogradScratchBytes(layers: used))
        }

        /// The network's buffers for an image of `size` keeping `kept` layers, with or without what backward needs;
        /// for a tiled scale, those of the largest tile region (the buffers only grow, see `VGGNetwork`).
        func network(_ size: Size, kept: Set<String>, backward: Bool, tile: Int?) -> Int {
            let region = regionSize(size, tile: tile, architecture: architecture)
            return VGGNetwork.MemoryPlan(architecture: architecture, height: region.height, width: region.width, keeping: kept,
                                         backward: backward, convolution: convolution).bytes
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
        // (kernels, the rest) of each pass that may be the peak; the kernel cache's budget follows the input size.
        var peaks: [(kernels: Int, rest: Int)] = []
        for (index, scale) in scales.enumerated() {
            let n = scale.output.values
            let pairs = historyPairs(scale)
            let optimizer = optimizerBytes(scale)
            let objective = (n + layerValues(preset.contentLayer, scale.output)) * float + grams
                + regionBytes(scale.output, architecture: architecture)
            let previous = index > 0 ? scales[index - 1].output.values * float : 0
            // The start image, the current image handed to each report, and its copy for a checkpoint's state.
            let images = 2 * n * float + (outputs.checkpoint != nil ? (4 + 2 * pairs) * n * float : 0)
            // The style images at this scale stay decoded as tensors while the scale runs.
            let styleTensors = scale.styles.reduce(0) { $0 + $1.values } * float
            let evaluation = network(scale.output, kept: Set(lossLayers), backward: true, tile: scale.tile) + styleTensors
                + (scale.tile != nil ? regionSize(scale.output, tile: scale.tile, architecture: architecture).values * float : 0)
            let region = regionSize(scale.output, tile: scale.tile, architecture: architecture)
            let winograd = winogradBytes(region)
            peaks.append((winograd.kernels,
                          evaluation + objective + optimizer + previous + images + winograd.scratch))
            for style in scale.styles {
                // Its preprocessed copy as the targets are made.
                let styleRegion = regionSize(style, tile: scale.tile, architecture: architecture)
                let styleWinograd = winogradBytes(styleRegion)
                peaks.append((styleWinograd.kernels,
                              network(style, kept: styleLayers, backward: false, tile: scale.tile) + objective
                                  + styleTensors + style.values * float + styleWinograd.scratch))
            }
        }
        let peak = peaks.max { $0.kernels + $0.rest < $1.kernels + $1.rest } ?? (0, 0)
        let inputs = ([contentSize] + styleSizes + (initializationSize.map { [$0] } ?? [])).reduce(0) { $0 + 3 * $1.width * $1.height }
            + (regions != nil ? maskBytes : 0)
        var parts: [(String, Int)] = [("process", RunPlan.processBaselineBytes), ("weights", weights)]
        if peak.kernels > 0 { parts.append(("Winograd kernels", peak.kernels)) }
        parts.append(("decoded inputs", inputs))
        parts.append(("scratch", RunPlan.convolutionScratchBytes))
        parts.append(("network, losses and optimizer", peak.rest))
        return MemoryEstimate(parts: parts)
    }
}

extension RunPlan {
    /// The decoded mask images of a plan with regions (RGB, bytes): the content mask and the style masks, taken
    /// at the sizes of the images they mask (a mask of another size is resized to them).
    var maskBytes: Int {
        guard let regions else { return 0 }
        let styleMasks = zip(styleSizes, regions.styleMasks).reduce(0) { $0 + ($1.1 != nil ? 3 * $1.0.width * $1.0.height : 0) }
        return 3 * contentSize.width * contentSize.height + styleMasks
    }

    /// What regions add to a scale's objective at output size `size` (`RegionGuidance`): each region's mask at the
    /// output size and on every style layer's grid, its Gram targets (C² per style layer), with an unstyled
    /// region the hold's mask and the photo (four values a pixel), and the masked rows and their product in the
    /// losses' scratch (`LayerLossScratch.masked`, two blocks).
    func regionBytes(_ size: Size, architecture: VGGArchitecture) -> Int {
        guard let regions else { return 0 }
        let pixels = size.width * size.height
        let rows = architecture.layerSummary(includeTop: false, inputSize: (size.height, size.width))
        let perRegion = preset.styleLayers.reduce(pixels) { total, entry in
            guard let shape = rows.first(where: { $0.name == entry.layer })?.shape,
                  let h = shape[1], let w = shape[2], let c = shape[3] else { return total }
            return total + h * w + c * c
        }
        let hold = regions.regions.contains { $0.style == nil } ? 4 * pixels : 0
        return (regions.regions.count * perRegion + hold + 2 * LayerLossScratch.blockFloats) * MemoryLayout<Float>.stride
    }

    /// The pairs L-BFGS keeps at the end of a scale: one per step, at most `history` and at most one per
    /// evaluation after the first.
    func historyPairs(_ scale: Scale) -> Int { min(preset.history, max(0, scale.evaluations - 1)) }

    /// L-BFGS's vectors at a scale: eight of the image's size (seven without the pixel box) and a pair per step
    /// kept, at most `history` and at most one per evaluation (Floats, or bfloat16 plus the pending pair's two Float
    /// vectors), and the preconditioner's working memory during a step (under one image's size). With original
    /// colours the vectors hold the luminance, a third of this, and the picture's scratch (its RGB, gradient and
    /// chroma offsets, LuminanceTransfer.swift) stays under the difference, so the count is an upper bound.
    func optimizerBytes(_ scale: Scale) -> Int {
        let float = MemoryLayout<Float>.stride
        let n = scale.output.values
        let history = LBFGSHistory.bytes(count: n, capacity: historyPairs(scale), precision: historyPrecision)
        return ((pixelBox ? 8 : 7) + (preconditioned == true ? 1 : 0)) * n * float + history
    }

    /// The network's buffers of one evaluation of this plan for an image of `size`, whole: the network's own
    /// memory plan (`VGGNetwork.MemoryPlan`) keeping the loss layers, with its backward pass.
    func networkBytes(_ size: Size, architecture: VGGArchitecture, convolution: ConvAlgorithm = .auto) -> Int {
        VGGNetwork.MemoryPlan(architecture: architecture, height: size.height, width: size.width, keeping: lossLayers,
                              backward: true, convolution: convolution).bytes
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
