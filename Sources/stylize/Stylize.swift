import ArgumentParser

@main
struct Stylize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Gram-matrix neural style transfer on the CPU.",
        subcommands: [InfoCommand.self])
}
