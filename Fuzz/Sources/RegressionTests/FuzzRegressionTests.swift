import Foundation
@testable import Imaging
import SafeIO
@testable import StyleTransfer
@testable import WeightFiles
import XCTest

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
        XCTAssertTrue(error is ImageError || error is WeightsError || error is PresetError || error is CheckpointError
                      || error is BatchError || error is FuzzRefusal,
                      "\(target) \(name): untyped error \(type(of: error)): \(error)")
        let text = "\(error)"
        // "FILE: problem", or "FILE:LINE: problem" for a manifest.
        XCTAssertTrue(text.hasPrefix(scratch.path + ":"), "\(target) \(name): message does not start with the file: \(text)")
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
    /// and are refused; the preset, checkpoint, manifest and calibration seeds named `bad_*` are refused and the
    /// others load.
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
                case .safetensors, .hdf5, .torch: XCTAssertNotNil(error, "\(name) loaded as complete VGG weights")
                case .preset, .checkpoint, .manifest, .calibration:
                    if name.hasPrefix("bad_") { XCTAssertNotNil(error, "\(name) loaded") }
                    else { XCTAssertNil(error, "\(name): \(error.map { "\($0)" } ?? "")") }
                }
            }
        }
    }

    /// The inputs that crashed or hung libhdf5 in its global heap and attribute decoding now get the Swift
    /// reader's own one-line errors (the messages below are what it says for each).
    func testFormerLibHDF5CrashesGetCleanErrors() throws {
        let scratch = ScratchFile(tag: "libhdf5-crashes", fileExtension: "h5")
        defer { scratch.remove() }
        for (name, expected) in [
            ("global_heap_free_space_size_0.h5", "object header continuation at address 8192 lacks its \"OCHK\" signature"),
            ("global_heap_object_size_2pow64.h5", "global heap at address 2048: object size 18446744073709486092 is not plausible"),
            ("vlen_attribute_read_segv.h5", "global heap at address 2048 has no object 2"),
            ("attribute_name_unterminated.h5", "symbol table node at address 1616 lacks its \"SNOD\" signature"),
            ("attribute_use_after_free.h5", "attribute message ends early"),
            ("object_header_size_4gib_malloc.h5", "(4294967295 bytes) lies past the end of the file (6948 bytes)")] {
            let error = try replay("\(Self.fuzzFolder)/regressions/hdf5/\(name)", .hdf5, scratch: scratch)
            XCTAssertTrue(error.map { "\($0)" }?.contains(expected) ?? false, "\(name): \(String(describing: error))")
        }
    }
}
