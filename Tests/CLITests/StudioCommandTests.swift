import Foundation
import XCTest

/// `stylize studio`'s options, through the real binary (its page is tested by scripts/test-studio, its endpoints by
/// StudioTests).
final class StudioCommandTests: XCTestCase {
    func testBadFolderAndPortAreOneLineEach() throws {
        let missing = try CLI.run(["studio", "--folder", "/nonexistent/images"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("--folder /nonexistent/images: no such folder"), missing.stderr)
        XCTAssertEqual(missing.stderr.split(separator: "\n").filter { !$0.hasPrefix("Usage") && !$0.hasPrefix("  See") && !$0.isEmpty }.count, 1,
                       missing.stderr)
        let port = try CLI.run(["studio", "--folder", ".", "--port", "70000"])
        XCTAssertNotEqual(port.status, 0)
        XCTAssertTrue(port.stderr.contains("--port 70000: a port is 0...65535"), port.stderr)
    }
}
