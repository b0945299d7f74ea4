import Foundation
import NeuralCore
import SafeIO
import StyleTransfer

/// The plan hash of each batch item: what a rerun compares with the hash recorded beside an existing output.
///
/// It covers everything that decides the output: the bytes of the content and style images (and of an `--init`
/// image), the settings as resolved against each preset (`RunRequest.settingsText`: the effective preset, with
/// every override applied, and the run's switches, so `--size=64` and `--size 64`, or a value equal to the
/// preset's and none, are one plan), the weights (path, size and modification time, or the `random:` spec), the
/// stylize version, and for a frame its blend weight and the plan of the frame before it. Hashing is cheap next to
/// a run: each input file is read and hashed once per batch, and no image is decoded.
final class BatchPlanFingerprints {
    /// The part shared by every item.
    private let common: BatchFingerprint
    private let presets: [String: String]
    private var files: [String: UInt64] = [:]

    /// - Throws: the preset's error for a preset that cannot be loaded, and the `--init` image's for one that cannot
    ///   be read, before any item runs.
    /// - Parameter flow: with `stylize video --method flow`, what the frames start from (the flow method), instead of
    ///   the blend.
    init(job: BatchJob, flow: String? = nil) throws {
        let settings = job.settings
        var h = BatchFingerprint()
        h.add("stylize \(Stylize.version) batch plan")
        let network = settings.network
        h.add(network.weights ?? "default")
        if let path = network.weightsPath,
           let attributes = try? FileManager.default.attributesOfItem(atPath: path) {
            h.add(path)
            h.add("\(attributes[.size] ?? 0) \((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)")
        }
        if let flow { h.add("frames, flow \(flow)") } else if job.frames { h.add("frames, blend \(job.frameBlend)") }
        common = h
        self.job = job
        var texts: [String: String] = [:]
        for preset in job.presets {
            let spec = preset ?? "default"
            var request = RunRequest(preset: try Preset.find(spec), content: "", styles: [""], outputs: RunOutputs(image: ""))
            settings.apply(to: &request)   // `settingsText` leaves the outputs out: where an item writes is not what it makes
            texts[preset ?? ""] = request.settingsText
        }
        self.presets = texts
        if let image = settings.initialization?.path { initHash = try fileHash(image) }
    }

    /// The hash of the `--init` image's bytes, when one is given.
    private var initHash: UInt64?
    private let job: BatchJob

    /// The item's plan hash, 16 hex digits.
    /// - Parameter previous: with `--frames`, the plan of the frame before (its output is this frame's start).
    /// - Throws: `FileAccessError` for an input that cannot be read.
    func plan(_ item: BatchItem, previous: String?) throws -> String {
        var h = common
        h.add(presets[item.preset ?? ""] ?? "")
        if let initHash { h.add(String(initHash, radix: 16)) }
        if let regions = job.regions(for: item.content) {
            // The item's regions as its transfer gets them: the map, and the bytes of its mask and of every file named.
            let styles = regions.styleFiles(after: [])
            let map = regions.regions.map { "\($0.color) \($0.style.flatMap { styles.firstIndex(of: $0) }.map { "style \($0)" } ?? "none") \($0.weight)" }
            h.add("regions \(map) feather \(regions.feather)")
            for file in [regions.contentMask] + styles + regions.styleMaskFiles(for: styles).map({ $0 ?? "" }) {
                h.add(file.isEmpty ? "no mask" : String(try fileHash(file), radix: 16))
            }
        }
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
