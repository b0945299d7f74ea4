import ArgumentParser

@main
struct Stylize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Gram-matrix neural style transfer on the CPU.",
        discussion: """
        Without a subcommand, stylize runs a style transfer:
          stylize --content images/building.jpg --style images/starry_night.jpg -o output/building.png
        """,
        subcommands: [TransferCommand.self, PresetsCommand.self, LayersCommand.self, ShapesCommand.self,
                      FeaturesCommand.self, GramCommand.self, InfoCommand.self],
        defaultSubcommand: TransferCommand.self)
}
