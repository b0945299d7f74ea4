import Foundation
import XCTest
@testable import SafeIO

/// Inputs: only regular files, sizes checked with fstat before anything is read, ranges from file headers checked
/// against the real size with checked arithmetic.
final class InputFileTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("safeio-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    func kind(_ body: () throws -> Void) -> FileAccessError.Kind? {
        do { try body() } catch let error as FileAccessError { return error.kind } catch { XCTFail("\(error)") }
        return nil
    }

    func testRegularFileIsRead() throws {
        let path = folder + "/a.bin"
        try Data([1, 2, 3, 4, 5]).write(to: URL(fileURLWithPath: path))
        let file = try InputFile(path: path, limit: 100, what: "tests")
        XCTAssertEqual(file.size, 5)
        XCTAssertEqual(try file.readAll(), [1, 2, 3, 4, 5])
        XCTAssertEqual(try file.read(offset: 3, count: 2), [4, 5])
    }

    /// A FIFO with no writer would block open(2) and read(2) forever; it is refused at once.
    func testFIFOIsRefusedWithoutBlocking() {
        let path = folder + "/pipe"
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        XCTAssertEqual(kind { _ = try InputFile.contents(of: path, limit: 100, what: "tests") },
                       .notRegularFile("FIFO (named pipe)"))
    }

    /// /dev/zero never ends; it is refused before a byte is read.
    func testDeviceIsRefused() {
        XCTAssertEqual(kind { _ = try InputFile.contents(of: "/dev/zero", limit: 100, what: "tests") },
                       .notRegularFile("character device"))
    }

    func testDirectoryAndMissingFile() {
        XCTAssertEqual(kind { _ = try InputFile(path: folder, limit: 100, what: "tests") }, .isDirectory)
        XCTAssertEqual(kind { _ = try InputFile(path: folder + "/none", limit: 100, what: "tests") }, .notFound)
    }

    /// A sparse 1 TiB file (no disk space used) is refused by its size before any allocation.
    func testSparseTerabyteFileIsRefused() throws {
        let path = folder + "/huge.png"
        FileManager.default.createFile(atPath: path, contents: nil)
        guard truncate(path, off_t(1) << 40) == 0 else { throw XCTSkip("this file system refuses a sparse 1 TiB file") }
        let error = kind { _ = try InputFile.contents(of: path, limit: 512 << 20, what: "images") }
        XCTAssertEqual(error, .tooLarge(size: 1 << 40, limit: 512 << 20, what: "images"))
        XCTAssertEqual(FileAccessError(path: "x", kind: error!).description,
                       "x: file of 1 TiB exceeds the 512 MiB limit for images")
    }

    /// Offsets from a file header near 2^63 must give an error, not a wrapped sum that passes a bounds check.
    func testRangesNearIntMaxAreRefused() throws {
        let path = folder + "/b.bin"
        try Data(repeating: 7, count: 16).write(to: URL(fileURLWithPath: path))
        let file = try InputFile(path: path, limit: 100, what: "tests")
        for (offset, count) in [(Int.max - 3, 8), (8, Int.max), (-1, 4), (4, -1), (10, 7), (Int.max, Int.max)] {
            guard case .truncated = kind({ _ = try file.read(offset: offset, count: count) }) else {
                return XCTFail("range \(offset), \(count) was not refused")
            }
        }
    }

    func testByteText() {
        XCTAssertEqual(byteText(300), "300 bytes")
        XCTAssertEqual(byteText(512 << 20), "512 MiB")
        XCTAssertEqual(byteText(3 << 29), "1.5 GiB")
    }
}
