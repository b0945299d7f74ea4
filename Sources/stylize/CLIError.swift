/// A problem found while a command runs: printed as one line, `Error: <message>`, without the usage text.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
