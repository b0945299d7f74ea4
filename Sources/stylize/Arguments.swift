import ArgumentParser
import StyleTransfer
import Visualization

extension Colormap: ExpressibleByArgument {}
extension ValueScale: ExpressibleByArgument {}
extension LossNormalization: ExpressibleByArgument {}
extension HistoryPrecision: ExpressibleByArgument {}
/// `--color`: `ColorMode`'s names (style, keep, match, match-cholesky).
extension ColorMode: ExpressibleByArgument {}

/// `--order none|cluster` for Gram heatmaps.
enum ChannelOrdering: String, ExpressibleByArgument, CaseIterable {
    case none, cluster
}

/// "a,b, c" -> ["a", "b", "c"].
func commaList(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// The one range check of a command's whole-number option, in the words of a preset's (`Preset.Limits.rangeProblem`).
func checkRange(_ value: Int, _ range: ClosedRange<Int>, option: String) throws {
    if let problem = Preset.Limits.rangeProblem(value, range) { throw CLIError("\(option) \(problem)") }
}

/// The one size check of every command (`--size`): `Preset.sizeRange`, the range presets use too.
func checkSize(_ size: Int) throws { try checkRange(size, Preset.sizeRange, option: "--size") }

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

/// `--tile auto|off|N`: any N below `RunPlan.minimumTile` (0 too) is refused by the plan, with the smallest.
extension RunPlan.Tiling: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.lowercased() {
        case "auto": self = .auto
        case "off", "none": self = .off
        default:   // 0 and other small cores too: the plan's check names the smallest one
            guard let core = Int(argument), core >= 0 else { return nil }
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

/// `--style-layer LAYER=WEIGHT` (Keras or classic layer name; 0 drops the layer). A comma in it is kept for
/// `TransferCommand.validate`, which points to `--style-layers`.
struct StyleLayerArgument: ExpressibleByArgument {
    var entry: Preset.StyleLayerWeight
    /// The argument as given.
    var text: String
    /// The argument is a list (`relu1_1=1,relu2_1=1`): only its first entry is in `entry`.
    var isList: Bool { text.contains(",") }
    init?(argument: String) {
        guard let first = StyleLayerList(argument: argument)?.entries.first, argument.contains("=") else { return nil }
        entry = first
        text = argument
    }
}

/// `--style-layers-of STYLE=LAYER,...`: the style layers of one style image (`StyleLayerGroup`).
struct StyleLayerGroupArgument: ExpressibleByArgument {
    var group: StyleLayerGroup
    init?(argument: String) {
        guard let group = StyleLayerGroup(parsing: argument) else { return nil }
        self.group = group
    }
}

/// `--style-layers LAYER[=WEIGHT],...`: the only style layers, each of weight 1 unless given (`relu1_1,relu2_1=0.5`).
struct StyleLayerList: ExpressibleByArgument {
    var entries: [Preset.StyleLayerWeight]
    init?(argument: String) {
        var entries: [Preset.StyleLayerWeight] = []
        for item in commaList(argument) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard !parts[0].isEmpty else { return nil }
            if parts.count == 1 {
                entries.append(.init(layer: parts[0], weight: 1))
            } else {
                guard let weight = Double(parts[1]) else { return nil }
                entries.append(.init(layer: parts[0], weight: weight))
            }
        }
        guard !entries.isEmpty else { return nil }
        self.entries = entries
    }
}

/// The help of an option that overrides a preset setting, from the settings table (`Preset.settings`): its text
/// and "(preset: KEY)", or the text alone (`naming: false`) where the option sets part of the field.
func presetHelp(_ key: String, valueName: String? = nil, naming: Bool = true) -> ArgumentHelp {
    guard let setting = Preset.setting(key) else { preconditionFailure("no preset setting \(key)") }
    return ArgumentHelp(naming ? setting.optionHelp : setting.help + ".", valueName: valueName)
}
