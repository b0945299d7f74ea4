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
        and this a quicker one (half the preset's evaluations at each scale):
          stylize --content images/building.jpg --style images/starry_night.jpg \\
                  --scale-iterations 75,40 -o building.png
        """,
        version: (["stylize \(version)"] + ComputeReport.lines).joined(separator: "\n"),
        subcommands: [TransferCommand.self, ResumeCommand.self, PresetsCommand.self, LayersCommand.self, ShapesCommand.self,
                      FeaturesCommand.self, GramCommand.self, SweepCommand.self, InfoCommand.self, BatchCommand.self,
                      StudioCommand.self, VideoCommand.self],
        defaultSubcommand: TransferCommand.self)

    /// What a bare `stylize` prints: how to start, and where the rest is.
    static let shortUsage = """
        stylize: \(configuration.abstract)
        Usage: stylize --content PHOTO --style PAINTING [options]   (a transfer)
               stylize COMMAND [options]   (\(UnknownNames.commands.joined(separator: ", ")))
        For example, from the repository (writes output/building-starry_night.png):
          stylize --content images/building.jpg --style images/starry_night.jpg
        All options: stylize --help; a command's: stylize help COMMAND.

        """

    /// Prints the short usage for no arguments, rewrites neural-style's flags for the transfer, then parses and
    /// runs; a parse that fails on an unknown command or option names it (`UnknownNames`).
    static func main() {
        BLASCore.correctByReexecuting(program: "stylize")
        var args = Array(CommandLine.arguments.dropFirst())
        if args.isEmpty {
            Console.output(shortUsage)
            return
        }
        let commands = UnknownNames.commands
        if args.first == "help", args.count > 1, !args[1].hasPrefix("-"), !commands.contains(args[1]), args[1] != "help" {
            exit(withError: CLIError(UnknownNames.unknownCommand(args[1])))
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
        args = UnknownNames.joiningNegativeValues(args)
        if let repeated = UnknownNames.repeatedSingleValue(args) { exit(withError: CLIError(repeated)) }
        var command: ParsableCommand
        do { command = try parseAsRoot(args) } catch {
            exit(withError: UnknownNames.problem(in: args).map(CLIError.init) ?? error)
        }
        do { try command.run() } catch { exit(withError: error) }
    }
}
