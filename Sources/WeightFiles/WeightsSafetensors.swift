import Foundation
import NeuralCore
import SafeIO

/// A safetensors file (Hugging Face's format): an 8-byte little-endian header length, a JSON header
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
/// then the raw little-endian tensor bytes, offsets relative to the end of the header.
///
/// Every number from the file is checked before use: the header length against the file's real size (and the
/// format's 100 MB header limit), each offset pair against the real size (overflow-checked sums), each shape's element
/// count and byte size with overflow-checked arithmetic. Tensors are read with pread(2) on request and converted to
/// float32 (F32, F16, BF16, F64); the file is not memory-mapped, so a file that shrinks while open gives an error,
/// not SIGBUS.
struct SafetensorsFile: VGGTensorSource {
    struct Entry {
        let dtype: String
        let shape: [Int]
        /// Byte range in the data section: `0 <= begin <= end`, and `8 + header + end` within the file.
        let begin: Int
        let end: Int
        /// The element count (product of `shape`), checked for overflow.
        let count: Int
    }

    let name: String
    let entries: [String: Entry]
    private let file: InputFile
    private let dataStart: Int

    /// The element types read, by their safetensors names.
    static let dtypes: [String: TorchDType] = ["F32": .float32, "F16": .float16, "BF16": .bfloat16, "F64": .float64]
    /// The safetensors format limits the JSON header to 100 MB.
    static let maxHeaderBytes = 100_000_000

    var shapes: [String: [Int]] { entries.mapValues(\.shape) }

    /// Whether `bytes` (the first bytes of a file) look like a safetensors header: a length, then `{`.
    static func looksLike(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 9 && bytes[8] == UInt8(ascii: "{") && bytes[6] == 0 && bytes[7] == 0
    }

    /// Opens and validates `path`: every tensor's byte range must lie inside the file and match its shape.
    init(path: String, name: String) throws(WeightsError) {
        self.name = name
        let file = try InputFile.weights(path, name: name)
        guard file.size >= 8 else { throw WeightsError(.truncated, file: name, "truncated (\(file.size) bytes, no safetensors header)") }
        let lengthBytes = try file.bytes(0, 8, name: name)
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(lengthBytes[i]) << (8 * UInt64(i)) }
        guard headerLength > 0, headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw WeightsError(.corrupt, file: name, "safetensors header length \(headerLength) is not plausible (at most 100 MB)")
        }
        let headerBytes = Int(headerLength)
        guard headerBytes <= file.size - 8 else {
            throw WeightsError(.truncated, file: name, "truncated (header says \(8 + headerBytes) bytes of header, file has \(file.size))")
        }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(try file.bytes(8, headerBytes, name: name))) } catch {
            throw WeightsError(.corrupt, file: name, "safetensors header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw WeightsError(.corrupt, file: name, "safetensors header is not a JSON object") }
        var entries: [String: Entry] = [:]
        var fileNeeds = 8 + headerBytes
        for (key, value) in header where key != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shapeList = info["shape"] as? [Any], let offsetList = info["data_offsets"] as? [Any], offsetList.count == 2 else {
                throw WeightsError(.corrupt, file: name, "safetensors entry \(key) lacks dtype, shape or data_offsets")
            }
            let shape = shapeList.map(Self.integer), offsets = offsetList.map(Self.integer)
            guard shape.allSatisfy({ $0 != nil && $0! >= 0 }), shape.count <= 8 else {
                throw WeightsError(.corrupt, file: name, "\(key): shape \(shapeList) must be at most 8 whole numbers >= 0")
            }
            guard let begin = offsets[0], let end = offsets[1], begin >= 0, begin <= end else {
                throw WeightsError(.corrupt, file: name, "\(key): bad data_offsets \(offsetList)")
            }
            let (needed, overflow) = (8 + headerBytes).addingReportingOverflow(end)
            guard !overflow else {
                throw WeightsError(.corrupt, file: name, "\(key): data_offsets \(offsetList) reach beyond the end of any file")
            }
            fileNeeds = max(fileNeeds, needed)
            let dims = shape.map { $0! }
            var count = 1
            for d in dims {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else {
                    throw WeightsError(.corrupt, file: name, "\(key): shape \(shapeText(dims)) has more elements than a 64-bit count holds")
                }
                count = product
            }
            if let size = Self.dtypes[dtype]?.size {
                let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
                guard !overflow, bytes == end - begin else {
                    throw WeightsError(.corrupt, file: name, "\(key): \(dtype) \(shapeText(dims)) needs "
                                       + (overflow ? "more than 2^63" : "\(bytes)") + " bytes, offsets give \(end - begin)")
                }
            }
            entries[key] = Entry(dtype: dtype, shape: dims, begin: begin, end: end, count: count)
        }
        guard fileNeeds <= file.size else {
            throw WeightsError(.truncated, file: name, "truncated (header says \(fileNeeds) bytes, file has \(file.size))")
        }
        self.entries = entries
        self.file = file
        self.dataStart = 8 + headerBytes
    }

    /// A JSON whole number as Int, or nil (fractions, booleans, strings, numbers beyond 64 bits).
    private static func integer(_ value: Any) -> Int? {
        guard let n = value as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
        return Int(n.stringValue)
    }

    /// The tensor `key` converted to float32, in its stored (row-major) order.
    func floats(_ key: String) throws(WeightsError) -> [Float] {
        guard let entry = entries[key] else { throw WeightsError(.missingLayer, file: name, "no tensor \(key)") }
        guard let dtype = Self.dtypes[entry.dtype] else {
            throw WeightsError(.unsupported, file: name, "\(key) has dtype \(entry.dtype); F32, F16, BF16 and F64 are supported")
        }
        return dtype.floats(try file.bytes(dataStart + entry.begin, entry.end - entry.begin, name: name), count: entry.count)
    }
}

