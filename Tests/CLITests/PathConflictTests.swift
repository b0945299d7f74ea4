import Foundation
import XCTest

/// Every command checks every path it writes against every path it reads, after resolving symbolic links and by
/// device and inode; the refused run writes nothing and the input keeps its bytes.
final class PathConflictTests: XCTestCase {
    let quick = ["--weights", "random:1", "--size", "32", "--iterations", "2"]

    /// A folder with a copy of a photo, a preset and a (random) weights stand-in, plus a symbolic and a hard link.
    func scene() throws -> (dir: String, photo: String, bytes: Data) {
        try CLI.requireImages()
        let dir = try CLI.tempDir().path
        let photo = "\(dir)/photo.png"
        try FileManager.default.copyItem(atPath: CLI.root.appendingPathComponent("images/chicky_512.png").path, toPath: photo)
        try FileManager.default.copyItem(atPath: CLI.root.appendingPathComponent("Presets/default.json").path, toPath: "\(dir)/my.json")
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/link.png", withDestinationPath: photo)
        XCTAssertEqual(link(photo, "\(dir)/hard.png"), 0)
        return (dir, photo, try Data(contentsOf: URL(fileURLWithPath: photo)))
    }

    func assertRefused(_ args: [String], mentions: String, dir: String, unchanged: [String: Data],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let before = CLI.listing(URL(fileURLWithPath: dir))
        let r = try CLI.run(args)
        XCTAssertNotEqual(r.status, 0, "\(args) should be refused", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(mentions), "\(args): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, file: file, line: line)
        XCTAssertEqual(CLI.listing(URL(fileURLWithPath: dir)), before, "\(args) wrote something", file: file, line: line)
        for (path, bytes) in unchanged {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), bytes, "\(path) changed", file: file, line: line)
        }
    }

    func testTransferOutputsAgainstEveryInput() throws {
        let (dir, photo, bytes) = try scene()
        let preset = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/my.json"))
        let base = ["--content", photo, "--style", "images/starry_night.jpg"] + quick
        try assertRefused(base + ["-o", "\(dir)/link.png"], mentions: "-o would overwrite the input \(photo) (--content)",
                          dir: dir, unchanged: [photo: bytes])
        try assertRefused(base + ["-o", "\(dir)/hard.png"], mentions: "-o would overwrite the input \(photo) (--content)",
                          dir: dir, unchanged: [photo: bytes])
        try assertRefused(base + ["-o", "\(dir)/o.png", "--preset", "\(dir)/my.json", "--log", "\(dir)/my.json"],
                          mentions: "--log would overwrite the input \(dir)/my.json (--preset)", dir: dir,
                          unchanged: ["\(dir)/my.json": preset])
        try assertRefused(base + ["-o", "\(dir)/o.png", "--log", "\(dir)/./o.png"],
                          mentions: "--log and -o name the same file", dir: dir, unchanged: [:])
        try assertRefused(base + ["-o", "\(dir)/o.png", "--init", "\(dir)/link.png", "--log", "\(dir)/hard.png"],
                          mentions: "--log would overwrite the input", dir: dir, unchanged: [photo: bytes])
        // --save-every writes o-NNNN.png beside -o: an input named like that is refused.
        try FileManager.default.copyItem(atPath: photo, toPath: "\(dir)/o-0002.png")
        try assertRefused(["--content", "\(dir)/o-0002.png", "--style", "images/starry_night.jpg", "-o", "\(dir)/o.png",
                           "--save-every", "1"] + quick, mentions: "--save-every", dir: dir, unchanged: ["\(dir)/o-0002.png": bytes])
    }

    func testWeightsFileIsNeverWritten() throws {
        let (dir, _, _) = try scene()
        let weights = CLI.root.appendingPathComponent("Weights/hed_bsds500.weights.h5").path
        guard FileManager.default.fileExists(atPath: weights) else { throw XCTSkip("run scripts/setup") }
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/w.h5", withDestinationPath: weights)
        let size = try FileManager.default.attributesOfItem(atPath: weights)[.size] as? Int
        let r = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--weights", weights,
                             "--size", "32", "--iterations", "1", "-o", "\(dir)/o.png", "--log", "\(dir)/w.h5"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--log would overwrite the input \(weights) (--weights)"), r.stderr)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: weights)[.size] as? Int, size)
    }

    func testFeaturesAndGramOutputsAgainstTheirInputs() throws {
        let (dir, photo, bytes) = try scene()
        try assertRefused(["features", photo, "-o", "\(dir)/link.png", "--weights", "random:1"],
                          mentions: "-o would overwrite the input \(photo) (image)", dir: dir, unchanged: [photo: bytes])
        try assertRefused(["features", "\(dir)/hard.png", "-o", photo, "--weights", "random:1"],
                          mentions: "-o would overwrite the input", dir: dir, unchanged: [photo: bytes])
        // Two outputs on one path: -o must end in .png and --npy in .npy, so the extension check refuses it first.
        try assertRefused(["features", photo, "-o", "\(dir)/f.png", "--npy", "\(dir)/f.png", "--weights", "random:1"],
                          mentions: "--npy must end in .npy", dir: dir, unchanged: [:])
        // --all writes LAYER.png into the -o folder: an input named block1_conv1.png there is refused.
        try FileManager.default.copyItem(atPath: photo, toPath: "\(dir)/block1_conv1.png")
        try assertRefused(["features", "\(dir)/block1_conv1.png", "--all", "-o", dir, "--weights", "random:1"],
                          mentions: "-o \(dir) could overwrite this input", dir: dir, unchanged: ["\(dir)/block1_conv1.png": bytes])
        // gram writes STEM-LAYER.png into its folder.
        try FileManager.default.copyItem(atPath: photo, toPath: "\(dir)/photo-block1_conv1.png")
        try assertRefused(["gram", photo, "--compare", "\(dir)/photo-block1_conv1.png", "-o", dir, "--weights", "random:1"],
                          mentions: "could overwrite this input", dir: dir, unchanged: ["\(dir)/photo-block1_conv1.png": bytes])
    }

    /// An output name of 236 to 255 bytes works: the temporary name no longer grows with it.
    func testLongestOutputName() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir().path
        let name = String(repeating: "n", count: 251) + ".png"
        let r = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "-o", "\(dir)/\(name)"] + quick)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(CLI.listing(URL(fileURLWithPath: dir)), [name])
    }

    /// Inputs that are not regular files: one line, at once, nothing written.
    func testSpecialFilesAsInputs() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir().path
        XCTAssertEqual(mkfifo("\(dir)/fifo", 0o600), 0)
        for (args, message) in [(["--content", "\(dir)/fifo"], "\(dir)/fifo: is a FIFO (named pipe), not a regular file"),
                                (["--content", "/dev/zero"], "/dev/zero: is a character device, not a regular file"),
                                (["--content", "images/building.jpg", "--preset", "\(dir)/fifo"], "\(dir)/fifo: is a FIFO"),
                                (["--content", "images/building.jpg", "--weights", "\(dir)/fifo"], "\(dir)/fifo: is a FIFO")] {
            var full = args + ["--style", "images/starry_night.jpg", "-o", "\(dir)/o.png", "--size", "32", "--iterations", "1"]
            if !args.contains("--weights") { full += ["--weights", "random:1"] }
            let r = try CLI.run(full)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertEqual(CLI.listing(URL(fileURLWithPath: dir)), ["fifo"])
        }
    }
}
