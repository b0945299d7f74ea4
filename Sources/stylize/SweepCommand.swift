import ArgumentParser
import Foundation
import Imaging
import NeuralCore
import StyleTransfer
import Visualization

/// `stylize sweep`: the same transfer with preset values varied, as a labelled contact sheet at a preview size, and
/// the values a user picks written to a preset file.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Render a contact sheet of the transfer with preset values varied, to tune a preset by looking.",
        discussion: """
        Each --vary KEY=V1,V2,... varies one preset field (style_weight,
        content_weight, tv_weight, style_scale, iterations, history, init,
        content_layer, normalization), one style layer's weight
        (block3_conv1=0,1,4), the one style layer used
        (style_layer=block1_conv1,block5_conv1) or the preset itself
        (preset=default,strong-style). The first --vary runs along the columns,
        the others and several photos (--content a.jpg,b.jpg) down the rows.
        Every cell runs the preset's own schedule scaled to --size, so a 256 px
        preview looks like the full-size result with the same values.
          stylize sweep --content images/building.jpg \\
                        --style images/starry_night.jpg \\
                        --vary style_weight=0.1,1,10,100 --vary style_scale=0.5,1,2 \\
                        -o sweep.png
        Then save the cell you like (cells are numbered on the sheet, row by row
        from 1):
          stylize sweep --content images/building.jpg \\
                        --style images/starry_night.jpg \\
                        --vary style_weight=0.1,1,10,100 --vary style_scale=0.5,1,2 \\
                        --pick 6 --save-preset mine
        """)

    @Option(name: .long, help: "The content photo(s) (PNG or JPEG); several, comma-separated, make more rows.")
    var content: String

    var contentFiles: [String] { content.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    @Option(name: .long, help: "The style image (PNG or JPEG); with --content-mask, the regions' styles may stand instead.")
    var style: String?

    @OptionGroup(title: "Regions") var regions: RegionOptions

    /// The regions of the cells: `--content-mask` with its `--region`s, or with the preset's regions when the
    /// command line names none (`RegionRequest.filled(from:)`, as a transfer and a batch take them).
    func regionRequest(_ base: Preset) -> RegionRequest? { regions.request?.filled(from: base) }

    @Option(name: .long, help: "The preset the cells start from (name or .json path).")
    var preset: String = "default"

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("A field and its values, KEY=V1,V2,...; repeatable.", valueName: "key=values"))
    var vary: [String] = []

    @Option(name: .long, help: "Longest edge of each cell in pixels, 32...4096.")
    var size: Int = 256

    @Option(name: .long, help: "Evaluation budget per scale of every cell (default: the preset's).")
    var iterations: Int?

    @Option(name: [.short, .long], help: "The contact sheet, .png or .jpg (default: output/sweep-CONTENT-STYLE.png).")
    var output: String?

    @Option(name: .long, help: "Write the preset of sheet cell N (with --save-preset); nothing is rendered.")
    var pick: Int?

    @Option(name: .long, help: ArgumentHelp("Save the picked cell's values as a preset: a NAME in the user's preset folder, or a .json path.", valueName: "name"))
    var savePreset: String?

    @Flag(name: .long, help: "Let --save-preset replace an existing preset file.")
    var force = false

    @OptionGroup var network: NetworkOptions

    @Flag(name: .long, help: "Print the sweep's time (every cell) and peak memory (the largest cell), and write nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Print only the table of cells.")
    var quiet = false

    /// One varied field: the key as given, and its values as preset-file JSON values.
    struct Axis {
        var key: String
        var values: [Any]
        var labels: [String]
    }

    /// The preset fields a sweep varies over words and over numbers (`Preset.settings`).
    static let stringKeys = Set(Preset.settings.filter { $0.sweep == .words }.map(\.key))
    static let numberKeys = Set(Preset.settings.filter { $0.sweep == .numbers }.map(\.key))

    func axes() throws -> [Axis] {
        guard !vary.isEmpty else { throw CLIError("give at least one --vary KEY=V1,V2,... (e.g. --vary style_weight=0.1,1,10)") }
        return try vary.map { spec in
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else { throw CLIError("--vary \(spec): write KEY=V1,V2,..., e.g. style_weight=0.1,1,10") }
            let key = parts[0].hasPrefix("style_layers.") ? String(parts[0].dropFirst("style_layers.".count)) : parts[0]
            let labels = parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !labels.isEmpty, !labels.contains(where: \.isEmpty) else { throw CLIError("--vary \(spec): empty value in the list") }
            let isLayer = key.hasPrefix("block") || key.hasPrefix("relu")
            if Self.stringKeys.contains(key) || key == "preset" { return Axis(key: key, values: labels, labels: labels) }
            if key == "style_layer" { return Axis(key: key, values: labels.map(VGGArchitecture.kerasName), labels: labels) }
            guard Self.numberKeys.contains(key) || isLayer else {
                let known = (Self.numberKeys.union(Self.stringKeys).union(["preset", "style_layer"])).sorted().joined(separator: ", ")
                throw CLIError("--vary \(spec): \(key) cannot be varied (fields: \(known), or a layer such as block3_conv1)")
            }
            let numbers = try labels.map { label -> Double in
                guard let v = Double(label), v.isFinite else { throw CLIError("--vary \(spec): \(label) is not a number") }
                return v
            }
            return Axis(key: isLayer ? VGGArchitecture.kerasName(key) : key, values: numbers, labels: labels)
        }
    }

    /// Every cell's values, row-major: the first axis varies fastest (columns).
    static func cells(_ axes: [Axis]) -> [[Int]] {
        var cells: [[Int]] = [[]]
        for axis in axes.reversed() { cells = cells.flatMap { suffix in axis.values.indices.map { [$0] + suffix } } }
        return cells
    }

    /// The base preset with one cell's values applied (and checked as a preset file's fields are).
    static func preset(_ base: Preset, axes: [Axis], cell: [Int]) throws -> Preset {
        var fields: [String: Any] = [:]
        var layers = Dictionary(uniqueKeysWithValues: base.styleLayers.map { ($0.layer, $0.weight) })
        var touchesLayers = false
        for (axis, i) in zip(axes, cell) {
            if axis.key == "style_layer", let only = axis.values[i] as? String {
                layers = [only: 1]
                touchesLayers = true
            } else if axis.key.hasPrefix("block") {
                layers[axis.key] = axis.values[i] as? Double
                touchesLayers = true
            } else {
                fields[axis.key] = axis.values[i]
            }
        }
        if touchesLayers { fields["style_layers"] = layers }
        let source = "--vary " + label(axes, cell)
        var start = base
        if let name = zip(axes, cell).first(where: { $0.0.key == "preset" }).map({ $0.0.labels[$0.1] }) {
            start = try Preset.find(name)
        }
        fields.removeValue(forKey: "preset")
        return try start.applying(fields, source: source)
    }

    /// A cell's values, `KEY=VALUE` each.
    static func labels(_ axes: [Axis], _ cell: [Int]) -> [String] { zip(axes, cell).map { "\($0.key)=\($0.labels[$1])" } }

    static func label(_ axes: [Axis], _ cell: [Int]) -> String { labels(axes, cell).joined(separator: " ") }

    func validate() throws {
        _ = try axes()
        try checkSize(size)
        if let iterations { try checkRange(iterations, Preset.Limits.iterations, option: "--iterations") }
        try regions.validate()
        guard style != nil || regions.contentMask != nil else {
            throw CLIError("give --style FILE, or --content-mask FILE with a --region COLOR=STYLE for each colour")
        }
        if pick != nil && savePreset == nil { throw CLIError("--pick N chooses the cell that --save-preset writes; give --save-preset NAME too") }
        if let savePreset { _ = try Self.presetPath(savePreset) }
    }

    /// The file `--save-preset` writes: a path ending in `.json` as given, else `NAME.json` in the user's preset
    /// folder. A name must be a plain file name there: not empty, no `/` (`../../x` would leave the folder), not
    /// starting with `.` (hidden, or `.json` itself), no control characters.
    static func presetPath(_ name: String) throws -> String {
        if name.hasSuffix(".json") && name != ".json" { return name }
        if name.isEmpty || name.contains("/") || name.hasPrefix(".") || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw CLIError("--save-preset \(name.debugDescription): a preset name may not be empty, contain \"/\", start with \".\" or hold "
                           + "control characters; give a name such as mine, or a path ending in .json")
        }
        return (ProjectPaths.userPresets as NSString).appendingPathComponent(name + ".json")
    }

    func outputPath(styles styleFiles: [String]) -> String {
        if let output { return output }
        func stem(_ p: String) -> String { ((p as NSString).lastPathComponent as NSString).deletingPathExtension }
        return "output/sweep-\(contentFiles.map(stem).joined(separator: "+"))-\(styleFiles.map(stem).joined(separator: "+")).png"
    }

    func run() throws {
        let axes = try axes()
        let base = try Preset.find(preset)
        let cells = Self.cells(axes)
        if let savePreset { return try save(savePreset, base: base, axes: axes, cells: cells) }
        let asked = regionRequest(base), given = style.map { [$0] } ?? []
        // The run's style images: `--style`, then the regions' styles not among it.
        let styleFiles = asked?.styleFiles(after: given) ?? given
        let out = outputPath(styles: styleFiles)
        var roles = FileRoles()
        roles.reads = contentFiles.map { ($0, "--content") } + styleFiles.map { ($0, "--style") } + regions.reads
        if let file = Preset.file(of: preset) { roles.reads.append((file, "--preset")) }
        for axis in axes where axis.key == "preset" {
            roles.reads += axis.labels.compactMap { Preset.file(of: $0) }.map { ($0, "--vary preset") }
        }
        if let weights = network.weights, !weights.hasPrefix("random:") { roles.reads.append((weights, "--weights")) }
        roles.writes = [(out, "-o")]
        if output == nil { roles.madeFolders = ["output"] }
        try roles.check()
        let interrupt = Interrupt.shared
        // The cell's line rewritten in place on a terminal; nothing between the cells' lines otherwise (a log file).
        let live = !quiet && isatty(STDERR_FILENO) != 0
        let photos = try contentFiles.map { try readImage($0) }
        let styleImages = try styleFiles.map { try readImage($0) }
        // Every cell reads the photo, the styles and the regions' masks the same way: one set of inputs per photo.
        let inputs = try photos.map { photo -> RunInputs in
            var inputs = RunInputs(content: photo, styles: styleImages)
            if let asked {
                inputs.contentMask = try readImage(asked.contentMask)
                inputs.styleMasks = try asked.styleMaskFiles(for: styleFiles).map { try $0.map(readImage) }
            }
            return inputs
        }
        let weights = try network.loadWeights()
        let vgg = network.network(weights)
        // Each cell's preset as a preview at `size`: the output size and every coarse-to-fine scale scaled by one factor.
        let presets = try cells.map { cell -> Preset in
            var q = try Self.preset(base, axes: axes, cell: cell).resized(to: size)
            if let iterations { q.iterations = iterations; q.scaleIterations = [] }
            return q
        }
        let names = weights.architecture.lossLayerNames
        for p in presets {
            for layer in [p.contentLayer] + p.styleLayers.map(\.layer) where !names.contains(layer) {
                throw CLIError("\(weights.architecture.name) (the weights in use) has no layer \(layer); its layers: \(names.joined(separator: ", "))")
            }
        }
        // Each cell is a checked plan of its own, run through the same door as a transfer (`TransferRunner`): the
        // cell's preset as it stands (no command-line overrides); the sheet's path stands as its image, which a cell
        // never writes (`TransferRunner.writesFiles` off).
        let plans = try photos.indices.map { k in
            try zip(cells, presets).map { cell, p in
                var request = RunRequest(preset: p, content: contentFiles[k], styles: styleFiles, outputs: RunOutputs(image: out))
                request.convolution = network.conv
                request.regions = asked
                do {
                    return try RunPlan(request: request, inputs: inputs[k], architecture: weights.architecture)
                } catch let error as RunPlanError {
                    throw CLIError("sweep cell \(Self.label(axes, cell)): \(error)")
                }
            }
        }
        if dryRun {
            let plans = plans.flatMap { $0 }
            let calibration = TransferRunner.calibration(weights: weights, network: vgg, preset: presets[0], measure: true, again: false,
                                                  progress: ProgressDisplay(quiet: quiet))!
            let seconds = plans.map { $0.estimatedSeconds(calibration, architecture: weights.architecture) }.reduce(0, +)
            let peak = plans.map { $0.memoryEstimate(architecture: weights.architecture, convolution: network.conv).bytes }.max() ?? 0
            Console.output("sweep (dry run: nothing is computed or written): \(counted(plans.count, "cell")) at \(size) px into \(out)\n"
                           + "time: about \(durationText(seconds)) on this machine for every cell (every evaluation budget used up)\n"
                           + "memory: about \(memoryText(peak)) at the peak (the largest cell); \(memoryText(AvailableMemory.bytes)) available\n")
            return
        }
        if output == nil { try? FileManager.default.createDirectory(atPath: "output", withIntermediateDirectories: true) }
        if !quiet {
            Console.error("weights: \(weights.source)\nsweep: \(cells.count) cell(s) at \(size) px from preset \(base.name)\n")
        }
        var pictures: [RGBImage] = []
        var labels: [[String]] = []
        let total = photos.count * cells.count
        sweep: for (k, contentImage) in photos.enumerated() {
            let photo = contentImage.resized(longestEdge: size)
            for (cell, plan) in zip(cells, plans[k]) {
                if interrupt.isRequested { break sweep }
                let n = pictures.count + 1
                let started = Date()
                var run = TransferRunner(plan: plan, inputs: inputs[k], weights: weights,
                                  network: network, quiet: true)
                run.writesFiles = false
                run.sharedNetwork = vgg
                run.onStep = { progress, _ in
                    if live {
                        Console.error(String(format: "\r  cell %d/%d  scale %d/%d  %d/%d evaluations  loss %.4g   ",
                                             n, total, progress.scaleIndex + 1, progress.scaleCount,
                                             progress.evaluations, progress.evaluationBudget, progress.terms.total))
                    }
                    return false
                }
                let result: StylizeResult
                do {
                    guard let r = try run.execute(dryRun: false, fit: false) else { break sweep }
                    result = r
                } catch let exit as ExitCode where interrupt.isRequested {
                    _ = exit
                    break sweep
                }
                if case .cancelled = result.stop { break sweep }
                let distance = Self.meanAbsoluteDifference(result.image, photo.resized(width: result.image.width, height: result.image.height))
                pictures.append(result.image)
                let photoName = photos.count > 1 ? ((contentFiles[k] as NSString).lastPathComponent) + " " : ""
                labels.append(["\(n)" + (photos.count > 1 ? " " + photoName : "")] + Self.labels(axes, cell))
                let line = String(format: "%3d  %@%@  loss %.4g (content %.4g, style %.4g, tv %.4g)  distance from photo %.2f  %.0f s",
                                  n, photoName, Self.label(axes, cell), result.terms.total, result.terms.content, result.terms.style,
                                  result.terms.tv, distance, Date().timeIntervalSince(started))
                if live { Console.error("\r" + String(repeating: " ", count: 78) + "\r") }
                Console.output(line + "\n")
            }
        }
        guard !pictures.isEmpty else {
            Console.error("stylize: stopped without saving (interrupted before the first cell finished)\n")
            throw ExitCode(interrupt.exitStatus)
        }
        let sheet = try Self.sheet(pictures, labels: labels, columns: axes[0].values.count,
                                   title: "\(base.name): \(axes.map(\.key).joined(separator: " × "))")
        try sheet.write(to: out)
        Console.output("\(out): \(pictures.count) of \(total) cells; save one with --pick N --save-preset NAME\n")
        if interrupt.isRequested { throw ExitCode(interrupt.exitStatus) }
    }

    /// Mean absolute difference of two images of one size over every channel value, in 0...255.
    static func meanAbsoluteDifference(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "images of one size")
        var sum = 0
        for i in 0..<a.pixels.count { sum += abs(Int(a.pixels[i]) - Int(b.pixels[i])) }
        return Double(sum) / Double(max(1, a.pixels.count))
    }

    /// The cells with a label under each (the cell number, then one line per varied value), `columns` per row,
    /// and a title.
    static func sheet(_ pictures: [RGBImage], labels: [[String]], columns: Int, title: String) throws -> RGBImage {
        let font = try TextRenderer(pixelSize: 13)
        let labelled = pictures.enumerated().map { i, picture -> RGBImage in
            let lines = labels[i]
            let textWidth = lines.map { font.measure($0).width }.max() ?? 0
            var canvas = Canvas(width: max(picture.width, textWidth + 4), height: picture.height + lines.count * font.lineHeight + 4)
            canvas.paste(picture, x: (canvas.width - picture.width) / 2, y: 0)
            for (k, line) in lines.enumerated() {
                canvas.text(line, font, x: canvas.width / 2, y: picture.height + 2 + k * font.lineHeight, align: .center)
            }
            return canvas.image
        }
        return try ContactSheet.compose(labelled, columns: columns, title: title)
    }

    func save(_ name: String, base: Preset, axes: [Axis], cells: [[Int]]) throws {
        let total = cells.count * contentFiles.count
        let index = pick ?? 1
        guard pick != nil || total == 1 else {
            throw CLIError("--save-preset: the sweep has \(total) cells; choose one with --pick N (1...\(total))")
        }
        guard (1...total).contains(index) else { throw CLIError("--pick \(index): the sweep has cells 1...\(total)") }
        let cell = cells[(index - 1) % cells.count]
        var p = try Self.preset(base, axes: axes, cell: cell)
        let path = try Self.presetPath(name)
        p.name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        p.description = "\(base.name) with \(Self.label(axes, cell)) (saved by stylize sweep)"
        if let regions = (regionRequest(p)?.regions).flatMap({ $0.isEmpty ? nil : $0 }) ?? p.regions {
            // The regions' styles as absolute paths: the preset reads them relative to its own file.
            p.regions = regions.map { region in
                var r = region
                r.style = r.style.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
                return r
            }
        }
        if FileManager.default.fileExists(atPath: path) && !force {
            throw CLIError("\(path): a preset file exists there; give --force to replace it, or another name")
        }
        var roles = FileRoles()
        if let file = Preset.file(of: preset) { roles.reads = [(file, "--preset")] }
        roles.writes = [(path, "--save-preset")]
        roles.madeFolders = [(path as NSString).deletingLastPathComponent]
        try roles.check()
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try AtomicFile.write(p.fileBytes(), to: path)
        _ = try Preset.load(path: path)   // the file just written reads back as a preset
        Console.output("\(path): preset \(p.name) (\(Self.label(axes, cell))); use it with --preset \(name)\n")
    }
}
