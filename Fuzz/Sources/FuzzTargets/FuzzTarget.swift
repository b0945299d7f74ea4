import Foundation
@testable import Imaging
@testable import NeuralCore
@testable import StyleTransfer

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
        case .torch: return "pt"
        }
    }

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
                    for (key, entry) in file.entries where SafetensorsFile.elementSizes[entry.dtype] != nil {
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
