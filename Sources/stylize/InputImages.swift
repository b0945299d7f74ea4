import Imaging

/// Reads an image for a command; damage the decoder recovered from (corrupt JPEG data) is reported as one warning
/// line naming the file, and the command goes on with the decoded picture.
func readImage(_ path: String) throws -> RGBImage {
    var warnings: [ImageWarning] = []
    let image = try RGBImage(contentsOf: path, warnings: &warnings)
    for warning in warnings { Console.error("stylize: warning: \(warning)\n") }
    return image
}
