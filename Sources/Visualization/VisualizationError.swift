/// What can go wrong while rendering; each description is one line naming the file or call and the problem.
public enum VisualizationError: Error, CustomStringConvertible, Equatable {
    /// No font file was found at any of the searched paths.
    case fontNotFound(searched: [String])
    /// A FreeType call failed on a font file.
    case freeType(call: String, path: String, code: Int32)

    public var description: String {
        switch self {
        case .fontNotFound(let searched):
            return "no font found (searched \(searched.joined(separator: ", "))): install Debian's fonts-dejavu-core "
                + "(apt-get install fonts-dejavu-core) or set STYLIZE_FONT to a .ttf file"
        case .freeType(let call, let path, let code):
            return "\(path): FreeType \(call) failed with error \(code) (not a readable TrueType/OpenType font?)"
        }
    }
}
