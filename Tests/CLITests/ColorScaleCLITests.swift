import Foundation
import XCTest

/// `--style-layers-of` (scale control) through the real binary: a run with the coarse layers of one painting and
/// the fine of another writes its picture and resumes; every bad group gets one line naming the option, a non-zero
/// exit and no output file.
final class ColorScaleCLITests: XCTestCase {
    func small(_ out: URL) -> [String] {
        ["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--style", "images/baboon.jpg",
         "--size", "32", "--iterations", "3", "--weights", "random:1", "-o", out.path]
    }

    func testStyleLayersOfRunsAndResumes() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("s.png"), ckpt = dir.appendingPathComponent("s.ckpt")
        let r = try CLI.run(small(out) + ["--style-layers-of", "images/starry_night.jpg=relu4_1,relu5_1",
                                          "--style-layers-of", "images/baboon.jpg=relu1_1,relu2_1,relu3_1", "--checkpoint", ckpt.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.path))
        let again = dir.appendingPathComponent("again.png")
        let resumed = try CLI.run(["resume", ckpt.path, "-o", again.path])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try Data(contentsOf: again), try Data(contentsOf: out), "the finished checkpoint resumes to the same image")
    }

    func testBadStyleLayerGroupsGetOneLine() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("bad.png")
        let cases: [([String], String)] = [
            (["--style-layers-of", "images/nope.jpg=relu1_1"], "--style-layers-of images/nope.jpg: images/nope.jpg is not one of the --style images"),
            (["--style-layers-of", "images/baboon.jpg=relu9_1"], "--style-layers-of images/baboon.jpg: vgg19 has no layer relu9_1"),
            (["--style-layers-of", "images/baboon.jpg=relu3_2"], "relu3_2 is not a style layer of this run"),
            (["--style-layers-of", "images/baboon.jpg=relu1_1", "--style-layers-of", "images/baboon.jpg=relu2_1"], "given twice"),
            (["--style-layers-of", "images/baboon.jpg=relu1_1", "--style-layers-of", "images/starry_night.jpg=relu2_1"],
             "is claimed by no style"),
            (["--style-layers-of", "images/baboon.jpg="], "--style-layers-of"),
        ]
        for (args, expected) in cases {
            let r = try CLI.run(small(out) + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error") }.count, 1, "\(args): one line: \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(args): no output")
        }
    }
}
