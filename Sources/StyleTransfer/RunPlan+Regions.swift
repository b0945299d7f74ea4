// Regions in a run: how a request's content mask and `--region` list become the plan's `RegionMap`, how the mask
// images travel with the inputs, and how each scale gets its masks (RegionMasks.swift).
import Imaging
import NeuralCore

/// What a caller asks for: the content mask and each region's colour, style path (nil: none) and weight, the style
/// images' masks by style path, and the feathering in output pixels.
public struct RegionRequest: Sendable, Equatable {
    public struct Region: Sendable, Equatable, Codable {
        public var color: RegionColor
        public var style: String?
        public var weight: Double
        public init(color: RegionColor, style: String?, weight: Double) {
            (self.color, self.style, self.weight) = (color, style, weight)
        }

        /// `STYLE[:WEIGHT]` or `none` (as `--region COLOR=...` and a preset's `regions` give it): the weight is the
        /// part after the last colon when it is a number (a path may hold colons otherwise); nil when empty.
        public init?(color: RegionColor, spec: String) {
            var style = spec
            var weight = 1.0
            if let colon = style.lastIndex(of: ":"), let w = Double(style[style.index(after: colon)...]) {
                weight = w
                style = String(style[..<colon])
            }
            guard !style.isEmpty else { return nil }
            self.init(color: color, style: style == "none" ? nil : style, weight: weight)
        }

        /// The region's `STYLE[:WEIGHT]` or `none`, as `init(color:spec:)` reads it.
        public var spec: String {
            (style ?? "none") + (weight == 1 ? "" : ":\(weight)")
        }
    }
    public var contentMask: String
    public var regions: [Region]
    public var styleMasks: [(style: String, mask: String)]
    public var feather: Double

    public init(contentMask: String, regions: [Region], styleMasks: [(style: String, mask: String)] = [], feather: Double = 0) {
        self.contentMask = contentMask
        self.regions = regions
        self.styleMasks = styleMasks
        self.feather = feather
    }

    public static func == (a: RegionRequest, b: RegionRequest) -> Bool {
        a.contentMask == b.contentMask && a.regions == b.regions && a.feather == b.feather
            && a.styleMasks.map(\.style) == b.styleMasks.map(\.style) && a.styleMasks.map(\.mask) == b.styleMasks.map(\.mask)
    }

    /// The request with `preset`'s regions when it names none (a content mask given without `--region`), else as it is.
    public func filled(from preset: Preset) -> RegionRequest {
        guard regions.isEmpty, let fromPreset = preset.regions else { return self }
        var filled = self
        filled.regions = fromPreset
        return filled
    }

    /// `styles` followed by the regions' styles not among them, in order: the run's style images.
    public func styleFiles(after styles: [String]) -> [String] {
        var files = styles
        for style in regions.compactMap(\.style) where !files.contains(style) { files.append(style) }
        return files
    }

    /// The style masks' paths in the order of `styles` (nil where a style has none).
    public func styleMaskFiles(for styles: [String]) -> [String?] {
        styles.map { style in styleMasks.last { $0.style == style }?.mask }
    }
}

extension RunInputs {
    /// Reads the content mask and the style masks a plan's regions name (nothing without regions).
    /// - Throws: the first error of `read`, which names the file.
    public mutating func readMasks(for regions: RegionMap?, using read: (String) throws -> RGBImage = { try RGBImage(contentsOf: $0) }) throws {
        guard let regions else { return }
        contentMask = try read(regions.contentMask)
        styleMasks = try regions.styleMasks.map { try $0.map(read) }
    }
}

