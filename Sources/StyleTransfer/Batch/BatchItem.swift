import Foundation

/// One picture of a batch: a content image in one style with one preset, and the name of its output.
public struct BatchItem: Sendable, Equatable {
    /// Position in the whole batch (every shard counts the same items in the same order).
    public var index: Int
    /// The content image (a frame, with `--frames`).
    public var content: String
    /// The style image.
    public var style: String
    /// The preset as given (a name or a .json path), or nil for the transfer's default.
    public var preset: String?
    /// The output's file name without extension, `CONTENT-STYLE[-PRESET]`.
    public var name: String
    /// Items of one frame sequence (one style and preset) share a chain, numbered from 0; without `--frames` each
    /// item is a chain of its own. A chain is never split between shards.
    public var chain: Int
    /// Position in the chain (the frame number from 0); 0 without `--frames`.
    public var position: Int
}

/// The items of a batch: every combination of contents, styles and presets, in a fixed order.
public enum BatchItems {
    /// Every content × style × preset, named `CONTENT-STYLE[-PRESET]` (file names without their extension; the
    /// preset part only when presets were given).
    ///
    /// Order: without frames, content-major (all styles and presets of the first content first); with frames,
    /// one chain per style × preset holding every frame in order, so that a frame follows the one it starts from.
    /// - Throws: `BatchError` when two items would get the same name (two contents with one name in different
    ///   folders, say), naming both inputs.
    public static func make(contents: [String], styles: [String], presets: [String?], frames: Bool) throws -> [BatchItem] {
        var items: [BatchItem] = []
        let variants = styles.flatMap { style in presets.map { (style, $0) } }
        func name(_ content: String, _ style: String, _ preset: String?) -> String {
            ([stem(content), stem(style)] + (preset.map { [stem($0)] } ?? [])).joined(separator: "-")
        }
        if frames {
            for (chain, (style, preset)) in variants.enumerated() {
                for (position, content) in contents.enumerated() {
                    items.append(BatchItem(index: items.count, content: content, style: style, preset: preset,
                                           name: name(content, style, preset), chain: chain, position: position))
                }
            }
        } else {
            for content in contents {
                for (style, preset) in variants {
                    items.append(BatchItem(index: items.count, content: content, style: style, preset: preset,
                                           name: name(content, style, preset), chain: items.count, position: 0))
                }
            }
        }
        var seen: [String: BatchItem] = [:]
        for item in items {
            if let other = seen[item.name] {
                let inputs = { (i: BatchItem) in [i.content, i.style] + (i.preset.map { [$0] } ?? []) }
                throw BatchError("two items would both be named \(item.name).png: \(inputs(other).joined(separator: " + ")) and "
                                 + "\(inputs(item).joined(separator: " + ")); rename one of the files")
            }
            seen[item.name] = item
        }
        return items
    }

    /// A file's name without folder and extension (`images/building.jpg` → `building`).
    public static func stem(_ path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }
}

/// A batch that cannot run as given; the description is one line saying what is wrong and how to fix it.
public struct BatchError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ message: String) { description = message }
}
