import Foundation
import XCTest

/// Checkpoints and `stylize resume`, `--dry-run` and `--fit`, end to end on a small random network.
/// Reference for the resume tests: the same run never stopped, whose image bytes and log lines (timings aside)
/// the resumed run must repeat.
final class ResumeTests: XCTestCase {
    let base = ["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--weights", "random:5"]

    /// The log's lines without their timings, which differ between any two runs.
    func logLines(_ path: String) throws -> [NSDictionary] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return object.filter { !["seconds", "elapsed", "objective_seconds", "optimizer_seconds"].contains($0.key) } as NSDictionary
        }
    }

    /// Runs stylize and sends SIGTERM once standard error shows `marker`; returns the exit status and standard output.
    func runTerminated(_ args: [String], after marker: String) throws -> (status: Int32, stdout: String) {
        let p = Process()
        p.executableURL = CLI.binary
        p.currentDirectoryURL = CLI.root
        p.arguments = args
        let err = Pipe(), out = Pipe()
        p.standardError = err
        p.standardOutput = out
        try p.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(120)
        while !seen.contains(marker) && Date() < deadline && p.isRunning {
            seen += String(decoding: err.fileHandleForReading.availableData, as: UTF8.self)
        }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    /// Stopped by SIGTERM in the first scale, in the second, in a one-scale run and in a tiled run, each resumed: the
    /// image bytes and the log lines of the run never stopped. Then the checkpoint of the finished run resumes to the same image.
    func testResumedRunEndsLikeTheUninterruptedRun() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        for (label, extra, marker) in [("one scale", ["--size", "48", "--iterations", "30"], "step    3"),
                                       ("two scales, stopped in the first", ["--scales", "32,48", "--iterations", "30"], "step    2"),
                                       ("two scales, noise start, stopped in the second",
                                        ["--scales", "32,56", "--iterations", "12", "--init", "noise", "--seed", "3"], "scale 2/2"),
                                       ("tiles of 16 px, stopped in the second scale",
                                        ["--scales", "32,48", "--iterations", "10", "--tile", "16"], "scale 2/2"),
                                       ("the photo's colours (the luminance optimised), tiles of 16 px, stopped in the second scale",
                                        ["--scales", "32,48", "--iterations", "10", "--tile", "16", "--color", "keep"], "scale 2/2")] {
            let full = try CLI.run(base + extra + ["-o", path("full.png"), "--log", path("full.jsonl")])
            XCTAssertEqual(full.status, 0, full.stderr)
            let stopped = try runTerminated(base + extra + ["-o", path("stopped.png"), "--log", path("ck.jsonl"),
                                                            "--checkpoint", path("run.ckpt")], after: marker)
            XCTAssertEqual(stopped.status, 143, "\(label): SIGTERM, exit 143")
            XCTAssertTrue(stopped.stdout.contains("continue with: stylize resume"), "\(label): \(stopped.stdout)")
            let resumed = try CLI.run(["resume", path("run.ckpt"), "-o", path("resumed.png")])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertTrue(resumed.stderr.contains("resuming at scale"), resumed.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("resumed.png"))),
                           try Data(contentsOf: URL(fileURLWithPath: path("full.png"))), "\(label): the image bytes")
            // The resumed run rewrote the run's log (ck.jsonl): the lines before the checkpoint, then its own.
            XCTAssertEqual(try logLines(path("ck.jsonl")), try logLines(path("full.jsonl")), "\(label): the log lines")
            // The checkpoint now holds the finished run: resuming it stops at once with the same image.
            let again = try CLI.run(["resume", path("run.ckpt"), "-o", path("again.png")])
            XCTAssertEqual(again.status, 0, again.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("again.png"))),
                           try Data(contentsOf: URL(fileURLWithPath: path("full.png"))), "\(label): the finished checkpoint")
            XCTAssertFalse(CLI.listing(dir).contains { $0.contains(".tmp") })
        }
    }

    func testBadCheckpointsGetOneLine() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        // A run on a copy of the content, so that the input can change afterwards.
        try FileManager.default.copyItem(atPath: CLI.root.appendingPathComponent("images/building.jpg").path, toPath: path("c.jpg"))
        let args = ["--content", path("c.jpg"), "--style", "images/starry_night.jpg", "--weights", "random:5", "--size", "32",
                    "--iterations", "4", "-o", path("out.png"), "--checkpoint", path("run.ckpt"), "--checkpoint-every", "1"]
        XCTAssertEqual(try CLI.run(args).status, 0)
        let good = try Data(contentsOf: URL(fileURLWithPath: path("run.ckpt")))
        var flipped = good
        flipped[good.count - 100] ^= 0x10
        var version = good
        version[8] = 9
        // A checkpoint of RGB values with original colours, as earlier versions wrote them (same length, so only the
        // value count tells).
        let rgbKeep = try XCTUnwrap(String(data: good, encoding: .isoLatin1)?
            .replacingOccurrences(of: "\"originalColors\":false", with: "\"originalColors\":true ").data(using: .isoLatin1))
        XCTAssertNotEqual(rgbKeep, good)
        let cases: [(String, Data, [String], String)] = [
            ("truncated.ckpt", good.prefix(good.count - 5), [], "truncated"),
            ("flipped.ckpt", flipped, [], "fingerprint does not match"),
            ("version.ckpt", version, [], "format 9"),
            ("rgb-keep.ckpt", rgbKeep, [], "written by an earlier version, which optimised RGB with original colours"),
            ("foreign.ckpt", try Data(contentsOf: CLI.root.appendingPathComponent("images/starry_night.jpg")), [], "not a stylize checkpoint"),
            ("empty.ckpt", Data(), [], "not a stylize checkpoint"),
            ("weights.ckpt", good, ["--weights", "random:6"], "other weights"),
        ]
        for (name, bytes, extra, mention) in cases {
            try bytes.write(to: URL(fileURLWithPath: path(name)))
            let r = try CLI.run(["resume", path(name), "-o", path("resumed.png")] + extra)
            XCTAssertNotEqual(r.status, 0, name)
            XCTAssertTrue(r.stderr.contains(mention), "\(name): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(name): one line: \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("resumed.png")), name)
        }
        let missing = try CLI.run(["resume", path("none.ckpt")])
        XCTAssertTrue(missing.stderr.contains("no such checkpoint file"), missing.stderr)
        // The content changes: the run cannot continue on another picture.
        try FileManager.default.removeItem(atPath: path("c.jpg"))
        try FileManager.default.copyItem(atPath: CLI.root.appendingPathComponent("images/fruits.jpg").path, toPath: path("c.jpg"))
        let changed = try CLI.run(["resume", path("run.ckpt"), "-o", path("resumed.png")])
        XCTAssertNotEqual(changed.status, 0)
        XCTAssertTrue(changed.stderr.contains("changed since the run started"), changed.stderr)
    }

    func testDryRunPrintsPlanMemoryAndTimeAndWritesNothing() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let cache = try CLI.tempDir()
        let out = dir.appendingPathComponent("out.png").path
        let r = try CLI.run(base + ["--size", "64", "--iterations", "5", "-o", out, "--log", dir.appendingPathComponent("l.jsonl").path,
                                    "--checkpoint", dir.appendingPathComponent("r.ckpt").path, "--dry-run"],
                            env: ["XDG_CACHE_HOME": cache.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        for line in ["64x44 (5 evaluations)", "memory: about", "time: about", "checkpoint: up to"] {
            XCTAssertTrue(r.stdout.contains(line), "\(line) in \(r.stdout)")
        }
        XCTAssertEqual(CLI.listing(dir), [], "a dry run writes nothing")
        XCTAssertEqual(CLI.listing(cache.appendingPathComponent("stylize")), ["calibration.json"], "only the calibration cache")
        // The second dry run uses the cache: no calibration line.
        let again = try CLI.run(base + ["--size", "64", "--dry-run"], env: ["XDG_CACHE_HOME": cache.path])
        XCTAssertFalse(again.stderr.contains("calibrating"), again.stderr)
        // Another key (the im2col path) is added to the existing cache file, not refused as an overwritten input.
        let other = try CLI.run(base + ["--size", "64", "--conv", "im2col", "--dry-run"], env: ["XDG_CACHE_HOME": cache.path])
        XCTAssertTrue(other.stderr.contains("calibrating"), other.stderr)
        let otherAgain = try CLI.run(base + ["--size", "64", "--conv", "im2col", "--dry-run"], env: ["XDG_CACHE_HOME": cache.path])
        XCTAssertFalse(otherAgain.stderr.contains("calibrating"), otherAgain.stderr)
        let file = try Data(contentsOf: cache.appendingPathComponent("stylize/calibration.json"))
        let entries = try JSONSerialization.jsonObject(with: file) as? [String: Any]
        XCTAssertEqual(entries?.count, 2, "both calibrations kept")
    }

    func testTooLargeIsRefusedWithTheNumbersAndFitLowersTheSize() throws {
        try CLI.requireImages()
        // Whole images (--tile off): with tiles this plan would fit.
        let args = base + ["--size", "4096", "--style-scale", "4", "--iterations", "2", "--tile", "off", "--dry-run"]
        let refused = try CLI.run(args)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("of memory, more than the") && refused.stderr.contains("GiB available"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--fit"), refused.stderr)
        let fitted = try CLI.run(args + ["--fit"])
        XCTAssertEqual(fitted.status, 0, fitted.stderr)
        XCTAssertTrue(fitted.stderr.contains("--fit: 4096x"), fitted.stderr)
        XCTAssertTrue(fitted.stderr.contains("lowered to"), fitted.stderr)
    }
}
