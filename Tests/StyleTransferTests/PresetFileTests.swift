import Foundation
import XCTest
@testable import StyleTransfer

/// Preset files are read only when they are regular files of at most 1 MiB: a FIFO (which would block), a device
/// (which never ends), a directory or an oversized file gives one line naming the file.
final class PresetFileTests: XCTestCase {
    func message(_ path: String) -> String {
        do {
            _ = try Preset.load(path: path)
            XCTFail("\(path) loaded")
        } catch {
            return "\(error)"
        }
        return ""
    }

    func testOnlyRegularFilesOfBoundedSize() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("presets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(mkfifo("\(dir)/p.json", 0o600), 0)
        XCTAssertEqual(message("\(dir)/p.json"), "\(dir)/p.json: is a FIFO (named pipe), not a regular file; give a file on disk")
        XCTAssertEqual(message("/dev/zero"), "/dev/zero: is a character device, not a regular file; give a file on disk")
        XCTAssertEqual(message(dir), "\(dir): is a directory, not a preset file")
        XCTAssertEqual(message("\(dir)/none.json"), "\(dir)/none.json: no such preset file")
        let big = "{\"description\": \"" + String(repeating: "x", count: 1 << 20) + "\"}"
        try big.write(toFile: "\(dir)/big.json", atomically: false, encoding: .utf8)
        XCTAssertEqual(message("\(dir)/big.json"), "\(dir)/big.json: file of \(big.utf8.count) bytes exceeds the 1 MiB limit for presets")
    }

    func testPathOfASpec() {
        XCTAssertEqual(Preset.path(of: "subtle-style", folder: "/p"), "/p/subtle-style.json")
        XCTAssertEqual(Preset.path(of: "mine.json", folder: "/p"), "mine.json")
        XCTAssertEqual(Preset.path(of: "dir/mine", folder: "/p"), "dir/mine")
    }
}
