import Foundation
import XCTest

/// `stylize video` end to end on a small random network: a clip in and out, a rerun that resumes, the methods, and
/// one line for each kind of bad input.
final class VideoCommandTests: XCTestCase {
    let quick = ["--weights", "random:5:vgg16", "--size", "32", "--iterations", "2", "--quiet"]
    var clip: String { CLI.root.appendingPathComponent("images/vtest.avi").path }
    var style: String { CLI.root.appendingPathComponent("images/starry_night.jpg").path }

    func requireClipAndFFmpeg() throws {
        guard FileManager.default.fileExists(atPath: clip) else { throw XCTSkip("images/vtest.avi is missing: run scripts/setup") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg is missing: run scripts/setup") }
    }

    func testClipToClipKeepsTheFrameRateAndARerunResumesAtTheNextFrame() throws {
        try requireClipAndFFmpeg()
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("styled.mp4")
        let args = ["video", "--content", clip, "--style", style, "--frames", "3", "-o", out.path] + quick
        let first = try CLI.run(args)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("3 frames at 10/1 frames a second"), first.stdout)
        let probe = try CLI.shell("ffprobe -v error -count_frames -show_entries stream=width,height,r_frame_rate,nb_read_frames -of default=nw=1 '\(out.path)'", cwd: dir)
        XCTAssertTrue(probe.stdout.contains("r_frame_rate=10/1") && probe.stdout.contains("nb_read_frames=3"), probe.stdout)
        XCTAssertTrue(probe.stdout.contains("width=32") && probe.stdout.contains("height=24"), "vtest.avi is 768x576: \(probe.stdout)")
        let frames = dir.appendingPathComponent("styled.frames")
        let names = (1 ... 3).map { String(format: "%06d-starry_night.png", $0) }
        let bytes = try names.map { try Data(contentsOf: frames.appendingPathComponent($0)) }
        XCTAssertFalse(CLI.listing(dir).contains { $0.contains("partial") }, "\(CLI.listing(dir))")

        // A stop after frame 2 leaves frames 1 and 2 and the record of frame 3 as started: a rerun skips the finished
        // frames and computes frame 3 again, to the same bytes.
        try FileManager.default.removeItem(at: frames.appendingPathComponent(names[2]))
        let again = try CLI.run(args)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("1 done, 2 skipped"), again.stdout)
        XCTAssertEqual(try Data(contentsOf: frames.appendingPathComponent(names[2])), bytes[2], "the resumed frame is the same file")
        XCTAssertEqual(try Data(contentsOf: frames.appendingPathComponent(names[0])), bytes[0])

        let check = try CLI.run(["video", "--check", "--content", clip, "--size", "32", "--frames", "3", "-o", out.path, "--quiet"])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stdout.contains("check: 3 frames, warping error"), check.stdout)
        XCTAssertTrue(check.stdout.contains("flow"), "the flow method records its flow time: \(check.stdout)")
    }

    func testTheMethodsStartFramesDifferently() throws {
        try requireClipAndFFmpeg()
        let dir = try CLI.tempDir()
        var outputs: [String: Data] = [:]
        for method in ["independent", "blend", "flow"] {
            let out = dir.appendingPathComponent(method)
            let r = try CLI.run(["video", "--content", clip, "--style", style, "--frames", "2", "--method", method, "-o", out.path] + quick)
            XCTAssertEqual(r.status, 0, "\(method): \(r.stderr)")
            outputs[method] = try Data(contentsOf: out.appendingPathComponent("000002-starry_night.png"))
            let manifest = try String(contentsOf: out.appendingPathComponent("manifest.jsonl"), encoding: .utf8)
            XCTAssertTrue(manifest.contains("\"style_loss\""), "each frame records its style term: \(manifest)")
        }
        XCTAssertNotEqual(outputs["flow"], outputs["blend"])
        XCTAssertNotEqual(outputs["flow"], outputs["independent"])
    }

    func testBadInputGetsOneLineAndAFailureStatus() throws {
        try requireClipAndFFmpeg()
        let dir = try CLI.tempDir()
        func refused(_ args: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let r = try CLI.run(["video", "--style", style] + args + quick, cwd: dir)
            XCTAssertNotEqual(r.status, 0, "\(args) was accepted", file: file, line: line)
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)", file: file, line: line)
            XCTAssertLessThanOrEqual(r.stderr.split(separator: "\n").count, 2, "one line: \(r.stderr)", file: file, line: line)
        }
        try refused(["--content", "missing.avi", "-o", "out.mp4"], "missing.avi: --content: no such file or folder")
        try Data("not a video".utf8).write(to: dir.appendingPathComponent("text.avi"))
        try refused(["--content", "text.avi", "-o", "out.mp4"], "text.avi: ffprobe could not read it as a video")
        try FileManager.default.copyItem(atPath: clip, toPath: dir.appendingPathComponent("clip.mp4").path)
        try refused(["--content", "clip.mp4", "-o", "clip.mp4"], "would overwrite the input clip.mp4")
        try refused(["--content", "clip.mp4", "-o", "out.gif"], "out.gif: -o must be a .mp4, .mkv or .mov file, or a folder")
        let frames = dir.appendingPathComponent("frames")
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: true)
        try refused(["--content", frames.path, "-o", frames.path], "-o is the folder of the input frames")
        try Data("not a png".utf8).write(to: frames.appendingPathComponent("000001.png"))
        let r = try CLI.run(["video", "--style", style, "--content", frames.path, "-o", dir.appendingPathComponent("out").path] + quick, cwd: dir)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("000001.png"), r.stderr)
    }
}
