import ArgumentParser
import Imaging

/// `stylize info IMAGE...`: size, channels and format of each image, read from the headers only.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print size, channels and format of PNG and JPEG images (headers only, no full decode).")

    @Argument(help: ArgumentHelp("PNG or JPEG files to describe.", valueName: "image"))
    var images: [String]

    func validate() throws {
        if images.isEmpty { throw CLIError("give at least one image file") }
    }

    func run() throws {
        var failures = 0
        for path in images {
            do {
                let info = try ImageInfo(contentsOf: path)
                print("\(path): \(InfoCommand.describe(info))")
            } catch {
                failures += 1
                Console.error("stylize: \(error)\n")
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }

    /// One line such as `752x600, 3 channels, JPEG (YCbCr, 8-bit, progressive)`.
    static func describe(_ info: ImageInfo) -> String {
        var details = [info.colorModel, "\(info.bitDepth)-bit"]
        if info.isInterlaced { details.append(info.format == .jpeg ? "progressive" : "interlaced") }
        if info.orientation != 1 { details.append("EXIF orientation \(info.orientation)") }
        let channels = info.channels == 1 ? "1 channel" : "\(info.channels) channels"
        return "\(info.width)x\(info.height), \(channels), \(info.format.rawValue) (\(details.joined(separator: ", ")))"
    }
}
