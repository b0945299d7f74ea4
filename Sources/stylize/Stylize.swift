import ArgumentParser
import Foundation
import NeuralCore

@main
struct Stylize: ParsableCommand {
    /// The version `stylize --version` prints.
    static let version = "0.2.0"

    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Gram-matrix neural style transfer on the CPU.",
        discussion: """
        Without a subcommand, stylize runs a style transfer. From the repository,
        this writes output/building-starry_night.png:
          stylize --content images/building.jpg --style images/starry_night.jpg
          stylize --content images/building.jpg --style images/starry_night.jpg \\
                  --iterations 100 -o building.png
        """,
        version: (["stylize \(version)"] + ComputeReport.lines).joined(separator: "\n"),
        subcommands: [TransferCommand.self, ResumeCommand.self, PresetsCommand.self, LayersCommand.self, ShapesCommand.self,
                      FeaturesCommand.self, GramCommand.self, SweepCommand.self, InfoCommand.self, BatchCommand.self],
        defaultSubcommand: TransferCommand.self)

    /// Rewrites neural-style's flags for the transfer and refuses `help` of an unknown command, then parses.
    static func main() {
        BLASCore.correctByReexecuting(program: "stylize")
        var args = Array(CommandLine.arguments.dropFirst())
        let commands = configuration.subcommands.map { $0._commandName }
        if args.first == "help", args.count > 1, !args[1].hasPrefix("-"), !commands.contains(args[1]), args[1] != "help" {
            exit(withError: CLIError("no command named \"\(args[1])\" (commands: \(commands.joined(separator: ", ")))"))
        }
        if args.first.map({ !commands.contains($0) || $0 == "transfer" }) ?? false {
            do {
                let (translated, note) = try ClassicFlags.translate(args)
                if let note { FileHandle.standardError.write(Data((note + "\n").utf8)) }
                args = translated
            } catch {
                exit(withError: error)
            }
        }
        main(args)
    }
}
