import Foundation
@testable import Imaging
@testable import StyleTransfer
@testable import WeightFiles

/// The parsers of untrusted bytes that `scripts/fuzz` fuzzes, and how each one is fed.
///
/// The libFuzzer harness (`Fuzz/Sources/Harness`) and the regression tests (`Fuzz/Sources/RegressionTests`) both
/// call `run`, so an input that crashed a fuzzer replays through exactly the same calls in the normal test suite.
enum FuzzTarget: String, CaseIterable, Sendable {
    /// PNG header and decode (`ImageInfo(bytes:)`, `RGBImage(decoding:)`), chunk CRCs made valid first.
    case png
    /// JPEG header, EXIF orientation and decode (`ImageInfo(bytes:)`, `RGBImage(decoding:)`).
    case jpeg
    /// Weights: `WeightsLoader.load` on a safetensors file, then every tensor its header validates read as floats.
    case safetensors
    /// Weights: `WeightsLoader.load` on an HDF5 file (the Keras legacy and Keras 3 layouts), after reading every
    /// group, string attribute and small dataset of the file (`HDF5Walk`).
    case hdf5
    /// `Preset.load` on a preset JSON file.
    case preset
    /// `Checkpoint.read` on a checkpoint file (`stylize --checkpoint`), which checks every size it reads.
    case checkpoint
    /// `batch --merge`: `BatchRecord.parse` and `BatchManifest.merge` on a valid two-line manifest part whose
    /// second record has one field replaced (`MutatedField`), then the merged manifest written out as text.
    case manifest
    /// The calibration cache: `TimeCalibration.cached` on a valid cache file with one field replaced
    /// (`MutatedField`), then the time estimate of a 4096 px plan with the calibration read, as text.
    case calibration
    /// Weights: `WeightsLoader.load` on a `torch.save` file (zip or legacy), after reading the tensors that
    /// `TorchCheckpoint` finds, 2^22 elements in all (the loader reads tensors only for complete VGG files).
    case torch

    /// The extension of the scratch file that holds an input (the parsers tell formats by content, not by name).
    var fileExtension: String {
        switch self {
        case .png: return "png"
        case .jpeg: return "jpg"
        case .safetensors: return "safetensors"
        case .hdf5: return "h5"
        case .preset: return "json"
        case .checkpoint: return "ckpt"
        case .manifest: return "jsonl"
        case .calibration: return "json"
        case .torch: return "pt"
        }
    }

    /// The valid manifest record the `manifest` target mutates: (key, JSON value) in the order `MutatedField` counts.
    static let manifestRecord: [(key: String, value: String)] = [
        ("index", "0"), ("of", "2"), ("name", "\"a-s\""), ("output", "\"a-s.png\""), ("content", "\"a.jpg\""),
        ("style", "\"s.jpg\""), ("preset", "\"default\""), ("plan", "\"0123456789abcdef\""), ("status", "\"done\""),
        ("loss", "3.5"), ("seconds", "12.25"), ("error", "null"), ("shard", "\"0/2\""), ("report", "\"reports/a-s.html\""),
        ("frame", "0"), ("flicker", "1.5"), ("time", "1765000000.5"),
    ]

    /// The valid calibration entry the `calibration` target mutates.
    static let calibrationEntry: [(key: String, value: String)] = [
        ("fixed", "0.004"), ("perMultiply", "1.2e-10"), ("perVectorValue", "2.5e-10"), ("kernelTransforms", "0.03"),
    ]
    static let calibrationKey = "fuzz | weights 0000000000000000 | winograd | calibration 3"

    /// A print-size plan (4096 px, five scales, tiles) whose time the `calibration` target estimates.
    static let printPlan: RunPlan = {
        let inputs = RunInputs(content: RGBImage(width: 400, height: 300), styles: [RGBImage(width: 300, height: 300)])
        var request = RunRequest(preset: .builtIn, content: "c.png", styles: ["s.png"], outputs: RunOutputs(image: "o.png"))
        request.size = 4096
        return try! RunPlan(request: request, inputs: inputs, architecture: .vgg19)
    }()

    /// Feeds `bytes` to the target's parser and returns the error it threw, or nil when it accepted the input.
    /// Parsers that take only a path read `bytes` from `scratch`, which is overwritten.
    func run(_ bytes: [UInt8], scratch: ScratchFile) -> Error? {
        do {
            switch self {
            case .png:
                let data = PNGChunks.withValidCRCs(bytes)
                _ = try ImageInfo(bytes: data, path: scratch.path)
                _ = try RGBImage(decoding: data, path: scratch.path)
            case .jpeg:
                _ = try ImageInfo(bytes: bytes, path: scratch.path)
                _ = try RGBImage(decoding: bytes, path: scratch.path)
            case .safetensors:
                try scratch.write(bytes)
                // The loader needs all 13 convolutions before it reads a tensor; read every tensor the header
                // validated as well, since the header check is what keeps those reads inside the file.
                if SafetensorsFile.looksLike(bytes), let file = try? SafetensorsFile(path: scratch.path, name: scratch.path) {
                    for (key, entry) in file.entries where SafetensorsFile.dtypes[entry.dtype] != nil {
                        _ = try? file.floats(key)
                    }
                }
                _ = try WeightsLoader.load(path: scratch.path)
            case .hdf5:
                try scratch.write(bytes)
                HDF5Walk.readEverything(path: scratch.path)
                _ = try WeightsLoader.load(path: scratch.path)
            case .preset:
                try scratch.write(bytes)
                _ = try Preset.load(path: scratch.path)
            case .checkpoint:
                try scratch.write(bytes)
                _ = try Checkpoint.read(path: scratch.path)
            case .manifest:
                let fields = FuzzTarget.manifestRecord
                let mutated = MutatedField(bytes, fieldCount: fields.count)
                let first = MutatedField([], fieldCount: 0).object(fields)
                var second = fields
                second[0].value = "1"
                let records = try BatchRecord.parse(first + "\n" + mutated.object(second) + "\n", path: scratch.path)
                let merged = BatchManifest.merge(records)
                _ = BatchManifest.text(merged.records)
            case .calibration:
                let fields = FuzzTarget.calibrationEntry
                let mutated = MutatedField(bytes, fieldCount: fields.count + 1)
                // Field 0 is the entry's key; the others its coefficients.
                let key = mutated.field == 0 ? mutated.text : "\"\(FuzzTarget.calibrationKey)\""
                try scratch.write(Array("{\(key): \(mutated.object(fields, first: 1))}".utf8))
                let (found, warning) = TimeCalibration.cached(key: FuzzTarget.calibrationKey, path: scratch.path)
                if let warning { throw FuzzRefusal(description: warning) }
                if let found {
                    _ = durationText(FuzzTarget.printPlan.estimatedSeconds(found, architecture: .vgg19))
                }
            case .torch:
                try scratch.write(bytes)
                // The names may all lead to one strided tensor (memo references): at most 2^22 elements in all.
                if let file = try? TorchCheckpoint(path: scratch.path, name: scratch.path) {
                    var budget = 1 << 22
                    for (key, tensor) in file.tensors {
                        let count = tensor.extent?.count ?? 0
                        guard count <= budget else { continue }
                        budget -= count
                        _ = try? file.floats(key)
                    }
                }
                _ = try WeightsLoader.load(path: scratch.path)
            }
            return nil
        } catch {
            return error
        }
    }
}

/// A warning the `calibration` target's reader gave (it warns and goes on rather than throwing).
struct FuzzRefusal: Error, CustomStringConvertible {
    let description: String
}
