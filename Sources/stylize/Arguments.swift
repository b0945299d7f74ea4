import ArgumentParser
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
