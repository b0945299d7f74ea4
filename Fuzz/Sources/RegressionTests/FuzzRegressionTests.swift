import Foundation
import SafeIO
import XCTest
@testable import Imaging
@testable import NeuralCore
@testable import StyleTransfer

/// Replays every committed fuzz input through `FuzzTarget.run`, the calls the libFuzzer harness makes: the inputs a
/// fuzzer crashed on (`Fuzz/regressions/TARGET/`) and the seed corpus (`Fuzz/corpus/TARGET/`). A crash takes the
/// test run down; beyond that, every regression input must be refused with the parser's own typed error, one line
/// that names the file, and every seed must give the outcome its file name promises.
final class FuzzRegressionTests: XCTestCase {
    /// The `Fuzz` folder of the checkout (this file is `Fuzz/Sources/RegressionTests/FuzzRegressionTests.swift`).
    static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The files of `Fuzz/KIND/TARGET`, sorted; empty when the folder does not exist.
    func inputs(_ kind: String, _ target: FuzzTarget) -> [String] {
        let folder = "\(Self.fuzzFolder)/\(kind)/\(target.rawValue)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { "\(folder)/\($0)" }
    }

    /// Runs one committed input; returns the error, after checking that it is a clean one.
    func replay(_ path: String, _ target: FuzzTarget, scratch: ScratchFile) throws -> Error? {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard let error = target.run(bytes, scratch: scratch) else { return nil }
        let name = (path as NSString).lastPathComponent
        XCTAssertTrue(error is ImageError || error is WeightsError || error is PresetError || error is CheckpointError,
                      "\(target) \(name): untyped error \(type(of: error)): \(error)")
        let text = "\(error)"
        XCTAssertTrue(text.hasPrefix(scratch.path + ": "), "\(target) \(name): message does not start with the file: \(text)")
        XCTAssertFalse(text.contains("\n"), "\(target) \(name): message is not one line: \(text)")
        return error
    }

    func testEveryRegressionInputIsRefusedCleanly() throws {
        var count = 0
        for target in FuzzTarget.allCases {
            let scratch = ScratchFile(tag: "regression-\(target)", fileExtension: target.fileExtension)
            defer { scratch.remove() }
            for path in inputs("regressions", target) {
                let error = try replay(path, target, scratch: scratch)
                XCTAssertNotNil(error, "\(target) \((path as NSString).lastPathComponent) was accepted")
                count += 1
            }
        }
        XCTAssertGreaterThan(count, 0, "no regression inputs found under \(Self.fuzzFolder)/regressions")
    }

    /// The image seeds are the decoder's valid fixtures and decode; the weight seeds are fragments of VGG files
    /// and are refused; the preset and checkpoint seeds named `bad_*` are refused and the others load.
    func testSeedCorpusGivesTheExpectedOutcome() throws {
        for target in FuzzTarget.allCases {
            let seeds = inputs("corpus", target)
            XCTAssertFalse(seeds.isEmpty, "no seeds for \(target)")
            let scratch = ScratchFile(tag: "seed-\(target)", fileExtension: target.fileExtension)
            defer { scratch.remove() }
            for path in seeds {
                let name = (path as NSString).lastPathComponent
                let error = try replay(path, target, scratch: scratch)
                switch target {
                case .png, .jpeg: XCTAssertNil(error, "\(name): \(error.map { "\($0)" } ?? "")")
                case .safetensors, .hdf5: XCTAssertNotNil(error, "\(name) loaded as complete VGG weights")
                case .preset, .checkpoint:
                    if name.hasPrefix("bad_") { XCTAssertNotNil(error, "\(name) loaded") }
                    else { XCTAssertNil(error, "\(name): \(error.map { "\($0)" } ?? "")") }
                }
            }
        }
    }

    /// The global-heap check refuses exactly the two files whose heaps crash or hang libhdf5, and passes the
    /// well-formed heaps h5py writes (the seeds with variable-length strings) and the bundled weights.
    func testGlobalHeapCheckRefusesOnlyDamagedHeaps() throws {
        func damaged(_ path: String) throws -> Int? {
            try HDF5GlobalHeaps.firstDamagedCollection(in: InputFile(path: path, limit: InputLimits.weightsBytes, what: "weight files"))
        }
        for name in ["keras3.h5", "legacy_model.h5"] {
            let path = "\(Self.fuzzFolder)/corpus/hdf5/\(name)"
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            XCTAssertTrue(bytes.indices.dropLast(4).contains { bytes[$0..<$0 + 4].elementsEqual("GCOL".utf8) },
                          "\(name) has no global heap to check")
            XCTAssertNil(try damaged(path), name)
        }
        XCTAssertEqual(try damaged("\(Self.fuzzFolder)/regressions/hdf5/global_heap_free_space_size_0.h5"), 2048)
        XCTAssertEqual(try damaged("\(Self.fuzzFolder)/regressions/hdf5/global_heap_object_size_2pow64.h5"), 2048)
        let bundled = "\(Self.fuzzFolder)/../\(WeightsLoader.bundledPath)"
        if FileManager.default.fileExists(atPath: bundled) { XCTAssertNil(try damaged(bundled), "bundled weights") }
    }
}
