import Foundation
import SafeIO

extension BatchItem {
    /// The output's file name in the batch's folder, `NAME.png`.
    public var output: String { name + ".png" }
}

extension BatchItems {
    /// An input file of an item and the option that names it, e.g. ("photos/a.jpg", "--content").
    public typealias Input = (path: String, option: String)

    /// Refuses a batch in which the output of any item is an input of any item (a style `a-s.png` in the output
    /// folder that item `a` × `s` would replace), before anything runs.
    ///
    /// Every output path is computed first, then compared with every input after resolving symbolic links
    /// (`PathResolution.resolved`) and, when the output exists, by device and inode (hard links).
    /// - Parameters:
    ///   - items: every item of the batch (all shards).
    ///   - folder: the output folder.
    ///   - inputs: an item's input files (its content, style and preset file).
    /// - Throws: `BatchError` naming the output, its item, the input and the item reading it.
    public static func checkOutputs(_ items: [BatchItem], folder: String, inputs: (BatchItem) -> [Input]) throws {
        var byPath: [String: (input: Input, item: BatchItem)] = [:]
        var byIdentity: [FileIdentity: (input: Input, item: BatchItem)] = [:]
        var seen = Set<String>()
        for item in items {
            for input in inputs(item) where seen.insert(input.path).inserted {
                let resolved = PathResolution.resolved(input.path)
                if byPath[resolved] == nil { byPath[resolved] = (input, item) }
                if let identity = FileIdentity(path: input.path), byIdentity[identity] == nil { byIdentity[identity] = (input, item) }
            }
        }
        for item in items {
            let path = (folder as NSString).appendingPathComponent(item.output)
            guard let clash = byPath[PathResolution.resolved(path)] ?? FileIdentity(path: path).flatMap({ byIdentity[$0] }) else { continue }
            throw BatchError("\(path): the output of item \(item.name) would overwrite the input \(clash.input.path) "
                             + "(\(clash.input.option) of item \(clash.item.name)); choose another -o folder")
        }
    }
}
