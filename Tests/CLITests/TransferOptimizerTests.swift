import Foundation
import XCTest

/// The optimizer as the command line shows it: the log's iteration-0 line and timings, the pixel box and its switch.
final class TransferOptimizerTests: XCTestCase {
    /// One scale of 48 px (`--size` would scale the preset's coarse-to-fine schedule).
    let quick = ["--weights", "random:5", "--scales", "48"]

    /// The loss printed in the summary line ("loss 1.234e+04").
    func reportedLoss(_ stdout: String) -> Double? {
        guard let range = stdout.range(of: #"loss [0-9.e+\-]+"#, options: .regularExpression) else { return nil }
        return Double(stdout[range].dropFirst(5))
    }

    /// Reference: the same objective evaluated once on the written file (`--init FILE --iterations 1`). The
    /// reported loss must agree within 1%, 8-bit rounding being the only difference.
    func testReportedLossIsTheWrittenFilesAndLogStartsAtIterationZero() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("out.png").path, again = dir.appendingPathComponent("again.png").path
        let log = dir.appendingPathComponent("run.jsonl").path
        let base = ["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--style-weight", "1000"] + quick
        let r = try CLI.run(base + ["-o", out, "--iterations", "15", "--log", log])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rescore = try CLI.run(base + ["-o", again, "--iterations", "1", "--init", out])
        XCTAssertEqual(rescore.status, 0, rescore.stderr)
        let (reported, written) = (try XCTUnwrap(reportedLoss(r.stdout)), try XCTUnwrap(reportedLoss(rescore.stdout)))
        XCTAssertEqual(written / reported, 1, accuracy: 0.01, "reported \(reported), written file scores \(written)")

        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(objects.first?["iteration"] as? Int, 0, "the first line is the start: \(lines[0])")
        XCTAssertEqual(objects.first?["evaluations"] as? Int, 1)
        XCTAssertEqual(objects.map { $0["iteration"] as? Int }, (0 ..< objects.count).map { $0 }, "one line per step")
        for object in objects {
            let objective = try XCTUnwrap(object["objective_seconds"] as? Double), optimizer = try XCTUnwrap(object["optimizer_seconds"] as? Double)
            XCTAssertTrue(objective >= 0 && optimizer >= 0, "\(object)")
        }
        XCTAssertGreaterThan(objects.last?["objective_seconds"] as? Double ?? 0, 0, "a step evaluates the objective")
    }

    /// `--no-box` is documented in `--help` and accepted.
    func testNoBoxIsDocumentedAndAccepted() throws {
        try CLI.requireImages()
        let help = try CLI.run(["transfer", "--help"])
        XCTAssertTrue(help.stdout.contains("--no-box"), help.stdout)
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("free.png").path
        let r = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "-o", out,
                             "--iterations", "3", "--no-box"] + quick)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
    }
}
