import ArgumentParser
import StyleTransfer
import Visualization

extension Colormap: ExpressibleByArgument {}
extension ValueScale: ExpressibleByArgument {}

/// `--order none|cluster` for Gram heatmaps.
enum ChannelOrdering: String, ExpressibleByArgument, CaseIterable {
    case none, cluster
}

/// "a,b, c" -> ["a", "b", "c"].
func commaList(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// The `--size` of the network-inspection commands (shapes, features, gram): 32 keeps block5 at least 2x2.
func checkInspectionSize(_ size: Int) throws {
    guard (32...Preset.maxSize).contains(size) else { throw CLIError("--size must be in 32...\(Preset.maxSize), not \(size)") }
}
