import Foundation
import Imaging
import NeuralCore
import StyleTransfer
import Studio
import Synchronization

/// The studio's engine on the command line's side: runs a job from the page (names from the studio's folder), keeps
/// the weights loaded between runs, and saves presets into the user's preset folder.
final class StudioRunner: StudioEngine, @unchecked Sendable {   // `state` is a Mutex; the rest is set once
    /// The folder runs are picked from; nil when the studio watches one transfer (`--studio`).
    let folder: StudioFolder?
    let network: NetworkOptions

    private struct State {
        var weights: VGGWeights?
        /// The preset the current run started from, which "Save preset" writes with the page's weights.
        var base: Preset?
        /// The inspector's own network (not the optimizer's), made once for the weights.
        var inspectorNetwork: VGGNetwork?
    }
    private let state = Mutex<State>(State())

    init(folder: StudioFolder?, network: NetworkOptions) {
        self.folder = folder
        self.network = network
    }

    /// The folder of a studio's results: `output/` in its folder.
    static let outputFolder = "output"

    func run(_ job: StudioJob, hub: StudioHub) throws {
        let prepared: (TransferRunner, RunRequest)
        do { prepared = try prepare(job) } catch {
            hub.runEnded("run \(job.id) (\(job.content), \(job.style)): \(error)", failed: true)
            throw error
        }
        _ = try drive(hub: hub, runID: job.id, content: job.content, style: job.style).run(prepared.0, request: prepared.1)
    }

    /// The plan of a job: its images by name from the folder, its preset, size and evaluations; the image and the
    /// checkpoint in the folder's `output/`.
    private func prepare(_ job: StudioJob) throws -> (TransferRunner, RunRequest) {
        guard let folder else { throw StudioError.conflict("this studio watches one transfer and starts none") }
        let content = try folder.image(named: job.content), style = try folder.image(named: job.style)
        let base = try Preset.find(job.preset ?? "default")
        let out = (folder.path as NSString).appendingPathComponent(Self.outputFolder)
        try OutputPath.makeFolder(out)
        func stem(_ name: String) -> String { (name as NSString).deletingPathExtension }
        let name = "\(stem(job.content))-\(stem(job.style))" + (job.preset.map { $0 == "default" ? "" : "-\($0)" } ?? "")
        let outputs = RunOutputs(image: (out as NSString).appendingPathComponent(name + ".png"),
                                 checkpoint: (out as NSString).appendingPathComponent(name + ".ckpt"))
        var request = RunRequest(preset: base, content: content, styles: [style], outputs: outputs)
        request.size = job.size
        request.iterations = job.iterations
        let inputs = try RunInputs.read(content: content, styles: [style], initialization: nil, using: readImage)
        let weights = try loadedWeights()
        let plan = try RunPlan(checking: request, inputs: inputs, architecture: weights.architecture)
        state.withLock { $0.base = base }
        return (TransferRunner(plan: plan, inputs: inputs, weights: weights, network: network, quiet: false), request)
    }

    /// The weights, loaded on the first run and kept.
    private func loadedWeights() throws -> VGGWeights {
        if let w = state.withLock({ $0.weights }) { return w }
        let w = try network.loadWeights()
        state.withLock { $0.weights = w }
        return w
    }

    /// The steering of one run, for `stylize studio` and `--studio` alike.
    func drive(hub: StudioHub, runID: Int, content: String, style: String) -> StudioDrive {
        StudioDrive(hub: hub, runID: runID, contentName: content, styleName: style) { [self] plan, inputs, weights in
            let vgg = state.withLock { s -> VGGNetwork in
                if let n = s.inspectorNetwork, n.weights.source == weights.source { return n }
                let n = network.network(weights)
                s.inspectorNetwork = n
                return n
            }
            return StudioInspector(network: vgg, styles: inputs.styles, blend: plan.blend, styleScale: plan.preset.styleScale,
                                   layers: plan.preset.styleLayers.filter { $0.weight > 0 }.map(\.layer))
        }
    }

    /// Sets the preset "Save preset" starts from (`--studio`: the transfer's).
    func setBase(_ preset: Preset) { state.withLock { $0.base = preset } }

    /// Writes the run's preset with `weights` as `NAME.json` in the user's preset folder (the name checked as
    /// `stylize sweep --save-preset` checks it), never over a bundled preset's name nor an existing file, and reads
    /// it back as a preset.
    func savePreset(name: String, weights: StudioWeights, hub: StudioHub) throws -> String {
        guard StudioFolder.isPlainName(name), !name.hasSuffix(".json") else {
            throw StudioError.badRequest("\(name.debugDescription) is not a preset name: a plain name such as mine, without \"/\", a leading \".\" or .json")
        }
        let path: String
        do { path = try SweepCommand.presetPath(name) } catch { throw StudioError.badRequest("\(error)") }
        if let root = ProjectPaths.root,
           FileManager.default.fileExists(atPath: ((root as NSString).appendingPathComponent("Presets") as NSString).appendingPathComponent(name + ".json")) {
            throw StudioError.conflict("\(name) is a bundled preset's name; choose another name")
        }
        if FileManager.default.fileExists(atPath: path) { throw StudioError.conflict("\(path) exists; choose another name") }
        guard let base = state.withLock({ $0.base }) else { throw StudioError.conflict("no run to take the preset from") }
        var p = weights.applied(to: base)
        p.name = name
        p.description = "\(base.name) with the weights set in the studio"
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try AtomicFile.write(p.fileBytes(), to: path)
            _ = try Preset.load(path: path)   // the file just written reads back as a preset
        } catch {
            throw StudioError.conflict("\(error)")
        }
        return path
    }

    func presetNames() -> [String] {
        Array(Set(((try? Preset.listAll()) ?? []).flatMap { $0.presets.map(\.name) })).sorted()
    }
}
