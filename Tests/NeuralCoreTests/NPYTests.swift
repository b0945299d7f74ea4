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

    func testNumpyLoadsIt() throws {
        let values: [Float] = [0, 1.5, -2.25, 3e-7, 1e6, -0.0]  // numpy prints float(float32(3e-7)) = 3.000000106112566e-07
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stylize-\(UUID().uuidString).npy").path
        try Data(NPY.encode(values, shape: [2, 3])).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import numpy, sys; a = numpy.load(sys.argv[1]); print(a.dtype, a.shape, ' '.join(repr(float(v)) for v in a.ravel()))", path]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = Pipe()
        try p.run()
        p.waitUntilExit()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard p.terminationStatus == 0 else { throw XCTSkip("python3 with numpy is not available") }
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines),
                       "float32 (2, 3) 0.0 1.5 -2.25 \(Double(Float(3e-7))) 1000000.0 -0.0")
    }
}
