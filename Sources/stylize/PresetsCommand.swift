import ArgumentParser
import StyleTransfer

struct PresetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presets",
        abstract: "List the style-transfer presets with their descriptions.")

    @Option(name: .long, help: "Folder of preset files (default: the project's Presets/).")
    var folder: String?

    @Flag(name: .long, help: "Also print every preset's weights and layers.")
    var verbose = false

    func run() throws {
        let folder = folder ?? ProjectPaths.presets
        let presets = try Preset.list(folder: folder)
        guard !presets.isEmpty else { throw CLIError("\(folder): no preset files (*.json)") }
        let width = presets.map(\.name.count).max() ?? 0
        for p in presets {
            print(p.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + p.description)
            if verbose {
                print("    content_weight \(p.contentWeight)  style_weight \(p.styleWeight)  tv_weight \(p.tvWeight)"
                      + "  iterations \(p.iterations)  size \(p.size)  init \(p.initialization)")
                print("    content_layer \(p.contentLayer)  style_layers "
                      + p.styleLayers.map { "\($0.layer)=\($0.weight)" }.joined(separator: ","))
            }
        }
    }
}
