import ArgumentParser
import StyleTransfer
import Visualization

extension Colormap: ExpressibleByArgument {}
extension ValueScale: ExpressibleByArgument {}
extension LossNormalization: ExpressibleByArgument {}
extension HistoryPrecision: ExpressibleByArgument {}

/// `--order none|cluster` for Gram heatmaps.
enum ChannelOrdering: String, ExpressibleByArgument, CaseIterable {
    case none, cluster
}

/// "a,b, c" -> ["a", "b", "c"].
func commaList(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// The one size check of every command (`--size`, each of `--scales`): `Preset.sizeRange`, the range presets use too.
func checkSize(_ size: Int, option: String = "--size") throws {
    guard Preset.sizeRange.contains(size) else {
        throw CLIError("\(option) must be in \(Preset.sizeRange.lowerBound)...\(Preset.sizeRange.upperBound), not \(size)")
    }
}

/// "1 step", "2 steps".
func counted(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }

/// The colormap names, for help texts.
let colormapNames = Colormap.allCases.map(\.rawValue).joined(separator: ", ")

/// `--init content|noise|random|style|PATH`.
extension Initialization: ExpressibleByArgument {
    public init?(argument: String) {
        guard !argument.isEmpty else { return nil }
        self.init(modeOrPath: argument)
    }
    public var defaultValueDescription: String { name }
}

/// `--tile auto|off|N`.
extension RunPlan.Tiling: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.lowercased() {
        case "auto": self = .auto
        case "off", "none", "0": self = .off
        default:
            guard let core = Int(argument), core > 0 else { return nil }
            self = .core(core)
        }
    }
    public var defaultValueDescription: String {
        switch self {
        case .auto: "auto"
        case .off: "off"
        case .core(let n): "\(n)"
        }
    }
}

/// A comma-separated list of paths (`--style a.jpg,b.jpg`), each trimmed; repeated options add up.
struct PathList: ExpressibleByArgument {
    var paths: [String]
    init?(argument: String) {
        paths = argument.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

/// A comma-separated list of numbers (`--scales 256,512`, `--style-blend 0.7,0.3`).
struct NumberList<Number: LosslessStringConvertible & Sendable>: ExpressibleByArgument, Sendable {
    var values: [Number]
    init?(argument: String) {
        let parts = argument.split(separator: ",").map { Number($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        values = parts.map { $0! }
    }
}

/// `--style-layer LAYER=WEIGHT` (Keras or classic layer name; 0 drops the layer).
struct StyleLayerArgument: ExpressibleByArgument {
    var entry: Preset.StyleLayerWeight
    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, let weight = Double(parts[1]) else { return nil }
        entry = .init(layer: parts[0], weight: weight)
    }
}
