import Foundation
import NeuralCore
import SafeIO
import StyleTransfer

/// The plan hash of each batch item: what a rerun compares with the hash recorded beside an existing output.
///
/// It covers everything that decides the output: the bytes of the content and style images, the preset as
/// loaded (all its values), the transfer options as given, the weights (path, size and modification time, or the
/// `random:` spec), the stylize version, and for a frame its blend weight and the plan of the frame before it.
/// Hashing is cheap next to a run: each input file is read and hashed once per batch.
final class BatchPlanFingerprints {
    /// The part shared by every item.
    private let common: BatchFingerprint
    private let presets: [String: String]
    private var files: [String: UInt64] = [:]

    /// - Throws: the preset's error for a preset that cannot be loaded, before any item runs.
    /// - Parameter flow: with `stylize video --method flow`, what the frames start from (the flow method), instead of
    ///   the blend.
    init(transferOptions: [String], presets: [String?], frameBlend: Double?, flow: String? = nil) throws {
        var h = BatchFingerprint()
        h.add("stylize \(Stylize.version) batch plan")
        for option in BatchPlanFingerprints.canonical(transferOptions) { h.add(option) }
        let network = try TransferCommand.parse(["--content", "c.png", "--style", "s.png"] + transferOptions).network
        h.add(network.weights ?? "default")
        if let path = network.weightsPath,
           let attributes = try? FileManager.default.attributesOfItem(atPath: path) {
            h.add(path)
            h.add("\(attributes[.size] ?? 0) \((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)")
        }
        if let flow { h.add("frames, flow \(flow)") } else if let frameBlend { h.add("frames, blend \(frameBlend)") }
        common = h
        var texts: [String: String] = [:]
        for preset in presets { texts[preset ?? ""] = String(describing: try Preset.find(preset ?? "default")) }
        self.presets = texts
    }

    /// The transfer options in one spelling, so that spellings the parser reads alike hash alike: `--size=64` is
    /// `--size 64`.
    static func canonical(_ options: [String]) -> [String] {
        options.flatMap { option -> [String] in
            guard option.hasPrefix("--"), let equals = option.firstIndex(of: "=") else { return [option] }
            return [String(option[..<equals]), String(option[option.index(after: equals)...])]
        }
    }

    /// The item's plan hash, 16 hex digits.
    /// - Parameter previous: with `--frames`, the plan of the frame before (its output is this frame's start).
    /// - Throws: `FileAccessError` for an input that cannot be read.
    func plan(_ item: BatchItem, previous: String?) throws -> String {
        var h = common
        h.add(presets[item.preset ?? ""] ?? "")
        h.add(String(try fileHash(item.content), radix: 16))
        h.add(String(try fileHash(item.style), radix: 16))
        if let previous { h.add(previous) }
        return h.hex
    }

    /// The hash of a file's bytes, read once.
    private func fileHash(_ path: String) throws -> UInt64 {
        if let known = files[path] { return known }
        var h = BatchFingerprint()
        h.add(try InputFile.contents(of: path, limit: InputLimits.imageBytes, what: "images"))
        files[path] = h.value
        return h.value
    }
}
