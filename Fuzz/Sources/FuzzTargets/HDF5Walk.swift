@testable import WeightFiles

/// Reads everything the HDF5 reader can give for a file: the weight loader reads datasets only once all 13 VGG
/// convolutions are present with the right shapes, which fuzzed inputs rarely are, so the `hdf5` target also walks
/// the groups from the root (at most `maxObjects`, each group once) and reads each one's Keras string attributes and
/// every dataset of at most `maxValues` values. Errors are expected and ignored; only crashes, leaks, sanitizer
/// reports and hangs count.
enum HDF5Walk {
    static let maxObjects = 256
    static let maxValues = 1 << 16

    static func readEverything(path: String) {
        guard let file = try? HDF5File(path: path) else { return }
        var stack = ["/"]
        var seen: Set<UInt64> = []
        var objects = 0
        while let group = stack.popLast(), objects < maxObjects {
            guard let address = try? file.address(of: group), seen.insert(address).inserted else { continue }
            for attribute in ["layer_names", "weight_names", "name", "names", "fixed"] {
                _ = try? file.stringAttribute(attribute, of: group)
            }
            for child in (try? file.children(of: group)) ?? [] {
                objects += 1
                let path = group == "/" ? "/\(child)" : "\(group)/\(child)"
                switch try? file.kind(of: path) {
                case .group?: stack.append(path)
                case .dataset?:
                    if let shape = try? file.shape(of: path),
                       shape.reduce(1, { checkedProduct($0, $1) ?? Int.max }) <= maxValues {
                        _ = try? file.readFloats(path)
                    }
                default: break
                }
            }
        }
    }
}
