import ArgumentParser
import StyleTransfer

/// `--region COLOR=STYLE[:WEIGHT]`: a region of the content mask and its style (`none` for no style).
struct RegionArgument: ExpressibleByArgument {
    var region: RegionRequest.Region
    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), let color = RegionColor(parsing: String(argument[..<equals])),
              let region = RegionRequest.Region(color: color, spec: String(argument[argument.index(after: equals)...])) else { return nil }
        self.region = region
    }
}

/// `--style-mask STYLE=MASK`.
struct StyleMaskArgument: ExpressibleByArgument {
    var style: String
    var mask: String
    init?(argument: String) {
        guard let equals = argument.lastIndex(of: "="), equals != argument.startIndex, argument.index(after: equals) != argument.endIndex else { return nil }
        style = String(argument[..<equals])
        mask = String(argument[argument.index(after: equals)...])
    }
}

/// Spatial control: a content mask of flat colours and a style (or none) per colour.
struct RegionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A PNG of flat colours splitting the output into regions, one per colour (resized to the content); give each colour its style with --region.", valueName: "file"))
    var contentMask: String?

    @Option(name: .long, help: presetHelp("regions", valueName: "color=style[:weight]"))
    var region: [RegionArgument] = []

    @Option(name: .long, help: ArgumentHelp("The part of a region's style image its Gram targets come from: STYLE=MASK, MASK grey (white taken, black left out); repeatable.", valueName: "style=mask"))
    var styleMask: [StyleMaskArgument] = []

    @Option(name: .long, help: ArgumentHelp("Soften the regions' edges by a Gaussian of PX pixels of the output (0...\(Int(RegionMap.maximumFeather)), default 0).", valueName: "px"))
    var maskFeather: Double = 0

    func validate() throws {
        if contentMask == nil, !region.isEmpty || !styleMask.isEmpty || maskFeather != 0 {
            throw CLIError("--region, --style-mask and --mask-feather need --content-mask FILE")
        }
    }

    /// The regions as a request, nil without a content mask.
    var request: RegionRequest? {
        contentMask.map {
            RegionRequest(contentMask: $0, regions: region.map(\.region), styleMasks: styleMask.map { ($0.style, $0.mask) }, feather: maskFeather)
        }
    }

    /// The files the regions read, for the run's roles.
    var reads: [FileRoles.Role] { request?.reads ?? [] }
}

extension RegionRequest {
    /// The files the regions read (the content mask, the style masks), for the run's roles.
    var reads: [FileRoles.Role] { [(contentMask, "--content-mask")] + styleMasks.map { ($0.mask, "--style-mask") } }
}
