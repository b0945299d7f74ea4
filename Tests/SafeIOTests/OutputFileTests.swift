import Foundation
import XCTest
@testable import SafeIO

/// Outputs: staged in a short hidden temporary file and renamed into place; inputs are never replaced; paths are
/// compared after resolving symbolic links.
final class OutputFileTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("safeio-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        folder = PathResolution.resolved(folder)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    func listing() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() }

    /// A name of NAME_MAX (255) bytes works: the temporary name does not grow with the destination's name.
    func testLongestFileNameWorks() throws {
        for length in [236, 250, 255] {
            let name = String(repeating: "n", count: length - 4) + ".png"
            try StagedFile.write([1, 2, 3], to: folder + "/" + name)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)), Data([1, 2, 3]))
        }
        XCTAssertEqual(listing().count, 3, "no temporary file left: \(listing())")
    }

    func testTemporaryIsHiddenAndRemovedWhenDropped() throws {
        var staged: StagedFile? = try StagedFile(path: folder + "/out.png")
        try staged!.append([1, 2, 3])
        let temporary = (staged!.temporaryPath as NSString).lastPathComponent
        XCTAssertTrue(temporary.hasPrefix(".stylize-") && temporary.hasSuffix(".tmp") && temporary.count <= 32, temporary)
        XCTAssertEqual(listing(), [temporary])
        staged = nil
        XCTAssertEqual(listing(), [], "dropped without commit: no file at all")
    }

    /// A file opened as an input is never replaced by an output, whatever the path (symbolic link, hard link).
    func testInputIsNeverReplaced() throws {
        let input = folder + "/photo.png"
        try Data([9, 9, 9]).write(to: URL(fileURLWithPath: input))
        ReadFiles.startRecording()
        _ = try InputFile.contents(of: input, limit: 100, what: "tests")
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.png", withDestinationPath: input)
        XCTAssertEqual(link(input, folder + "/hard.png"), 0)
        for target in [input, folder + "/link.png", folder + "/hard.png", folder + "/./photo.png"] {
            XCTAssertThrowsError(try StagedFile.write([1], to: target)) { error in
                XCTAssertEqual((error as? FileAccessError)?.kind, .wouldOverwriteInput(input), "\(target)")
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: input)), Data([9, 9, 9]))
        XCTAssertEqual(listing(), ["hard.png", "link.png", "photo.png"])
    }

    func testResolvedPaths() throws {
        try FileManager.default.createDirectory(atPath: folder + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder + "/alias", withDestinationPath: folder + "/real")
        XCTAssertEqual(PathResolution.resolved(folder + "/alias/new/x.png"), folder + "/real/new/x.png")
        XCTAssertEqual(PathResolution.resolved(folder + "/alias/../real/./y.png"), folder + "/real/y.png")
        XCTAssertEqual(PathResolution.resolved(folder + "/missing/../z.png"), folder + "/z.png")
        let cwd = FileManager.default.currentDirectoryPath
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        FileManager.default.changeCurrentDirectoryPath(folder + "/alias")
        XCTAssertEqual(PathResolution.resolved("w.png"), folder + "/real/w.png")
    }

    func testMissingFolderAndDirectoryDestination() {
        XCTAssertThrowsError(try StagedFile.write([1], to: folder + "/none/x.png")) { error in
            XCTAssertEqual((error as? FileAccessError)?.kind, .cannotWrite("folder \(folder)/none/ does not exist"))
        }
        XCTAssertThrowsError(try StagedFile.write([1], to: folder)) { error in
            XCTAssertEqual((error as? FileAccessError)?.kind, .cannotWrite("is a directory"))
        }
    }
}
