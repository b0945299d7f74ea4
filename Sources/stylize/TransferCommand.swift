import ArgumentParser
import Foundation
import Imaging
import NeuralCore
import StyleTransfer

/// `stylize --content photo.jpg --style starry_night.jpg`: the main job.
struct TransferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Paint a content photo in the manner of one or more style images (the default command).",
        discussion: """
        Examples, from the repository or any folder (images/NAME not found here is
        read from the installed sample images):
          stylize --content images/building.jpg --style images/starry_night.jpg \\
                  --preset starry-night -o starry.png
          stylize --content images/building.jpg --style images/starry_night.jpg \\
                  --style images/baboon.jpg --style-blend 0.7,0.3 -o blend.jpg
        neural-style's single-dash flags (-content_image, -style_image,
        -num_iterations, -original_colors 1, ...) are read as these options.
        """)

    @Option(name: .long, help: "The content photo (PNG or JPEG).")
    var content: String

    @Option(name: .long, help: "Style image(s): comma-separated (a.jpg,b.jpg) or repeated (--style a.jpg --style b.jpg).")
    var style: [String]

    @Option(name: .long, help: "Blend weights of the style images, comma-separated (default: equal).")
    var styleBlend: String?

    @Option(name: .long, help: "Size of the style images relative to the output (preset: style_scale).")
    var styleScale: Double?

    @Option(name: [.short, .long], help: "Output image, .png or .jpg, in an existing folder (default: output/CONTENT-STYLE.png; output/ is created).")
    var output: String?

    @Option(name: .long, help: "Longest edge of the output in pixels, \(Preset.sizeRange.lowerBound)...\(Preset.sizeRange.upperBound) (preset: size).")
    var size: Int?

    @Option(name: .long, help: "Evaluation budget of the optimizer, per scale (preset: iterations).")
    var iterations: Int?

    @Option(name: .long, help: "Preset name (see `stylize presets`) or path to a preset .json file.")
    var preset: String = "default"

    @Option(name: .long, help: "Weight α of the content loss (preset: content_weight).")
    var contentWeight: Double?

    @Option(name: .long, help: "Weight β of the style loss (preset: style_weight).")
    var styleWeight: Double?

    @Option(name: .long, help: "Weight γ of the total-variation loss (preset: tv_weight).")
    var tvWeight: Double?

    @Option(name: .long, help: "Layer of the content loss, e.g. block5_conv2 or relu5_2 (preset: content_layer).")
    var contentLayer: String?

    @Option(name: .long, help: "Weight of one style layer, LAYER=WEIGHT; repeatable; 0 drops the layer.")
    var styleLayer: [String] = []

    @Option(name: .customLong("init"), help: "Starting image: content, noise (or random), style or a PATH (preset: init).")
    var initialization: String?

    @Option(name: .long, help: "Seed of the noise initialisation.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Keep the content's colours: transfer the style on luminance only.")
    var originalColors = false

    @Option(name: .long, help: "Coarse-to-fine sizes, comma-separated, e.g. 256,512 (preset: scales).")
    var scales: String?

    @Option(name: .long, help: "Evaluation budget of each scale, comma-separated, one per scale, e.g. 150,80 (preset: scale_iterations).")
    var scaleIterations: String?

    @Option(name: .long, help: "L-BFGS history length (preset: history).")
    var history: Int?

    @Option(name: .long, help: ArgumentHelp("How the loss terms are scaled: relative (each term against its target) or gatys (absolute, as in the PyTorch comparison) (preset: normalization).", valueName: "relative|gatys"))
    var normalization: LossNormalization?

    @Option(name: .long, help: ArgumentHelp("How L-BFGS stores its history: bfloat16 (half the memory) or float32.", valueName: "bfloat16|float32"))
    var historyPrecision: HistoryPrecision = .bfloat16

    @Flag(name: .long, help: "Let the optimizer move pixels outside 0...255 (clamped only when written), for comparisons with unbounded optimizers.")
    var noBox = false

    @Option(name: .long, help: "Write a numbered intermediate image every N steps.")
    var saveEvery: Int?

    @Option(name: .long, help: "Write one JSON line per step to this file.")
    var log: String?

    @Option(name: .long, help: "Write a self-contained HTML run report (pictures, loss curves, Gram comparisons, settings).")
    var report: String?

    @OptionGroup var network: NetworkOptions

    @Flag(name: .long, help: "Print only the final summary.")
    var quiet = false

    // MARK: - Validation

    func validate() throws {
        _ = Interrupt.shared   // from the start: a signal while loading stops cleanly too
        if let s = size { try checkSize(s) }
        if let n = iterations, n < 1 { throw CLIError("--iterations must be at least 1") }
        if let n = saveEvery, n < 1 { throw CLIError("--save-every must be at least 1") }
        if let n = history, !(1...1000).contains(n) { throw CLIError("--history must be in 1...1000") }
        for (name, v) in [("--content-weight", contentWeight), ("--style-weight", styleWeight), ("--tv-weight", tvWeight)] {
            if let v, !(v.isFinite && v >= 0) { throw CLIError("\(name) must be a finite number ≥ 0, not \(v)") }
        }
        if let s = styleScale, !(s.isFinite && s > 0 && s <= 8) { throw CLIError("--style-scale must be in (0, 8]") }
        guard !styleFiles.isEmpty, !styleFiles.contains(where: \.isEmpty) else {
            throw CLIError("--style needs one or more image paths, comma-separated, e.g. a.jpg,b.jpg")
        }
        if size != nil && scales != nil { throw CLIError("give --size or --scales, not both (the last scale is the output size)") }
        _ = try parsedScales()
        _ = try parsedStyleLayers()
        _ = try parsedBlend(count: styleFiles.count)
        let out = outputPath
        try OutputPath.checkFile(out, option: "-o", extensions: ["png", "jpg", "jpeg"])
        if let report { try OutputPath.checkFile(report, option: "--report", extensions: ["html"]) }
        try checkNoInputIsOverwritten()
    }

    /// Every file a run writes (output, report, log, numbered intermediates) against every file it reads
    /// (content, styles, --init, the preset, the weights).
    func checkNoInputIsOverwritten() throws {
        var roles = FileRoles()
        roles.reads = [(content, "--content")] + styleFiles.map { ($0, "--style") }
        if let i = initPath { roles.reads.append((i, "--init")) }
        if let file = Preset.file(of: preset) { roles.reads.append((file, "--preset")) }
        if let weights = try? WeightsLoader.locate(network.weights, projectRoot: ProjectPaths.root) {
            roles.reads.append((weights, "--weights"))
        }
        let out = outputPath
        roles.writes = [(out, "-o")] + [(report, "--report"), (log, "--log")].compactMap { path, option in path.map { ($0, option) } }
        if saveEvery != nil {
            let stem = ((out as NSString).deletingPathExtension as NSString).lastPathComponent, ext = (out as NSString).pathExtension
            let folder = (out as NSString).deletingLastPathComponent
            roles.folders.append((folder.isEmpty ? "." : folder, "--save-every",
                                  { $0.hasPrefix(stem + "-") && $0.hasSuffix("." + ext) }))
        }
        try roles.check()
    }

    /// Every `--style`, each split at its commas.
    var styleFiles: [String] {
        style.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) } }
    }

    /// `--init` as a mode (`content`, `noise`, `style`; `random` is `noise`), or nil for a path or no `--init`.
    var initMode: String? {
        guard let i = initialization else { return nil }
        if i == "random" { return "noise" }
        return ["content", "noise", "style"].contains(i) ? i : nil
    }

    /// `--init` as an image path, or nil.
    var initPath: String? { initMode == nil ? initialization : nil }

    var outputPath: String {
        if let output { return output }
        let c = URL(fileURLWithPath: content).deletingPathExtension().lastPathComponent
        let s = styleFiles.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }.joined(separator: "+")
        return "output/\(c)-\(s).png"
    }

    func parsedScales() throws -> [Int]? {
        guard let scales else { return nil }
        let values = scales.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }), zip(values, values.dropFirst()).allSatisfy({ $0! < $1! }) else {
            throw CLIError("--scales must be increasing sizes, comma-separated, e.g. 256,512")
        }
        for v in values { try checkSize(v!, option: "--scales") }
        return values.map { $0! }
    }

    func parsedStyleLayers() throws -> [(String, Double)] {
        try styleLayer.map { item in
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let w = Double(parts[1]), w.isFinite, w >= 0 else {
                throw CLIError("--style-layer \(item): expected LAYER=WEIGHT with a weight ≥ 0, e.g. block3_conv1=0.5")
            }
            return (VGGArchitecture.kerasName(parts[0]), w)
        }
    }

    func parsedBlend(count: Int) throws -> [Double] {
        guard let styleBlend else { return [Double](repeating: 1, count: count) }
        let values = styleBlend.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == count, values.allSatisfy({ $0 != nil && $0!.isFinite && $0! >= 0 }),
              values.reduce(0, { $0 + $1! }) > 0 else {
            throw CLIError("--style-blend needs \(count) non-negative weight(s), not all zero, for \(count) style image(s)")
        }
        return values.map { $0! }
    }

    /// The preset with every command-line override applied.
    func effectivePreset(weights: VGGWeights) throws -> Preset {
        let architecture = weights.architecture
        var p = try Preset.find(preset)
        if let v = contentWeight { p.contentWeight = v }
        if let v = styleWeight { p.styleWeight = v }
        if let v = tvWeight { p.tvWeight = v }
        if let v = contentLayer { p.contentLayer = VGGArchitecture.kerasName(v) }
        if let v = iterations { p.iterations = v }
        if let v = size { p = p.resized(to: v) }
        if let v = styleScale { p.styleScale = v }
        if let v = history { p.history = v }
        if let v = normalization { p.normalization = v }
        if originalColors { p.originalColors = true }
        if let s = try parsedScales() { p.scales = s }
        if iterations != nil || p.scaleIterations.count != p.scales.count { p.scaleIterations = [] }
        if let list = scaleIterations {
            let values = list.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == p.scales.count, values.allSatisfy({ $0 != nil && (1...100_000).contains($0!) }) else {
                throw CLIError("--scale-iterations needs one budget in 1...100000 per scale (\(p.scales.count) scale(s): \(p.scales.map(String.init).joined(separator: ",")))")
            }
            p.scaleIterations = values.map { $0! }
        }

        for (layer, w) in try parsedStyleLayers() {
            p.styleLayers.removeAll { $0.layer == layer }
            if w > 0 { p.styleLayers.append(.init(layer: layer, weight: w)) }
        }
        let names = architecture.lossLayerNames
        let inUse = "\(architecture.name) (the weights in use, \(weights.source)) has no layer"
        let valid = "its layers: \(names.joined(separator: ", ")) (or reluB_N for blockB_convN)"
        guard names.contains(p.contentLayer) else {
            let source = contentLayer.map { "--content-layer \($0)" } ?? "content_layer of preset \(p.name)"
            throw CLIError("\(source): \(inUse) \(p.contentLayer); \(valid)")
        }
        let fromCommandLine = Dictionary(try parsedStyleLayers().map { ($0.0, $0.1) }, uniquingKeysWith: { $1 })
        for l in p.styleLayers where !names.contains(l.layer) {
            let source = fromCommandLine[l.layer] != nil ? "--style-layer \(l.layer)=\(l.weight)" : "style_layers of preset \(p.name)"
            throw CLIError("\(source): \(inUse) \(l.layer); \(valid)")
        }
        guard !p.styleLayers.isEmpty else { throw CLIError("no style layer left with a weight above 0") }
        return p
    }

    // MARK: - Run

    func run() throws { try perform() }

    /// The whole transfer: reads, optimises, writes the output (and report, log) and prints the summary line.
    /// `stylize batch` calls it once per item, with its own `progress` (which shows the batch's line above).
    /// - Returns: the result; an interrupted run throws `ExitCode` after saving the best image so far.
    @discardableResult
    func perform(progress: ProgressDisplay? = nil) throws -> StylizeResult {
        let interrupt = Interrupt.shared
        let out = outputPath
        if output != nil { try checkWritableFolder(out) }
        for extra in [report, log].compactMap({ $0 }) { try checkWritableFolder(extra) }
        let contentImage = try readImage(content)
        let styleImages = try styleFiles.map { try readImage($0) }
        let initialization = try parsedInitialization()
        let weights = try network.loadWeights()
        var preset = try effectivePreset(weights: weights)
        if let i = initMode { preset.initialization = i }
        let blend = try parsedBlend(count: styleImages.count)
        try checkSizes(content: contentImage, styles: styleImages, preset: preset, architecture: weights.architecture)
        if output == nil {
            let outDir = (out as NSString).deletingLastPathComponent
            if !outDir.isEmpty { try? FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) }
            try checkWritableFolder(out)
        }
        let vgg = network.network(weights)
        let progress = progress ?? ProgressDisplay(quiet: quiet)
        progress.line("weights: \(weights.source)")
        progress.line("preset: \(preset.name) (content \(preset.contentWeight), style \(preset.styleWeight), tv \(preset.tvWeight), "
                      + "\(preset.iterations) evaluations" + (preset.scales.isEmpty ? ", \(preset.size) px)" : ", scales \(preset.scales))"))
        let logger = try log.map { try JSONLineLog(path: $0, styleWeight: preset.styleWeight) }
        if interrupt.isRequested {
            Console.error("stylize: stopped without saving (interrupted before the first step)\n")
            throw ExitCode(interrupt.exitStatus)
        }
        let stylizer = Stylizer(network: vgg, preset: preset)
        stylizer.pixelBox = !noBox
        stylizer.historyPrecision = historyPrecision
        let stem = (out as NSString).deletingPathExtension
        let ext = (out as NSString).pathExtension
        var saveFailure: Error?
        var contentAtScale: RGBImage?
        let result = stylizer.run(content: contentImage, styles: styleImages, blend: blend,
                                  initialization: initialization ?? .init(preset.initialization), seed: seed) { p, x in
            progress.step(p)
            logger?.write(p)
            if let n = saveEvery, p.iteration > 0, p.iteration % n == 0 {
                let name = String(format: "%@-%@%04d.%@", stem, p.scaleCount > 1 ? "s\(p.scaleIndex + 1)-" : "", p.iteration, ext)
                if contentAtScale?.width != p.width || contentAtScale?.height != p.height {
                    contentAtScale = contentImage.resized(width: p.width, height: p.height)
                }
                let picture = stylizer.outputImage(x, content: contentAtScale!)
                do { try picture.write(to: name) } catch { saveFailure = error; return false }
            }
            return !interrupt.isRequested
        }
        progress.finish()
        if let saveFailure { throw saveFailure }
        try result.image.write(to: out)
        try logger?.finish()
        if let report {
            let settings = describe(preset, blend: blend, weights: weights)
            let page = try TransferReport.make(result: result, preset: preset, content: contentImage, contentPath: content,
                                               styles: styleImages, stylePaths: styleFiles, blend: blend, network: vgg,
                                               settings: settings, stopReason: stopReason(result.stop))
            try AtomicFile.write(Array(try page.html().utf8), to: report)
            progress.line("report: \(report)")
        }
        let t = result.terms
        Console.output(String(format: "%@: %dx%d, %@, %@, %.1f s; loss %.4g (content %.4g, style %.4g, tv %.4g); %@\n",
                              out, result.image.width, result.image.height, counted(result.evaluations, "evaluation"),
                              counted(result.iterations, "step"), result.seconds, t.total, t.content, t.style, t.tv,
                              stopReason(result.stop)))
        if case .cancelled = result.stop { throw ExitCode(interrupt.exitStatus) }
        return result
    }

    /// Why the run ended, in the user's words: Ctrl-C or SIGTERM is "interrupted".
    func stopReason(_ stop: LBFGSStop) -> String {
        if case .cancelled = stop { return "stopped: interrupted; the best image so far was saved" }
        return stop.description
    }

    /// Every effective setting, for the report (the preset is shown on its own).
    func describe(_ p: Preset, blend: [Double], weights: VGGWeights) -> [(key: String, value: String)] {
        [("content", content), ("style", styleFiles.joined(separator: ", ")),
         ("style blend", blend.map { String($0) }.joined(separator: ", ")),
         ("output", outputPath), ("content weight", "\(p.contentWeight)"),
         ("style weight", "\(p.styleWeight)"), ("tv weight", "\(p.tvWeight)"), ("content layer", p.contentLayer),
         ("style layers", p.styleLayers.map { "\($0.layer)=\($0.weight)" }.joined(separator: ", ")),
         ("evaluations per scale", "\(p.iterations)"),
         ("size", p.scales.isEmpty ? "\(p.size)" : p.scales.map(String.init).joined(separator: " → ")),
         ("style scale", "\(p.styleScale)"), ("init", initPath ?? p.initialization), ("seed", "\(seed)"),
         ("original colors", "\(p.originalColors)"), ("L-BFGS history", "\(p.history)"), ("normalization", p.normalization.rawValue),
         ("pixel box", noBox ? "off (clamped on writing)" : "0...255 during optimisation"),
         ("weights", weights.source), ("architecture", weights.architecture.name),
         ("preprocessing", weights.preprocessing.rawValue)]
    }

    func parsedInitialization() throws -> Initialization? {
        if let path = initPath { return .image(try readImage(path)) }
        return initMode.map { .init($0) }
    }

    /// Refuses sizes that the pools shrink to nothing at a loss layer (content or style images), or whose buffers
    /// would not fit in this machine's memory, before allocating anything.
    func checkSizes(content: RGBImage, styles: [RGBImage], preset: Preset, architecture: VGGArchitecture) throws {
        let sizes = preset.scales.isEmpty ? [preset.size] : preset.scales
        func styleSize(_ style: RGBImage, _ size: Int) -> (Int, Int) {
            RGBImage.fittedSize(width: style.width, height: style.height,
                                longestEdge: max(16, Int((Double(size) * preset.styleScale).rounded())))
        }
        let smallest = sizes.min()!
        let (cw, ch) = RGBImage.fittedSize(width: content.width, height: content.height, longestEdge: smallest)
        for (name, (w, h)) in [("content", (cw, ch))] + zip(styleFiles, styles).map({ ($0, styleSize($1, smallest)) }) {
            let vanishing = Stylizer.vanishingLayers(width: w, height: h, preset: preset, architecture: architecture)
            if !vanishing.isEmpty {
                throw CLIError("\(name) at \(w)x\(h) is too small: \(vanishing.joined(separator: ", ")) would have no pixels left"
                               + " after the pools; choose a larger --size or --style-scale")
            }
        }
        let largest = sizes.max()!
        let (w, h) = RGBImage.fittedSize(width: content.width, height: content.height, longestEdge: largest)
        var need = Stylizer.estimatedBytes(width: w, height: h, preset: preset, architecture: architecture)
        // Fitting the content to the size needs a float buffer of (source height, output width, 3) for a moment.
        need += RGBImage.resizeWorkspaceBytes(from: (content.width, content.height), to: (w, h))
        for style in styles {
            let (sw, sh) = styleSize(style, largest)
            need += Stylizer.estimatedBytes(width: sw, height: sh, preset: preset, architecture: architecture, forwardOnly: true)
            need += RGBImage.resizeWorkspaceBytes(from: (style.width, style.height), to: (sw, sh))
        }
        let have = Int(ProcessInfo.processInfo.physicalMemory)
        let gib = { (b: Int) in String(format: "%.1f GiB", Double(b) / 1_073_741_824) }
        if Double(need) > 0.8 * Double(have) {
            throw CLIError("\(w)x\(h) needs about \(gib(need)) of memory, more than this machine's \(gib(have)) allows;"
                           + " choose a smaller --size, --style-scale or --history")
        }
    }

    /// Fails before any long work when the output's folder is missing or not writable (the default output's
    /// folder, `output/`, is created).
    func checkWritableFolder(_ path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let folder = dir.isEmpty ? "." : dir
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError("\(path): cannot write: folder \(folder)/ does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw CLIError("\(path): cannot write: folder \(folder)/ is not writable")
        }
    }
}

extension Initialization {
    /// content | noise | style (a path is handled by the caller).
    init(_ name: String) {
        switch name {
        case "noise": self = .noise
        case "style": self = .style
        default: self = .content
        }
    }
}
