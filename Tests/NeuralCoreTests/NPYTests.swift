import Foundation
import NeuralCore
import XCTest

/// `.npy` files are read back by numpy itself (the reference) when python3 with numpy is present.
final class NPYTests: XCTestCase {
    func testHeaderIsAlignedAndDescribesTheArray() {
        let bytes = NPY.encode(Tensor(height: 2, width: 3, channels: 4, data: (0..<24).map(Float.init)))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0, "data must start on a 64-byte boundary")
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.contains("'shape': (1, 2, 3, 4)"), header)
        XCTAssertEqual(bytes.count, 10 + headerLength + 24 * 4)
    }

    func testIntegersAreInt64() {
        let bytes = NPY.encode([0, 1, -2, 1 << 40], shape: [4])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertTrue(String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self).contains("'descr': '<i8', 'fortran_order': False, 'shape': (4,)"))
        XCTAssertEqual(Array(bytes[(10 + headerLength)...]),
                       [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                        0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0])
    }

    func testNumpyLoadsIntegers() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stylize-\(UUID().uuidString).npy").path
        try Data(NPY.encode([3, 0, -1, 2, 1, 5], shape: [3, 2])).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let out = try numpy("import numpy, sys; a = numpy.load(sys.argv[1]); print(a.dtype, a.shape, a.ravel().tolist())", path)
        XCTAssertEqual(out, "int64 (3, 2) [3, 0, -1, 2, 1, 5]")
    }

    /// Runs `script` with python3 and numpy (the reference), or skips when they are missing.
    private func numpy(_ script: String, _ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, path]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = Pipe()
        try p.run()
        p.waitUntilExit()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard p.terminationStatus == 0 else { throw XCTSkip("python3 with numpy is not available") }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testNumpyLoadsIt() throws {
        let values: [Float] = [0, 1.5, -2.25, 3e-7, 1e6, -0.0]  // numpy prints float(float32(3e-7)) = 3.000000106112566e-07
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stylize-\(UUID().uuidString).npy").path
        try Data(NPY.encode(values, shape: [2, 3])).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let out = try numpy("import numpy, sys; a = numpy.load(sys.argv[1]); print(a.dtype, a.shape, ' '.join(repr(float(v)) for v in a.ravel()))", path)
        XCTAssertEqual(out,
                       "float32 (2, 3) 0.0 1.5 -2.25 \(Double(Float(3e-7))) 1000000.0 -0.0")
    }
}
