import Foundation
import NeuralCore
@testable import WeightFiles
import XCTest

/// Crafted weight files: each gives one clean `WeightsError` line, quickly, without reading past the file,
/// following links out of it or allocating from unchecked sizes. The safetensors files are built here; the HDF5
/// files by Fixtures/make_hostile_hdf5.py.
final class WeightsHostileTests: XCTestCase {
    typealias S = WeightsTestSupport

    /// A safetensors file from a raw JSON header and `data` bytes after it.
    func safetensors(_ dir: String, _ name: String, header: String, data: Int = 16) throws -> String {
        var json = Data(header.utf8)
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var file = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(Data(repeating: 0, count: data))
        let path = "\(dir)/\(name)"
        try file.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Valid tensors plus one entry whose end offset is near 2^63: `8 + header + end` wraps negative in unchecked
    /// arithmetic and used to pass the size check, then read past the mapped file (SIGSEGV).
    func testOffsetNearTwoToThe63IsRefused() throws {
        let dir = try S.temporaryDirectory(self)
        let good = #""features.0.bias": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}"#
        let cases = [("9223372036854775000", "truncated (header says 9223372036854775"),
                     ("9223372036854775807", "extra: data_offsets [0, 9223372036854775807] reach beyond the end of any file"),
                     ("18446744073709551615", "extra: bad data_offsets"), ("1e30", "extra: bad data_offsets"),
                     ("-8", "extra: bad data_offsets")]
        for (i, (end, message)) in cases.enumerated() {
            let path = try safetensors(dir, "near\(i).safetensors", header:
                "{\(good), \"extra\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, \(end)]}}")
            let error = S.error { _ = try WeightsLoader.load(path: path) }
            XCTAssertTrue(error?.description.hasPrefix("\(path): \(message)") ?? false, "\(end): \(String(describing: error))")
        }
    }

    /// Shapes whose element count overflows: [2^32, 2^32] used to wrap to 0 and [2^61] to print a negative size.
    func testShapeProductsAreChecked() throws {
        let dir = try S.temporaryDirectory(self)
        let cases = [("[4294967296, 4294967296]", "more elements than a 64-bit count holds"),
                     ("[2305843009213693952]", "needs more than 2^63 bytes, offsets give 16"),
                     ("[-4]", "must be at most 8 whole numbers"),
                     ("[1.5]", "must be at most 8 whole numbers")]
        for (i, (shape, message)) in cases.enumerated() {
            let path = try safetensors(dir, "shape\(i).safetensors", header:
                "{\"features.0.weight\": {\"dtype\": \"F32\", \"shape\": \(shape), \"data_offsets\": [0, 16]}}")
            let error = S.error { _ = try WeightsLoader.load(path: path) }
            XCTAssertEqual(error?.kind, .corrupt, shape)
            XCTAssertTrue(error?.message.contains(message) ?? false, "\(shape): \(String(describing: error))")
            XCTAssertFalse(error?.message.contains("-9223372036854775808") ?? true)
        }
    }

    func testHeaderLengthBeyondTheFile() throws {
        let dir = try S.temporaryDirectory(self)
        var bytes = Data([0xF8, 0xFF, 0xFF, 0xFF, 0x05, 0x00, 0x00, 0x00])   // 2^34 + ..., under 2^40
        bytes.append(Data("{\"a\": 1}".utf8))
        let path = "\(dir)/h.safetensors"
        try bytes.write(to: URL(fileURLWithPath: path))
        let error = S.error { _ = try WeightsLoader.load(path: path) }
        XCTAssertEqual(error?.kind, .corrupt)
        XCTAssertTrue(error?.message.contains("not plausible") ?? false, "\(String(describing: error))")
    }

    /// Hard links from every group back to the root and to each other: the walk visits each group once.
    func testCyclicGroupsEndQuickly() throws {
        let path = S.fixture("hostile_cycle.h5")
        let start = Date()
        let error = S.error { _ = try WeightsLoader.load(path: path) }
        XCTAssertEqual(error?.kind, .unrecognized, "\(String(describing: error))")
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "a 13 KB file must not take long")
    }

    /// A soft link back to the root where a layer group should be, and an external link to /dev/zero.
    func testSoftAndExternalLinksAreNotFollowed() throws {
        let path = S.fixture("hostile_soft_links.h5")
        let error = S.error { _ = try WeightsLoader.load(path: path) }
        XCTAssertEqual(error?.kind, .missingLayer, "\(String(describing: error))")
        let file = try HDF5File(path: path)
        XCTAssertEqual(try file.kind(of: "/outside"), .other)
        XCTAssertEqual(try file.kind(of: "/block1_conv1"), .other)
        XCTAssertEqual(try file.children(of: "/"), [], "only hard links are listed")
    }

    /// A kernel whose data HDF5 would read from /dev/zero (external storage) is refused.
    func testExternalStorageIsRefused() throws {
        let path = S.fixture("hostile_external_data.h5")
        let error = S.error { _ = try WeightsLoader.load(path: path) }
        XCTAssertEqual(error?.kind, .corrupt)
        XCTAssertTrue(error?.message.contains("outside the file") ?? false, "\(String(describing: error))")
    }

    /// An attribute of 65537 strings, which HDF5 keeps in dense attribute storage: refused, not searched.
    func testOversizedStringAttribute() throws {
        let path = S.fixture("hostile_many_strings.h5")
        let error = S.error { _ = try WeightsLoader.load(path: path) }
        XCTAssertEqual(error?.kind, .corrupt)
        XCTAssertTrue(error?.message.contains("attributes in dense storage") ?? false, "\(String(describing: error))")
    }

    /// Only regular files within the size limit are opened: a FIFO would block open(2), a sparse 1 TiB file is
    /// refused by its size.
    func testFIFOAndHugeSparseFile() throws {
        let dir = try S.temporaryDirectory(self)
        XCTAssertEqual(mkfifo("\(dir)/w.h5", 0o600), 0)
        let fifo = S.error { _ = try WeightsLoader.load(path: "\(dir)/w.h5") }
        XCTAssertEqual(fifo?.description, "\(dir)/w.h5: is a FIFO (named pipe), not a regular file; give a file on disk")
        FileManager.default.createFile(atPath: "\(dir)/big.safetensors", contents: nil)
        guard truncate("\(dir)/big.safetensors", off_t(1) << 40) == 0 else { throw XCTSkip("no sparse files here") }
        let big = S.error { _ = try WeightsLoader.load(path: "\(dir)/big.safetensors") }
        XCTAssertEqual(big?.description, "\(dir)/big.safetensors: file of 1 TiB exceeds the 4 GiB limit for weight files")
    }
}
