import Foundation
import XCTest

/// `stylize` end to end on a small random network: outputs, logs, reports, bad input, interrupts.
final class TransferTests: XCTestCase {
    /// One scale of 48 px (`--size` would scale the preset's coarse-to-fine schedule).
    let quick = ["--weights", "random:5", "--scales", "48", "--iterations", "6"]

    func testTransferWritesImageLogReportAndIntermediates() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("out.png").path
        let log = dir.appendingPathComponent("run.jsonl").path
        let report = dir.appendingPathComponent("report.html").path
        let r = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg,images/baboon.jpg",
                             "--style-blend", "0.7,0.3", "-o", out, "--log", log, "--report", report, "--save-every", "2"] + quick)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("out.png: 48x33"), r.stdout)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 0)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        for key in ["iteration", "evaluations", "total", "content", "style", "tv", "step", "seconds", "elapsed"] {
            XCTAssertNotNil(first[key], "log line lacks \(key): \(lines[0])")
        }
        let html = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertTrue(html.contains("data:image/png;base64,"))
        XCTAssertTrue(html.contains("block3_conv1"))
        XCTAssertTrue(CLI.listing(dir).contains("out-0002.png"), "\(CLI.listing(dir))")
        XCTAssertFalse(CLI.listing(dir).contains { $0.contains(".tmp") }, "no temporary files left: \(CLI.listing(dir))")
    }

    /// A two-scale report counts the run's steps as the log does (the sum of each scale's last step, not the number
    /// of records, which has one step 0 per scale) and names the scale of its last column.
    func testTwoScaleReportCountsStepsAsTheLogDoes() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let log = dir.appendingPathComponent("run.jsonl").path, report = dir.appendingPathComponent("r.html").path
        let r = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--weights", "random:5",
                             "--scales", "32,48", "--iterations", "5", "-o", dir.appendingPathComponent("o.png").path,
                             "--log", log, "--report", report])
        XCTAssertEqual(r.status, 0, r.stderr)
        var lastStep: [Int: Int] = [:]
        for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
            guard let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let scale = record["scale"] as? Int, let step = record["iteration"] as? Int else { continue }
            lastStep[scale] = max(lastStep[scale] ?? 0, step)
        }
        XCTAssertEqual(lastStep.count, 2, "the log names both scales")
        let steps = lastStep.values.reduce(0, +)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertTrue(html.contains("<th>after step \(steps), at 48×33 px</th>"), "\(steps) steps; \(html.prefix(300))")
    }

    func testInitialisationsScalesAndOriginalColors() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let runs = [["--init", "noise", "--seed", "3"], ["--init", "noise", "--seed", "4"], ["--init", "style"],
                    ["--init", "images/fruits.jpg"], [], ["--scales", "32,48", "--original-colors"],
                    ["--preset", "Presets/subtle-style.json"]]
        var pixels: [Data] = []
        for (i, extra) in runs.enumerated() {
            let out = dir.appendingPathComponent("out\(i).png").path
            let common = extra.contains("--scales") ? Array(quick.filter { $0 != "--scales" && $0 != "48" }) : quick
            let r = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "-o", out] + common + extra)
            XCTAssertEqual(r.status, 0, "\(extra): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("48x33"), "\(extra): \(r.stdout)")
            pixels.append((try? Data(contentsOf: URL(fileURLWithPath: out))) ?? Data())
        }
        // Each option changes the picture: no two of these runs give the same file.
        XCTAssertEqual(Set(pixels).count, runs.count, "some option had no effect on the output")
        let scaled = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "-o",
                                  dir.appendingPathComponent("s.png").path, "--scales", "32,48", "--weights", "random:5",
                                  "--iterations", "6"])
        XCTAssertTrue(scaled.stderr.contains("scale 1/2") && scaled.stderr.contains("scale 2/2"), scaled.stderr)
    }

    func testBadInputGetsOneLineAndNoOutput() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("out.png").path
        let cases: [([String], String)] = [
            (["--content", "images/no-such.jpg", "--style", "images/starry_night.jpg"], "images/no-such.jpg"),
            (["--content", "images/building.jpg", "--style", "Package.swift"], "Package.swift"),
            (["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--preset", "no-such"], "no preset named"),
            (["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--size", "100000"], "--size"),
            (["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--style-layer", "block9_conv1=1"], "block9_conv1"),
            (["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--size", "4096", "--style-scale", "4", "--tile", "off"], "of memory"),
            (["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--size", "16"], "--size must be in 32...4096"),
            (["--content", "images/building.jpg", "--style", ","], "--style"),
            (["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--scales", "48,24"], "increasing"),
            (["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--log", "images/building.jpg"], "overwrite"),
            (["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--style-scale", "0.05"], "too small"),
            (["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--weights", "Package.swift"], "Package.swift"),
        ]
        for (args, mention) in cases {
            var full = args + ["-o", out, "--iterations", "2"]
            if !args.contains("--weights") { full += ["--weights", "random:1"] }
            if !args.contains("--size") && !args.contains("--scales") { full += ["--size", "32"] }
            let r = try CLI.run(full)
            XCTAssertNotEqual(r.status, 0, "\(args) should fail")
            XCTAssertTrue(r.stderr.contains(mention), "\(args): error should mention \(mention): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)")
            XCTAssertEqual(CLI.listing(dir), [], "\(args) left files behind")
        }
        let missingFolder = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg",
                                         "-o", dir.appendingPathComponent("nope/out.png").path] + quick)
        XCTAssertNotEqual(missingFolder.status, 0)
        XCTAssertTrue(missingFolder.stderr.contains("does not exist"), missingFolder.stderr)
        let overwrite = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg",
                                     "-o", "images/building.jpg"] + quick)
        XCTAssertNotEqual(overwrite.status, 0)
        XCTAssertTrue(overwrite.stderr.contains("overwrite"), overwrite.stderr)
    }

    func testInterruptWritesTheBestImageSoFar() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("out.png").path
        let p = Process()
        p.executableURL = CLI.binary
        p.currentDirectoryURL = CLI.root
        p.arguments = ["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "-o", out,
                       "--weights", "random:5", "--size", "64", "--iterations", "100000"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        // Wait for the first progress line, then press Ctrl-C.
        var seen = ""
        let deadline = Date().addingTimeInterval(120)
        while !seen.contains("step") && Date() < deadline {
            seen += String(decoding: err.fileHandleForReading.availableData, as: UTF8.self)
        }
        XCTAssertTrue(seen.contains("step"), "no progress seen: \(seen)")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130, "an interrupted run exits 130")
        let summary = String(decoding: (p.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(summary.contains("stopped: interrupted"), summary)
        XCTAssertFalse(summary.contains("cancelled by the caller"), summary)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out), "the best image so far is written")
        XCTAssertFalse(CLI.listing(dir).contains { $0.contains(".tmp") })
    }
}
