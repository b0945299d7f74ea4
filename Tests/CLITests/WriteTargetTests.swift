import Foundation
import XCTest

/// What a run writes, through the real binary: only regular files (or nothing) are replaced, every name fits the
/// file system, the whole write set of `transfer` and `resume` is checked before the run, and an intermediate that
/// cannot be written does not cost the result.
final class WriteTargetTests: XCTestCase {
    let quick = ["--weights", "random:1", "--size", "32", "--iterations", "2"]
    var inputs: [String] {
        ["--content", CLI.root.appendingPathComponent("images/building.jpg").path,
         "--style", CLI.root.appendingPathComponent("images/starry_night.jpg").path]
    }

    /// The kind of file at `path` without following a symbolic link (`S_IFIFO`, `S_IFLNK`...).
    func kind(_ path: String) -> mode_t {
        var status = stat()
        return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : 0
    }

    /// `--log` onto a FIFO, a device or a symbolic link to /dev/null (made in a temporary folder, so that a failure
    /// cannot replace the machine's own): one line saying what it is, before the run, and it stays what it was.
    func testLogOntoSomethingNotARegularFileIsRefused() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir().path
        XCTAssertEqual(mkfifo("\(dir)/fifo", 0o600), 0)
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/null", withDestinationPath: "/dev/null")
        var cases = [("fifo", "is a FIFO (named pipe), not a regular file", S_IFIFO),
                     ("null", "is a symbolic link to /dev/null, not a regular file", S_IFLNK)]
        if mknod("\(dir)/device", S_IFCHR | 0o600, 0) == 0 {   // root only
            cases.append(("device", "is a character device, not a regular file", S_IFCHR))
        }
        let before = CLI.listing(URL(fileURLWithPath: dir))
        for (name, problem, type) in cases {
            let r = try CLI.run(inputs + quick + ["-o", "\(dir)/o.png", "--log", "\(dir)/\(name)"])
            XCTAssertNotEqual(r.status, 0, name)
            XCTAssertTrue(r.stderr.contains("\(dir)/\(name): cannot write: \(problem) (--log - writes the lines to standard output)"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertFalse(r.stderr.contains("weights:"), "refused before the run: \(r.stderr)")
            XCTAssertEqual(kind("\(dir)/\(name)"), type, "\(name) was replaced")
            XCTAssertEqual(CLI.listing(URL(fileURLWithPath: dir)), before, "nothing written")
        }
    }

    /// `--log -`: the JSON lines on standard output, every line of it a JSON object, the summary on standard error;
    /// no file named `-`.
    func testLogDashIsStandardOutput() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let r = try CLI.run(inputs + quick + ["-o", "o.png", "--log", "-"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 2, r.stdout)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            XCTAssertNotNil(object?["iteration"], "not a log line: \(line)")
        }
        XCTAssertTrue(r.stderr.contains("o.png: ") && r.stderr.contains("; loss "), "the summary goes to standard error: \(r.stderr)")
        XCTAssertEqual(CLI.listing(dir), ["o.png"])
        let help = try CLI.run(["transfer", "--help"])
        XCTAssertTrue(help.stdout.contains("standard output with -"), help.stdout)
    }

    /// Names over NAME_MAX are refused before the run, for -o and for the names --save-every would give; one of
    /// 255 bytes works (`PathConflictTests.testLongestOutputName`).
    func testNamesTooLongAreRefusedBeforeTheRun() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir().path
        let long = "\(dir)/" + String(repeating: "n", count: 252) + ".png"
        let r = try CLI.run(inputs + quick + ["-o", long])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("\(long): cannot write: the name has 256 bytes, more than the 255"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        // -o of 255 bytes is fine, but OUT-0001.png is 10 bytes longer.
        let fits = "\(dir)/" + String(repeating: "n", count: 251) + ".png"
        let every = try CLI.run(inputs + quick + ["-o", fits, "--save-every", "1"])
        XCTAssertNotEqual(every.status, 0)
        XCTAssertTrue(every.stderr.contains("more than the 255") && every.stderr.contains("--save-every 1 writes names like this one"),
                      every.stderr)
        XCTAssertFalse(every.stderr.contains("step"), "refused before the first step: \(every.stderr)")
        XCTAssertEqual(CLI.listing(URL(fileURLWithPath: dir)), [])
    }

    /// An intermediate that cannot be written (a folder holds its name) is one warning line; the run goes on, the
    /// other intermediates and the final image are written and the exit status is 0.
    func testIntermediateThatFailsIsAWarningAndTheResultIsWritten() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir().path
        try FileManager.default.createDirectory(atPath: "\(dir)/o-0001.png", withIntermediateDirectories: false)
        let r = try CLI.run(inputs + ["--weights", "random:1", "--scales", "32", "--iterations", "8", "-o", "\(dir)/o.png",
                                      "--save-every", "1", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let warnings = r.stderr.split(separator: "\n").filter { $0.contains("warning") }
        XCTAssertEqual(warnings.count, 1, r.stderr)
        XCTAssertTrue(warnings.first?.contains("\(dir)/o-0001.png: cannot write: is a directory; the run goes on") ?? false, r.stderr)
        XCTAssertTrue(FaultTests.isCompletePNG("\(dir)/o.png"), "the result was not written")
        XCTAssertTrue(FaultTests.isCompletePNG("\(dir)/o-0002.png"), "the next intermediate was not written")
    }

    /// `-o afile/x.png` names the file in the way, not a folder that does not exist.
    func testFileInPlaceOfTheFolderIsNamed() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir().path
        try Data("x".utf8).write(to: URL(fileURLWithPath: "\(dir)/afile"))
        for option in ["-o", "--log", "--report"] {
            let target = "\(dir)/afile/" + (option == "--report" ? "r.html" : option == "--log" ? "l.jsonl" : "x.png")
            let args = option == "-o" ? ["-o", target] : ["-o", "\(dir)/o.png", option, target]
            let r = try CLI.run(inputs + quick + args)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("\(target): cannot write: \(dir)/afile is not a folder"), r.stderr)
            XCTAssertFalse(r.stderr.contains("does not exist"), r.stderr)
        }
        XCTAssertEqual(CLI.listing(URL(fileURLWithPath: dir)), ["afile"])
    }

    /// `resume` checks the checkpoint with the run's other outputs: a checkpoint at the path the run gives its log
    /// is refused, and keeps its bytes (the log used to replace it when the run ended).
    func testResumeChecksTheCheckpointWithTheOtherOutputs() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir().path
        let run = try CLI.run(inputs + quick + ["-o", "\(dir)/o.png", "--checkpoint", "\(dir)/a.ckpt", "--log", "\(dir)/run.jsonl"])
        XCTAssertEqual(run.status, 0, run.stderr)
        try FileManager.default.removeItem(atPath: "\(dir)/run.jsonl")
        try FileManager.default.moveItem(atPath: "\(dir)/a.ckpt", toPath: "\(dir)/run.jsonl")
        let checkpoint = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/run.jsonl"))
        let r = try CLI.run(["resume", "\(dir)/run.jsonl"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("\(dir)/run.jsonl: --checkpoint and --log name the same file"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/run.jsonl")), checkpoint, "the checkpoint was replaced")
    }
}
