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
            return object.filter { !["seconds", "objective_seconds", "optimizer_seconds"].contains($0.key) } as NSDictionary
        }
    }

    func testResumeFromACheckpointEndsLikeTheUninterruptedRun() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        for (label, extra) in [("one scale", ["--size", "48", "--iterations", "10"]),
                               ("two scales, noise start", ["--scales", "32,56", "--iterations", "7", "--init", "noise", "--seed", "3"])] {
            let full = try CLI.run(base + extra + ["-o", path("full.png"), "--log", path("full.jsonl")])
            XCTAssertEqual(full.status, 0, full.stderr)
            // The last checkpoint (every 3 steps) is that of the last scale's step 3 or 6: resuming it redoes the rest.
            let checkpointed = try CLI.run(base + extra + ["-o", path("ck.png"), "--log", path("ck.jsonl"),
                                                           "--checkpoint", path("run.ckpt"), "--checkpoint-every", "3"])
            XCTAssertEqual(checkpointed.status, 0, checkpointed.stderr)
            let resumed = try CLI.run(["resume", path("run.ckpt"), "-o", path("resumed.png")])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertTrue(resumed.stderr.contains("resuming at scale"), resumed.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("resumed.png"))),
                           try Data(contentsOf: URL(fileURLWithPath: path("full.png"))), "\(label): the image bytes")
            // The resumed run rewrote the run's log (ck.jsonl): the lines before the checkpoint, then its own.
            XCTAssertEqual(try logLines(path("ck.jsonl")), try logLines(path("full.jsonl")), "\(label): the log lines")
        }
    }

    func testInterruptedRunResumesToTheSameImage() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let args = base + ["--scales", "32,48", "--iterations", "12"]
        let full = try CLI.run(args + ["-o", path("full.png")])
        XCTAssertEqual(full.status, 0, full.stderr)
        let p = Process()
        p.executableURL = CLI.binary
        p.currentDirectoryURL = CLI.root
        p.arguments = args + ["-o", path("stopped.png"), "--checkpoint", path("run.ckpt")]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(120)
        while !seen.contains("step    2") && Date() < deadline {
            seen += String(decoding: err.fileHandleForReading.availableData, as: UTF8.self)
        }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 143, "SIGTERM: exit 143")
        let summary = String(decoding: (p.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(summary.contains("continue with: stylize resume"), summary)
        let resumed = try CLI.run(["resume", path("run.ckpt"), "-o", path("resumed.png")])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("resumed.png"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("full.png"))))
        XCTAssertFalse(CLI.listing(dir).contains { $0.contains(".tmp") })
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
        let cases: [(String, Data, [String], String)] = [
            ("truncated.ckpt", good.prefix(good.count - 5), [], "truncated"),
            ("flipped.ckpt", flipped, [], "fingerprint does not match"),
            ("version.ckpt", version, [], "format 9"),
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
        for line in ["scales           64x44 (5 evaluations)", "memory: about", "time: about", "checkpoint: up to"] {
            XCTAssertTrue(r.stdout.contains(line), "\(line) in \(r.stdout)")
        }
        XCTAssertEqual(CLI.listing(dir), [], "a dry run writes nothing")
        XCTAssertEqual(CLI.listing(cache.appendingPathComponent("stylize")), ["calibration.json"], "only the calibration cache")
        // The second dry run uses the cache: no calibration line.
        let again = try CLI.run(base + ["--size", "64", "--dry-run"], env: ["XDG_CACHE_HOME": cache.path])
        XCTAssertFalse(again.stderr.contains("calibrating"), again.stderr)
    }

    func testTooLargeIsRefusedWithTheNumbersAndFitLowersTheSize() throws {
        try CLI.requireImages()
        let args = base + ["--size", "4096", "--style-scale", "4", "--iterations", "2", "--dry-run"]
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
