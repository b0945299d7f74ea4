import Foundation
import ArgumentParser
import StyleTransfer

struct PresetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presets",
        abstract: "List the style-transfer presets with their descriptions, and where they are.",
        discussion: """
        Presets are looked for in ~/.config/stylize/presets/, then in the data
        folder's Presets/ (the first of $STYLIZE_HOME, the repository the binary
        sits in, and ../share/stylize next to its bin/ folder): a user's preset
        replaces a bundled one of its name. A field a preset leaves out is the
        default preset's.
        """)

    @Option(name: .long, help: "List only this folder of preset files.")
    var folder: String?

    @Flag(name: .long, help: "Also print every preset's weights, layers, scales and evaluation budgets.")
    var verbose = false

    func run() throws {
        let groups = try folder.map { [($0, try Preset.list(folder: $0, over: (try? Preset.fallback()) ?? .builtIn))] } ?? Preset.listAll()
        guard !groups.allSatisfy({ $0.1.isEmpty }) else {
            throw CLIError("no preset files (*.json): looked in \(folder ?? ProjectPaths.presetsSearched); "
                           + (folder == nil ? ProjectPaths.setupHint : "give a folder of preset .json files"))
        }
        let width = groups.flatMap { $0.1.map(\.name.count) }.max() ?? 0
        for (folder, presets) in groups {
            print("\(folder):")
            for p in presets {
                // A bundled preset that a user's file of the same name replaces says so.
                let file = (folder as NSString).appendingPathComponent(p.name + ".json")
                let replaced = self.folder == nil ? Preset.file(of: p.name).flatMap { $0 == file ? nil : " (replaced by \($0))" } ?? "" : ""
                print("  " + p.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + p.description + replaced)
                if verbose {
                    print("      content_weight \(p.contentWeight)  style_weight \(p.styleWeight)  tv_weight \(p.tvWeight)"
                          + "  size \(p.size)  style_scale \(p.styleScale)  init \(p.initialization.name)")
                    let budgets = p.scaleIterations.isEmpty ? "iterations \(p.iterations)"
                        : "scale_iterations \(p.scaleIterations.map(String.init).joined(separator: ","))"
                    print("      scales \(p.scales.isEmpty ? "none (one scale at size)" : p.scales.map(String.init).joined(separator: ","))  \(budgets)"
                          + "  history \(p.history)  normalization \(p.normalization.rawValue)  original_colors \(p.originalColors)")
                    print("      content_layer \(p.contentLayer)  style_layers "
                          + p.styleLayers.map { "\($0.layer)=\($0.weight)" }.joined(separator: ","))
                }
            }
        }
    }
}
