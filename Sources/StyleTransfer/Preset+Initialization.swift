/// How the optimised image starts: the one spelling of the `init` setting for presets, the command line,
/// run plans and checkpoints.
public enum Initialization: Sendable, Equatable, Hashable, Codable {
    /// The content photo at the output size.
    case content
    /// Seeded noise around mid grey (`RunPlan.seed`).
    case noise
    /// The (first) style image resized to the output size.
    case style
    /// An image file, resized to the output size.
    case image(path: String)

    /// `content`, `noise` (or `random`), `style`, or nil for any other word.
    public init?(mode: String) {
        switch mode {
        case "content": self = .content
        case "noise", "random": self = .noise
        case "style": self = .style
        default: return nil
        }
    }

    /// A mode name, or else the path of an image.
    public init(modeOrPath text: String) {
        self = Initialization(mode: text) ?? .image(path: text)
    }

    /// `content`, `noise`, `style` or the image's path.
    public var name: String {
        switch self {
        case .content: "content"
        case .noise: "noise"
        case .style: "style"
        case .image(let path): path
        }
    }

    /// The image file it reads, if any.
    public var path: String? {
        if case .image(let path) = self { return path }
        return nil
    }
}
