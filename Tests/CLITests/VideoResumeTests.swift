import Foundation
import XCTest

/// `stylize video` stopped for real (SIGKILL, and SIGINT) after some frames and run again: it resumes at the frame it
/// stopped at and ends with the files of a run never stopped. Reference: the same command run to the end in another
/// folder; the frames are compared byte for byte (random weights are enough, the claim is equality).
final class VideoResumeTests: XCTestCase {
    static let frameCount = 4

    /// Four 40x30 frames of vtest.avi, numbered, in `dir/in`.
    func inputFrames(in dir: URL) throws -> URL { try CLI.clipFrames(Self.frameCount, width: 40, height: 30, in: dir) }

    func args(_ frames: URL, _ out: URL, method: String) -> [String] {
        ["video", "--content", frames.path, "--style", CLI.root.appendingPathComponent("images/starry_night.jpg").path,
         "-o", out.path, "--method", method, "--size", "40", "--weights", "random:5:vgg16", "--iterations", "40"]
    }

    /// The styled frames of an output folder (its visible files but the manifest, whose times differ), by name.
    func frames(_ folder: URL) throws -> [String: Data] {
        var found: [String: Data] = [:]
        for name in CLI.listing(folder) where !name.hasPrefix(".") && name != "manifest.jsonl" && name != "video-timing.json" {
            found[name] = try Data(contentsOf: folder.appendingPathComponent(name))
        }
        return found
    }

    func testAKilledOrInterruptedRunResumesAtItsFrameAndEndsWithTheSameFiles() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let input = try inputFrames(in: dir)
        for method in ["flow", "blend"] {
            let reference = dir.appendingPathComponent("reference-\(method)")
            let whole = try CLI.run(args(input, reference, method: method) + ["--quiet"])
            XCTAssertEqual(whole.status, 0, whole.stderr)
            let expected = try frames(reference)
            XCTAssertEqual(expected.count, Self.frameCount, "\(method): one output a frame: \(expected.keys.sorted())")

            for sig in [SIGKILL, SIGINT] {
                let label = "\(method), \(sig == SIGKILL ? "SIGKILL" : "SIGINT")"
                let out = dir.appendingPathComponent("\(method)-\(sig)")
                // Stopped while the third frame runs: the progress line that starts it says two are finished.
                let run = try SignalledRun(args: args(input, out, method: method))
                try run.waitFor("batch: 2/\(Self.frameCount) items")
                kill(run.process.processIdentifier, sig)
                let stopped = run.finish().output
                XCTAssertNotEqual(stopped.status, 0, "\(label): the run was stopped before its end\n\(stopped.stderr)")
                XCTAssertFalse(stopped.stderr.contains("Fatal error"), "\(label): \(stopped.stderr)")
                let left = try frames(out)
                XCTAssertEqual(left.keys.sorted(), Array(expected.keys.sorted().prefix(2)),
                               "\(label): the two finished frames are kept, nothing else under a frame's name")

                let again = try CLI.run(args(input, out, method: method) + ["--quiet"])
                XCTAssertEqual(again.status, 0, "\(label): \(again.stderr)")
                XCTAssertTrue(again.stdout.contains("batch: 2 done, 2 skipped, 0 failed of 4 items"),
                              "\(label): the rerun resumes at the third frame\n\(again.stdout)")
                let resumed = try frames(out)
                XCTAssertEqual(resumed.keys.sorted(), expected.keys.sorted(), label)
                for (name, bytes) in expected {
                    XCTAssertEqual(resumed[name], bytes, "\(label): \(name) differs from the uninterrupted run's")
                }
            }
        }
    }
}