extension RegionMap {
    /// The plan's regions for `request` with the run's styles `styles` (`RegionRequest.styleFiles(after:)`), checked
    /// against the decoded masks of `inputs`.
    /// - Returns: the map, or the problems, one line each.
    static func resolve(_ request: RegionRequest, styles: [String], inputs: RunInputs) -> (RegionMap?, [String]) {
        var problems: [String] = []
        let map = RegionMap(contentMask: request.contentMask,
                            regions: request.regions.map { Region(color: $0.color, style: $0.style.flatMap { styles.firstIndex(of: $0) }, weight: $0.weight) },
                            styleMasks: request.styleMaskFiles(for: styles), feather: request.feather)
        if request.regions.isEmpty {
            problems.append("--content-mask needs a --region COLOR=STYLE (or COLOR=none) for each colour of the mask, or a --preset with \"regions\"")
        }
        var seen: Set<RegionColor> = []
        for region in request.regions {
            if !seen.insert(region.color).inserted { problems.append("--region \(region.color) is given twice; give each colour once") }
            if !(region.weight.isFinite && region.weight > 0) {
                problems.append("--region \(region.color): the weight must be > 0, not \(region.weight)")
            }
        }
        let used = Set(request.regions.compactMap(\.style))
        for style in styles where !used.contains(style) {
            problems.append("--style \(style): with --content-mask each style belongs to a region; add --region COLOR=\(style) or drop it")
        }
        for entry in request.styleMasks where !used.contains(entry.style) {
            problems.append("--style-mask \(entry.style)=\(entry.mask): no --region uses the style \(entry.style)")
        }
        if !(request.feather.isFinite && (0 ... maximumFeather).contains(request.feather)) {
            problems.append("--mask-feather must be in 0...\(Int(maximumFeather)) pixels, not \(request.feather)")
        }
        problems += map.problems(inputs: inputs)
        return (problems.isEmpty ? map : nil, problems)
    }

    /// The problem of a region map's numbers (a plan read from a checkpoint is checked too): regions, weights > 0,
    /// the feather in range, style indices and style masks that match the plan's styles; nil when none.
    func rangeProblem(styleCount: Int) -> String? {
        let fine = !regions.isEmpty && regions.allSatisfy { $0.weight.isFinite && $0.weight > 0 && ($0.style.map { (0 ..< styleCount).contains($0) } ?? true) }
            && feather.isFinite && (0 ... RegionMap.maximumFeather).contains(feather) && styleMasks.count == styleCount
        return fine ? nil : "the regions' weights, feather or styles are out of range"
    }

    /// The problems of the decoded masks: the content mask split into the regions (`RegionMasks`), each style mask
    /// not empty.
    func problems(inputs: RunInputs) -> [String] {
        guard let mask = inputs.contentMask else { return ["the content mask \(contentMask) was not read"] }
        var problems: [String] = []
        // Without regions there is nothing to split the mask into (`resolve` has said so).
        if !regions.isEmpty {
            do { _ = try RegionMasks(mask: mask, colors: regions.map(\.color), path: contentMask) } catch { problems.append(error.description) }
        }
        for (path, image) in zip(styleMasks, inputs.styleMasks) {
            guard let path, let image else { continue }
            if LayerMask(grey: image).values.allSatisfy({ $0 == 0 }) {
                problems.append("\(path): the style mask is black everywhere, so it leaves none of its style; paint white where the style is taken")
            }
        }
        if inputs.styleMasks.count != styleMasks.count { problems.append("the style masks read do not match the plan's") }
        return problems
    }

    /// The regions at one scale: the content mask split, resized to `output` and feathered (`feather` scaled from
    /// the output size to this scale's), and each style mask resized to its style's size here.
    /// - Precondition: the masks of `inputs` passed `problems(inputs:)` (a plan's check).
    func scaleRegions(inputs: RunInputs, output: RunPlan.Size, styles: [RunPlan.Size], featherScale: Double) -> ScaleRegions {
        let split: RegionMasks
        do { split = try RegionMasks(mask: inputs.contentMask!, colors: regions.map(\.color), path: contentMask) } catch {
            preconditionFailure("the plan's masks were checked: \(error)")
        }
        let masks = split.resized(width: output.width, height: output.height, feather: feather * featherScale)
        let styleMasks = zip(inputs.styleMasks, styles).map { image, size in
            image.map { LayerMask(grey: $0.resized(width: size.width, height: size.height)) }
        }
        return ScaleRegions(regions: zip(regions, masks).map { .init(mask: $1, style: $0.style, weight: $0.weight) },
                            styleMasks: styleMasks)
    }
}

extension RunPlan {
    /// The regions of scale `index` for `inputs`, or nil for a plan without regions.
    func scaleRegions(_ index: Int, inputs: RunInputs) -> ScaleRegions? {
        guard let regions else { return nil }
        let scale = scales[index]
        return regions.scaleRegions(inputs: inputs, output: scale.output, styles: scale.styles,
                                    featherScale: Double(scale.longestEdge) / Double(scales[scales.count - 1].longestEdge))
    }
}
