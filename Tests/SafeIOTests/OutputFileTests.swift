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

    /// The kind of file at `path` without following a symbolic link (`S_IFIFO`, `S_IFLNK`...).
    func kind(_ path: String) -> mode_t {
        var status = stat()
        return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : 0
    }

    /// A destination that is not a regular file (a FIFO, a device, a symbolic link to /dev/null) is refused, saying
    /// what it is, and stays what it was: rename(2) would have replaced it with a regular file.
    func testDestinationsThatAreNotRegularFilesAreRefused() throws {
        XCTAssertEqual(mkfifo(folder + "/fifo", 0o600), 0)
        try FileManager.default.createSymbolicLink(atPath: folder + "/null", withDestinationPath: "/dev/null")
        var cases = [("fifo", "is a FIFO (named pipe), not a regular file", S_IFIFO),
                     ("null", "is a symbolic link to /dev/null, not a regular file", S_IFLNK)]
        if mknod(folder + "/device", S_IFCHR | 0o600, 0) == 0 {   // root only; else the symbolic link stands in for it
            cases.append(("device", "is a character device, not a regular file", S_IFCHR))
        }
        for (name, problem, type) in cases {
            XCTAssertThrowsError(try StagedFile.write([1, 2, 3], to: folder + "/" + name)) { error in
                XCTAssertEqual((error as? FileAccessError)?.kind, .cannotWrite(problem), name)
                XCTAssertEqual((error as? FileAccessError)?.description, "\(folder)/\(name): cannot write: \(problem)")
            }
            XCTAssertEqual(kind(folder + "/" + name), type, "\(name) was replaced")
        }
        // Also at the rename: a destination that becomes a FIFO while the file is being written.
        let staged = try StagedFile(path: folder + "/late")
        try staged.append([1])
        XCTAssertEqual(mkfifo(folder + "/late", 0o600), 0)
        XCTAssertThrowsError(try staged.commit()) { error in
            XCTAssertEqual((error as? FileAccessError)?.kind, .cannotWrite("is a FIFO (named pipe), not a regular file"))
        }
        XCTAssertEqual(kind(folder + "/late"), S_IFIFO)
        XCTAssertFalse(listing().contains { $0.hasSuffix(".tmp") }, "\(listing())")
    }

    /// Names that do not fit the file system are refused before a byte is written: a component over NAME_MAX
    /// (255 bytes), a path over PATH_MAX.
    func testNamesTooLongAreRefused() {
        let long = folder + "/" + String(repeating: "n", count: 252) + ".png"
        XCTAssertThrowsError(try WriteTarget.check(long)) { error in
            XCTAssertEqual((error as? FileAccessError)?.kind,
                           .cannotWrite("the name has 256 bytes, more than the 255 a file name may have; choose a shorter one"))
        }
        let deep = folder + String(repeating: "/" + String(repeating: "d", count: 200), count: 21) + "/x.png"
        XCTAssertThrowsError(try WriteTarget.check(deep)) { error in
            guard case .cannotWrite(let reason)? = (error as? FileAccessError)?.kind else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.hasPrefix("the path has \(deep.utf8.count) bytes, more than the"), reason)
        }
        XCTAssertNoThrow(try WriteTarget.check(folder + "/" + String(repeating: "n", count: 251) + ".png"))
        XCTAssertEqual(listing(), [])
    }

    /// A folder in the path that is a file is named as such, not as a folder that does not exist.
    func testFileInPlaceOfAFolderIsNamed() throws {
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/afile"))
        for path in [folder + "/afile/x.png", folder + "/afile/sub/x.png"] {
            XCTAssertThrowsError(try StagedFile.write([1], to: path)) { error in
                XCTAssertEqual((error as? FileAccessError)?.kind, .cannotWrite("\(folder)/afile is not a folder"), path)
            }
            XCTAssertThrowsError(try WriteTarget.check(path, folderMade: true)) { error in
                XCTAssertEqual((error as? FileAccessError)?.kind, .cannotWrite("\(folder)/afile is not a folder"), path)
            }
        }
        XCTAssertNoThrow(try WriteTarget.check(folder + "/new/sub/x.png", folderMade: true))
        XCTAssertEqual(listing(), ["afile"])
    }
}
