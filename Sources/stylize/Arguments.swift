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