/// What the VGG readers need from a file of named tensors (safetensors, torch.save): names with shapes, and values.
protocol VGGTensorSource {
    /// The file as the user named it.
    var name: String { get }
    /// Every tensor's shape, by name.
    var shapes: [String: [Int]] { get }
    /// The tensor `key` as float32, row-major.
    func floats(_ key: String) throws(WeightsError) -> [Float]
}

/// VGG weights with torchvision's (or timm's) names: `features.N.weight` `(Cout, Cin, 3, 3)` and `features.N.bias`
/// `(Cout)`, where N counts the layers of torchvision's `features` Sequential (conv, ReLU, ..., max-pool), maybe
/// under a prefix (`module.`, `state_dict.`). Classifier tensors (`classifier.*`, timm's `pre_logits.*`, `head.*`)
/// are ignored. Kernels are transposed to `(3, 3, Cin, Cout)`; the caller says which preprocessing the weights need.
enum TorchVGGReader {
    /// Index in torchvision's `features` of each convolution: conv and ReLU take one slot each, then a pool per block.
    static func featureIndices(_ architecture: VGGArchitecture) -> [Int] {
        var result: [Int] = []
        var index = 0
        for depth in architecture.depths {
            for _ in 0..<depth {
                result.append(index)
                index += 2
            }
            index += 1
        }
        return result
    }

    /// What comes before `features.0.weight` in the file's names ("" for torchvision's own files), or nil when there
    /// is no such tensor.
    static func prefix(_ shapes: [String: [Int]]) -> String? {
        let firsts = shapes.keys.filter { $0 == "features.0.weight" || $0.hasSuffix(".features.0.weight") }
        return firsts.min { $0.count < $1.count }.map { String($0.dropLast("features.0.weight".count)) }
    }

    /// - Parameters:
    ///   - label: the container for `VGGWeights.source` ("safetensors", "PyTorch zip").
    static func read(_ file: some VGGTensorSource, preprocessing: Preprocessing, label: String) throws(WeightsError) -> VGGWeights {
        let name = file.name
        let shapes = file.shapes
        if shapes.keys.contains(where: { $0.hasSuffix("running_mean") }) {
            throw WeightsError(.unsupported, file: name, "batch-normalized VGG (vgg*_bn) is not supported; use plain VGG16/VGG19 weights")
        }
        let p = prefix(shapes) ?? ""
        let kernels = Set(shapes.filter { $0.key.hasPrefix(p + "features.") && $0.key.hasSuffix(".weight") && $0.value.count == 4 }.map(\.key))
        guard !kernels.isEmpty else {
            throw WeightsError(.unrecognized, file: name, "\(label) file without torchvision VGG tensors (features.0.weight ...)")
        }
        func hits(_ a: VGGArchitecture) -> Int { featureIndices(a).filter { kernels.contains("\(p)features.\($0).weight") }.count }
        let architecture: VGGArchitecture = hits(.vgg19) > hits(.vgg16) ? .vgg19 : .vgg16
        let indices = featureIndices(architecture)
        let convs = architecture.convolutions
        for (conv, index) in zip(convs, indices)
        where shapes["\(p)features.\(index).weight"] == nil || shapes["\(p)features.\(index).bias"] == nil {
            let have = indices.filter { kernels.contains("\(p)features.\($0).weight") }.count
            throw WeightsError(.missingLayer, file: name,
                               "missing \(conv.name) = \(p)features.\(index) (file has \(have) of \(convs.count) \(architecture.name.uppercased()) convolutions)")
        }
        var convolutions: [ConvWeights] = []
        for (conv, index) in zip(convs, indices) {
            let weightKey = "\(p)features.\(index).weight", biasKey = "\(p)features.\(index).bias"
            let (cin, cout) = (conv.inChannels, conv.outChannels)
            try KerasWeightsReader.check(shapes[weightKey]!, expected: [cout, cin, 3, 3], conv, "kernel (\(weightKey))", name: name)
            try KerasWeightsReader.check(shapes[biasKey]!, expected: [cout], conv, "bias (\(biasKey))", name: name)
            convolutions.append(ConvWeights(name: conv.name, inChannels: cin, outChannels: cout,
                                            kernel: kerasKernel(fromOIHW: try file.floats(weightKey), cin: cin, cout: cout),
                                            bias: try file.floats(biasKey)))
        }
        let mode = preprocessing == .caffe ? ", Caffe weights" : ""
        return VGGWeights(architecture: architecture, preprocessing: preprocessing, convolutions: convolutions,
                          source: "\(name) (\(label), \(architecture.name.uppercased())\(mode))")
    }

    /// torch's `(Cout, Cin, 3, 3)` kernel in Keras' `(3, 3, Cin, Cout)` layout.
    static func kerasKernel(fromOIHW torch: [Float], cin: Int, cout: Int) -> [Float] {
        var kernel = [Float](repeating: 0, count: torch.count)
        torch.withUnsafeBufferPointer { src in
            kernel.withUnsafeMutableBufferPointer { dst in
                for co in 0..<cout {
                    for ci in 0..<cin {
                        for k in 0..<9 {
                            dst[(k * cin + ci) * cout + co] = src[(co * cin + ci) * 9 + k]
                        }
                    }
                }
            }
        }
        return kernel
    }
}
