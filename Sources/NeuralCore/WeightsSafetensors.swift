import Foundation

/// A safetensors file (Hugging Face's format): an 8-byte little-endian header length, a JSON header
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
/// then the raw little-endian tensor bytes, offsets relative to the end of the header.
/// The file is memory-mapped; tensors are converted to float32 on request (F32, F16, BF16, F64).
struct SafetensorsFile {
    struct Entry {
        let dtype: String
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    let name: String
    let entries: [String: Entry]
    private let data: Data
    private let dataStart: Int

    static let elementSizes = ["F32": 4, "F16": 2, "BF16": 2, "F64": 8]

    /// Whether `bytes` (the first bytes of a file) look like a safetensors header: a length, then `{`.
    static func looksLike(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 9 && bytes[8] == UInt8(ascii: "{") && bytes[6] == 0 && bytes[7] == 0
    }

    /// Opens and validates `path`: every tensor's byte range must lie inside the file and match its shape.
    init(path: String, name: String) throws(WeightsError) {
        self.name = name
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw WeightsError(.unreadable, file: name, "cannot read (\(error.localizedDescription))")
        }
        guard data.count >= 8 else { throw WeightsError(.truncated, file: name, "truncated (\(data.count) bytes, no safetensors header)") }
        var headerLength = 0
        for i in 0..<8 { headerLength |= Int(data[data.startIndex + i]) << (8 * i) }
        guard headerLength > 0, headerLength < 1 << 40 else {
            throw WeightsError(.corrupt, file: name, "safetensors header length \(headerLength) is not plausible")
        }
        guard 8 + headerLength <= data.count else {
            throw WeightsError(.truncated, file: name, "truncated (header says \(8 + headerLength) bytes of header, file has \(data.count))")
        }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data.subdata(in: data.startIndex + 8 ..< data.startIndex + 8 + headerLength)) } catch {
            throw WeightsError(.corrupt, file: name, "safetensors header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw WeightsError(.corrupt, file: name, "safetensors header is not a JSON object") }
        var entries: [String: Entry] = [:]
        var dataEnd = 0
        for (key, value) in header where key != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = (info["shape"] as? [NSNumber])?.map({ $0.intValue }),
                  let offsets = (info["data_offsets"] as? [NSNumber])?.map({ $0.intValue }), offsets.count == 2 else {
                throw WeightsError(.corrupt, file: name, "safetensors entry \(key) lacks dtype, shape or data_offsets")
            }
            let entry = Entry(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
            if let size = Self.elementSizes[dtype], entry.end - entry.begin != size * shape.reduce(1, *) {
                throw WeightsError(.corrupt, file: name,
                                   "\(key): \(dtype) \(shapeText(shape)) needs \(size * shape.reduce(1, *)) bytes, offsets give \(entry.end - entry.begin)")
            }
            guard entry.begin >= 0, entry.end >= entry.begin else {
                throw WeightsError(.corrupt, file: name, "\(key): bad data_offsets [\(entry.begin), \(entry.end)]")
            }
            dataEnd = max(dataEnd, entry.end)
            entries[key] = entry
        }
        let needed = 8 + headerLength + dataEnd
        guard needed <= data.count else {
            throw WeightsError(.truncated, file: name, "truncated (header says \(needed) bytes, file has \(data.count))")
        }
        self.entries = entries
        self.data = data
        self.dataStart = 8 + headerLength
    }

    /// The tensor `key` converted to float32, in its stored (row-major) order.
    func floats(_ key: String) throws(WeightsError) -> [Float] {
        guard let entry = entries[key] else { throw WeightsError(.missingLayer, file: name, "no tensor \(key)") }
        let count = entry.shape.reduce(1, *)
        var out = [Float](repeating: 0, count: count)
        let dtype = entry.dtype
        let supported = Self.elementSizes[dtype] != nil
        guard supported else {
            throw WeightsError(.unsupported, file: name, "\(key) has dtype \(dtype); F32, F16, BF16 and F64 are supported")
        }
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let src = UnsafeRawBufferPointer(rebasing: raw[(dataStart + entry.begin)..<(dataStart + entry.end)])
            out.withUnsafeMutableBufferPointer { dst in
                switch dtype {
                case "F32":
                    for i in 0..<count { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                case "F16":
                    for i in 0..<count { dst[i] = Float(Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
                case "BF16":
                    for i in 0..<count { dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
                default:
                    for i in 0..<count { dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
                }
            }
        }
        return out
    }
}

/// VGG weights from a safetensors file with torchvision's (or timm's) names: `features.N.weight`
/// `(Cout, Cin, 3, 3)` and `features.N.bias` `(Cout)`, where N counts the layers of torchvision's
/// `features` Sequential (conv, ReLU, ..., max-pool). Classifier tensors (`classifier.*`, timm's
/// `pre_logits.*`, `head.*`) are ignored. Kernels are transposed to `(3, 3, Cin, Cout)`; preprocessing is torch's.
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

    static func read(_ file: SafetensorsFile) throws(WeightsError) -> VGGWeights {
        let name = file.name
        if file.entries.keys.contains(where: { $0.hasSuffix("running_mean") }) {
            throw WeightsError(.unsupported, file: name, "batch-normalized VGG (vgg*_bn) is not supported; use plain VGG16/VGG19 weights")
        }
        let kernels = Set(file.entries.filter { $0.key.hasPrefix("features.") && $0.key.hasSuffix(".weight") && $0.value.shape.count == 4 }
            .map(\.key))
        guard !kernels.isEmpty else {
            throw WeightsError(.unrecognized, file: name, "safetensors file without torchvision VGG tensors (features.0.weight ...)")
        }
        func hits(_ a: VGGArchitecture) -> Int { featureIndices(a).filter { kernels.contains("features.\($0).weight") }.count }
        let architecture: VGGArchitecture = hits(.vgg19) > hits(.vgg16) ? .vgg19 : .vgg16
        let indices = featureIndices(architecture)
        let convs = architecture.convolutions
        for (conv, index) in zip(convs, indices)
        where file.entries["features.\(index).weight"] == nil || file.entries["features.\(index).bias"] == nil {
            let have = indices.filter { kernels.contains("features.\($0).weight") }.count
            throw WeightsError(.missingLayer, file: name,
                               "missing \(conv.name) = features.\(index) (file has \(have) of \(convs.count) \(architecture.name.uppercased()) convolutions)")
        }
        var convolutions: [ConvWeights] = []
        for (conv, index) in zip(convs, indices) {
            let weightKey = "features.\(index).weight", biasKey = "features.\(index).bias"
            let weight = file.entries[weightKey]!, bias = file.entries[biasKey]!
            let (cin, cout) = (conv.inChannels, conv.outChannels)
            try KerasWeightsReader.check(weight.shape, expected: [cout, cin, 3, 3], conv, "kernel (\(weightKey))", name: name)
            try KerasWeightsReader.check(bias.shape, expected: [cout], conv, "bias (\(biasKey))", name: name)
            let torch = try file.floats(weightKey)
            var kernel = [Float](repeating: 0, count: torch.count)
            // (Cout, Cin, 3, 3) -> (3, 3, Cin, Cout)
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
            convolutions.append(ConvWeights(name: conv.name, inChannels: cin, outChannels: cout,
                                            kernel: kernel, bias: try file.floats(biasKey)))
        }
        return VGGWeights(architecture: architecture, preprocessing: .torch, convolutions: convolutions,
                          source: "\(name) (safetensors, \(architecture.name.uppercased()))")
    }
}
