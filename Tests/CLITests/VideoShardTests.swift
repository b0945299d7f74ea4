import Foundation
import XCTest

/// `stylize video --shard I/N` and `--merge` end to end on a small random network: two shards (one by `--shard`, one by
/// Slurm's variables) cover every frame once, the second chunk starts from its lead-in (itself tied to the clip's first
/// frame), a rerun skips, the merge encodes the clip; bad values get one line.
final class VideoShardTests: XCTestCase {
    let quick = ["--weights", "random:5:vgg16", "--size", "32", "--iterations", "2", "--quiet"]
    var style: String { CLI.root.appendingPathComponent("images/starry_night.jpg").path }

    /// Six 32x24 frames of vtest.avi, numbered, in `dir/in`.
    func inputFrames(in dir: URL) throws -> URL { try CLI.clipFrames(6, width: 32, height: 24, in: dir) }

    func records(_ manifest: URL) throws -> [[String: Any]] {
        try String(contentsOf: manifest, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func testTwoShardsCoverEveryFrameOnceAndJoinIntoOneClip() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let input = try inputFrames(in: dir)
        let out = dir.appendingPathComponent("styled.mp4")
        let frames = dir.appendingPathComponent("styled.frames")
        let args = ["video", "--content", input.path, "--style", style, "-o", out.path] + quick
        let names = (1 ... 6).map { String(format: "%06d-starry_night.png", $0) }

        // Shard 1 of 2 first (an array's tasks run in any order), from Slurm's variables: frames 4-6, from the lead-in 3.
        let second = try CLI.run(args, env: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("shard 1/2 styled frames 4...6 of 6"), second.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "a shard does not encode the clip")
        XCTAssertEqual(CLI.listing(frames).filter { $0.hasSuffix(".png") }, Array(names[3...]))
        let leadIn = frames.appendingPathComponent(".stylize/lead-in-1-of-2")
        XCTAssertEqual(CLI.listing(leadIn).filter { $0.hasSuffix(".png") }, [names[0], names[2]],
                       "the lead-in and the clip's first frame are styled in a folder of their own, not under the frames' names")

        // Merging before every shard is done fails, names what is missing and writes no clip.
        let early = try CLI.run(["video", "--merge", "--content", input.path, "-o", out.path])
        XCTAssertEqual(early.status, 1, early.stdout + early.stderr)
        XCTAssertTrue(early.stdout.contains("3 missing"), early.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))

        let first = try CLI.run(args + ["--shard", "0/2"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("shard 0/2 styled frames 1...3 of 6"), first.stdout)

        // Every frame exactly once over the two manifest parts, each from the shard that owns it.
        let part0 = try records(frames.appendingPathComponent("manifest-part-0-of-2.jsonl"))
        let part1 = try records(frames.appendingPathComponent("manifest-part-1-of-2.jsonl"))
        XCTAssertEqual(part0.map { $0["output"] as? String }, names[..<3].map { $0 })
        XCTAssertEqual(part1.map { $0["output"] as? String }, names[3...].map { $0 })
        XCTAssertEqual(try Data(contentsOf: leadIn.appendingPathComponent(names[0])), try Data(contentsOf: frames.appendingPathComponent(names[0])),
                       "the lead-in's sequence starts with the clip's first frame as the first shard styles it")

        // A shard's rerun skips its finished frames (and its lead-in).
        let rerun = try CLI.run(args + ["--shard", "1/2"])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertTrue(rerun.stdout.contains("batch: 0 done, 3 skipped, 0 failed of 3 items (shard 1/2)"), rerun.stdout)
        XCTAssertTrue(rerun.stdout.contains("batch: 0 done, 2 skipped, 0 failed of 2 items"), "the lead-in is skipped too: \(rerun.stdout)")

        let merged = try CLI.run(["video", "--merge", "--content", input.path, "-o", out.path])
        XCTAssertEqual(merged.status, 0, merged.stdout + merged.stderr)
        XCTAssertTrue(merged.stdout.contains("6 items, 3 done, 3 skipped, 0 failed, 0 interrupted, 0 missing"), "shard 1 was rerun: \(merged.stdout)")
        XCTAssertTrue(merged.stdout.contains("6 frames at 25.0 frames a second"), merged.stdout)
        let probe = try CLI.shell("ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of default=nw=1 '\(out.path)'", cwd: dir)
        XCTAssertTrue(probe.stdout.contains("nb_read_frames=6"), probe.stdout)
        let check = try CLI.run(["video", "--check", "--content", input.path, "-o", out.path, "--quiet"])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stdout.contains("check: 6 frames, warping error"), check.stdout)

        // The second chunk's first frame is what a run of frames 1, 3 and 4 makes of its third: the lead-in 3 starts
        // from the clip's first frame warped to it and is tied to it, and frame 4 starts from the lead-in and is tied to it.
        let tail = dir.appendingPathComponent("tail")
        try FileManager.default.createDirectory(at: tail, withIntermediateDirectories: true)
        for n in [1, 3, 4] {
            let name = String(format: "%06d.png", n)
            try FileManager.default.copyItem(at: input.appendingPathComponent(name), to: tail.appendingPathComponent(name))
        }
        let skipping = dir.appendingPathComponent("skipping")
        let whole = try CLI.run(["video", "--content", tail.path, "--style", style, "-o", skipping.path] + quick)
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertEqual(try Data(contentsOf: frames.appendingPathComponent(names[3])),
                       try Data(contentsOf: skipping.appendingPathComponent(names[3])))
    }

    func testBadShardValuesGetOneLine() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let input = try inputFrames(in: dir)
        func refused(_ extra: [String], env: [String: String] = [:], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let r = try CLI.run(["video", "--content", input.path, "--style", style, "-o", dir.appendingPathComponent("out").path]
                                + extra + quick, env: env)
            XCTAssertNotEqual(r.status, 0, "\(extra) \(env) was accepted", file: file, line: line)
            XCTAssertTrue(r.stderr.contains(expected), "\(extra) \(env): \(r.stderr)", file: file, line: line)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)", file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path), "nothing written", file: file, line: line)
        }
        try refused(["--shard", "2/2"], "--shard 2/2: the task index must be in 0...1, not 2")
        try refused(["--shard", "1"], "--shard 1: expected I/N")
        try refused(["--shard", "0/0"], "--shard 0/0: the task count must be in 1...")
        try refused(["--shard", "0/2", "--merge"], "--merge joins every shard's frames")
        try refused([], env: ["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"], "SLURM_ARRAY_TASK_ID=x is not a whole number")
        try refused([], env: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "2"], "the task index must be in 0...1, not 3")
    }
}
