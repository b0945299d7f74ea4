import Foundation
import Imaging
import XCTest

/// `stylize batch` end to end on a small random network: names, manifest, reruns, failures, shards, merge, frames.
final class BatchCommandTests: XCTestCase {
    let quick = ["--weights", "random:5:vgg16", "--size", "32", "--iterations", "2"]
    var style: String { CLI.root.appendingPathComponent("images/starry_night.jpg").path }

    /// A folder of content photos (links to the sample images) and, when asked, a corrupt JPEG.
    func photos(_ names: [String], corrupt: Bool = false) throws -> URL {
        let dir = try CLI.tempDir().appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in names {
            try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent(name),
                                                       withDestinationURL: CLI.root.appendingPathComponent("images/\(name)"))
        }
        if corrupt {
            let jpeg = try Data(contentsOf: CLI.root.appendingPathComponent("images/home.jpg"))
            try jpeg.prefix(2000).write(to: dir.appendingPathComponent("corrupt.jpg"))
        }
        return dir
    }

    func manifest(_ path: URL) throws -> [[String: Any]] {
        try String(contentsOf: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func modified(_ path: URL) throws -> Date {
        try FileManager.default.attributesOfItem(atPath: path.path)[.modificationDate] as! Date
    }

    func testBatchNamesManifestFailureRerunAndReport() throws {
        try CLI.requireImages()
        let photos = try photos(["building.jpg", "fruits.jpg"], corrupt: true)
        let out = photos.deletingLastPathComponent().appendingPathComponent("out")
        let args = ["batch", "--content", photos.path, "--style", style, "-o", out.path] + quick
        let first = try CLI.run(args + ["--report"])
        XCTAssertEqual(first.status, 1, "a failed item makes the exit status 1: \(first.stderr)")
        XCTAssertTrue(first.stdout.contains("batch: 2 done, 0 skipped, 1 failed of 3 items"), first.stdout)
        XCTAssertTrue(first.stderr.contains("corrupt.jpg"), first.stderr)
        for name in ["building-starry_night.png", "fruits-starry_night.png", "manifest.jsonl", "index.html"] {
            XCTAssertTrue(CLI.listing(out).contains(name), "\(name) missing: \(CLI.listing(out))")
        }
        XCTAssertFalse(CLI.listing(out).contains { $0.contains(".tmp") || $0.hasPrefix("corrupt") }, "\(CLI.listing(out))")
        let records = try manifest(out.appendingPathComponent("manifest.jsonl"))
        XCTAssertEqual(records.map { $0["name"] as? String }, ["building-starry_night", "corrupt-starry_night", "fruits-starry_night"])
        XCTAssertEqual(records.map { $0["status"] as? String }, ["done", "failed", "done"])
        XCTAssertTrue((records[1]["error"] as? String ?? "").contains("corrupt.jpg"), "\(records[1])")
        for r in [records[0], records[2]] {
            XCTAssertNotNil(r["loss"] as? Double, "\(r)")
            XCTAssertNotNil(r["seconds"] as? Double, "\(r)")
            XCTAssertEqual((r["plan"] as? String)?.count, 16, "\(r)")
        }
        let index = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertTrue(index.contains("href=\"reports/building-starry_night.html\"") && index.contains("data:image/png;base64,"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("reports/fruits-starry_night.html").path))

        // A rerun skips both finished items without touching them; the corrupt photo fails again.
        let building = out.appendingPathComponent("building-starry_night.png")
        let before = try modified(building)
        let again = try CLI.run(args)
        XCTAssertEqual(again.status, 1, again.stderr)
        XCTAssertTrue(again.stdout.contains("batch: 0 done, 2 skipped, 1 failed of 3 items"), again.stdout)
        XCTAssertEqual(try modified(building), before)
        let skipped = try manifest(out.appendingPathComponent("manifest.jsonl"))
        XCTAssertEqual(skipped.map { $0["status"] as? String }, ["skipped", "failed", "skipped"])
        XCTAssertEqual(skipped[0]["loss"] as? Double, records[0]["loss"] as? Double, "a skipped item keeps its loss")
        // The same options spelled --size=32 are the same plan: nothing runs again.
        let spelled = try CLI.run(args.map { $0 == "--size" ? "--size=32" : $0 }.filter { $0 != "32" })
        XCTAssertTrue(spelled.stdout.contains("batch: 0 done, 2 skipped, 1 failed of 3 items"), spelled.stdout)
        // The plan hash is of the settings as resolved against the preset, not of their words: the default preset's own
        // style weight (read from its file) and --tile at its default, given, are the same plan too.
        let preset = try JSONSerialization.jsonObject(with: Data(contentsOf: CLI.root.appendingPathComponent("Presets/default.json"))) as! [String: Any]
        let weight = "\(preset["style_weight"] as! Double)"
        let same = try CLI.run(args + ["--style-weight", weight, "--tile", "auto"])
        XCTAssertTrue(same.stdout.contains("batch: 0 done, 2 skipped, 1 failed of 3 items"), same.stdout)
        let other = try CLI.run(args + ["--style-weight", "\(2 * (preset["style_weight"] as! Double))", "--dry-run"])
        XCTAssertTrue(other.stdout.contains("0 finished earlier (skipped), 2 to compute, 1 failing"), other.stdout)

        // A changed setting changes the plan: every item runs again. A removed output is made again.
        let changed = try CLI.run(args.map { $0 == "2" ? "3" : $0 })
        XCTAssertTrue(changed.stdout.contains("batch: 2 done, 0 skipped, 1 failed"), changed.stdout)
        try FileManager.default.removeItem(at: building)
        let remade = try CLI.run(args.map { $0 == "2" ? "3" : $0 })
        XCTAssertTrue(remade.stdout.contains("batch: 1 done, 1 skipped, 1 failed"), remade.stdout)
    }

    func testShardsFromArgumentAndEnvironmentCoverTheBatchAndMerge() throws {
        try CLI.requireImages()
        let photos = try photos(["building.jpg", "fruits.jpg", "baboon.jpg"])
        let out = photos.deletingLastPathComponent().appendingPathComponent("out")
        let args = ["batch", "--content", photos.path, "--style", style, "-o", out.path] + quick
        let zero = try CLI.run(args + ["--shard", "0/2"])
        XCTAssertEqual(zero.status, 0, zero.stderr)
        let one = try CLI.run(args, env: ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "2"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stderr.contains("shard 1/2 from SLURM_ARRAY_TASK_ID"), one.stderr)
        let part0 = try manifest(out.appendingPathComponent("manifest-part-0-of-2.jsonl"))
        let part1 = try manifest(out.appendingPathComponent("manifest-part-1-of-2.jsonl"))
        XCTAssertEqual(part0.map { $0["index"] as? Int }, [0, 2])
        XCTAssertEqual(part1.map { $0["index"] as? Int }, [1])

        // The Kubernetes form of task 1 finds its item done.
        let k8s = try CLI.run(args + ["--shard-count", "2"], env: ["JOB_COMPLETION_INDEX": "1"])
        XCTAssertTrue(k8s.stdout.contains("0 done, 1 skipped, 0 failed of 1 item (shard 1/2)"), k8s.stdout)

        let merged = try CLI.run(["batch", "--merge", out.path])
        XCTAssertEqual(merged.status, 0, merged.stderr + merged.stdout)
        XCTAssertTrue(merged.stdout.contains("3 items, 2 done, 1 skipped, 0 failed, 0 interrupted, 0 missing"), merged.stdout)
        XCTAssertTrue(merged.stdout.hasPrefix("merged 2 shard parts into "), merged.stdout)
        // Merging again reads its own earlier manifest but counts only the two parts, and gives the same items.
        let again = try CLI.run(["batch", "--merge", out.path])
        XCTAssertEqual(again.status, 0, again.stderr + again.stdout)
        XCTAssertTrue(again.stdout.hasPrefix("merged 2 shard parts and the earlier manifest.jsonl into "), again.stdout)
        XCTAssertTrue(again.stdout.contains("3 items, 2 done, 1 skipped, 0 failed, 0 interrupted, 0 missing"), again.stdout)
        let all = try manifest(out.appendingPathComponent("manifest.jsonl"))
        XCTAssertEqual(all.map { $0["index"] as? Int }, [0, 1, 2])
        XCTAssertEqual(Set(all.compactMap { $0["output"] as? String }).count, 3)

        // Without task 1's part, the merge names the missing item and fails.
        try FileManager.default.removeItem(at: out.appendingPathComponent("manifest-part-1-of-2.jsonl"))
        try FileManager.default.removeItem(at: out.appendingPathComponent("manifest.jsonl"))
        let partial = try CLI.run(["batch", "--merge", out.path])
        XCTAssertEqual(partial.status, 1)
        XCTAssertTrue(partial.stdout.contains("1 missing (items 1)"), partial.stdout)
    }

    /// Frame 2 of two very different frames with one evaluation (the optimizer has no step to take): with blend 1
    /// it is frame 1's result exactly, with blend 0 the result of a transfer of frame 2 alone.
    func testFramesStartFromThePreviousResult() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("frames"), withIntermediateDirectories: true)
        for (i, name) in ["building.jpg", "fruits.jpg"].enumerated() {
            let image = try RGBImage(contentsOf: CLI.root.appendingPathComponent("images/\(name)").path).resized(width: 48, height: 32)
            try image.write(to: dir.appendingPathComponent(String(format: "frames/%05d.png", i + 1)).path)
        }
        var seconds: [String: RGBImage] = [:]
        for blend in ["1", "0"] {
            let out = dir.appendingPathComponent("out\(blend)")
            let r = try CLI.run(["batch", "--frames", "--frame-blend", blend, "--content", dir.path + "/frames/%05d.png",
                                 "--style", style, "-o", out.path, "--weights", "random:5:vgg16", "--size", "48", "--iterations", "1"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let first = try RGBImage(contentsOf: out.appendingPathComponent("00001-starry_night.png").path)
            let second = try RGBImage(contentsOf: out.appendingPathComponent("00002-starry_night.png").path)
            if blend == "1" { XCTAssertTrue(second == first, "frame 2 did not start from frame 1's result") }
            seconds[blend] = second
            let records = try manifest(out.appendingPathComponent("manifest.jsonl"))
            XCTAssertEqual(records.map { $0["frame"] as? Int }, [0, 1])
        }
        // Blend 0: exactly what a transfer of frame 2 on its own gives.
        let alone = dir.appendingPathComponent("alone.png").path
        let r = try CLI.run(["--content", dir.path + "/frames/00002.png", "--style", style, "-o", alone,
                             "--weights", "random:5:vgg16", "--size", "48", "--iterations", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(seconds["0"] == (try RGBImage(contentsOf: alone)), "with blend 0 frame 2 is not an independent transfer")
        XCTAssertTrue(seconds["0"] != seconds["1"])
    }

    func testBadBatchArgumentsGetOneLineAndWriteNothing() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("out").path
        let photos = CLI.root.appendingPathComponent("images").path
        let cases: [([String], String)] = [
            (["--content", photos, "--style", style, "-o", out, "--sizee", "32"], "--sizee"),
            (["--content", photos, "--style", style, "-o", out, "--log", "x.jsonl"], "--log"),
            (["--content", photos, "--style", style, "-o", dir.appendingPathComponent("a.png").path], "folder"),
            (["--content", dir.appendingPathComponent("none").path, "--style", style, "-o", out], "none"),
            (["--content", photos, "--style", style, "-o", out, "--shard", "4/4"], "0...3"),
            (["--content", photos, "--style", style, "-o", out, "--preset", "no-such-preset"] + quick, "no-such-preset"),
            (["--content", photos, "--style", style, "-o", out, "--style-blend", "1"],
             "--style-blend is not a batch option: each style of a batch is a separate item"),
        ]
        for (args, needle) in cases {
            let r = try CLI.run(["batch"] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(needle), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error") }.count, 1, r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/manifest.jsonl"), "\(args)")
        }
    }
}

extension BatchCommandTests {
    /// SIGTERM (a Slurm preemption, a pod eviction) during an item: the batch stops with 143, the item is recorded as
    /// interrupted, and a rerun continues it from its checkpoint instead of taking the best-so-far image as finished.
    func testSignalStopsTheBatchAndTheRerunRecomputesTheItem() throws {
        try CLI.requireImages()
        let photos = try photos(["building.jpg", "fruits.jpg"])
        let out = photos.deletingLastPathComponent().appendingPathComponent("out")
        let args = ["batch", "--content", photos.path, "--style", style, "-o", out.path,
                    "--weights", "random:5:vgg16", "--size", "32", "--iterations", "20"]
        let run = try SignalledRun(args: args)
        try run.signal(SIGTERM, when: "step    2", pattern: "once")
        let (stopped, _) = run.finish()
        XCTAssertEqual(stopped.status, 143, stopped.stderr)
        XCTAssertTrue(stopped.stdout.contains("0 done, 0 skipped, 0 failed, 1 interrupted of 2 items, 1 not started"), stopped.stdout)
        let records = try manifest(out.appendingPathComponent("manifest.jsonl"))
        XCTAssertEqual(records.map { $0["status"] as? String }, ["interrupted"])
        // The picture so far is kept aside, never under the output's name, and the way on is a rerun of the batch.
        let name = records[0]["output"] as! String
        XCTAssertFalse(CLI.listing(out).contains(name), "\(CLI.listing(out))")
        let partial = (name as NSString).deletingPathExtension + ".partial.png"
        XCTAssertTrue(CLI.listing(out.appendingPathComponent(".stylize")).contains(partial), CLI.listing(out.appendingPathComponent(".stylize")).description)
        XCTAssertTrue(stopped.stdout.contains("rerun the batch to continue the item"), stopped.stdout)
        XCTAssertFalse(stopped.stdout.contains("stylize resume"), stopped.stdout)
        let again = try CLI.run(args)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("batch: 2 done, 0 skipped, 0 failed of 2 items"), again.stdout)
        XCTAssertTrue(again.stderr.contains("resuming at scale"), "the interrupted item continues from its checkpoint: \(again.stderr)")
        XCTAssertFalse(CLI.listing(out.appendingPathComponent(".stylize")).contains { $0.hasSuffix(".ckpt") }, "checkpoints removed when done")
        XCTAssertTrue(CLI.listing(out).contains(name))
        XCTAssertFalse(CLI.listing(out.appendingPathComponent(".stylize")).contains(partial), "the partial picture goes once the item is done")
    }

    /// `--report` added to a finished batch computes the items again, each with its report, and the index links them.
    func testReportAddedToAFinishedBatchWritesTheReports() throws {
        try CLI.requireImages()
        let photos = try photos(["building.jpg"])
        let out = photos.deletingLastPathComponent().appendingPathComponent("out")
        let args = ["batch", "--content", photos.path, "--style", style, "-o", out.path] + quick
        XCTAssertEqual(try CLI.run(args).status, 0)
        let withReport = try CLI.run(args + ["--report"])
        XCTAssertEqual(withReport.status, 0, withReport.stderr)
        XCTAssertTrue(withReport.stdout.contains("batch: 1 done, 0 skipped, 0 failed of 1 item"), withReport.stdout)
        XCTAssertTrue(CLI.listing(out.appendingPathComponent("reports")).contains("building-starry_night.html"))
        let index = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertTrue(index.contains("href=\"reports/building-starry_night.html\""), index)
        let third = try CLI.run(args + ["--report"])
        XCTAssertTrue(third.stdout.contains("batch: 0 done, 1 skipped, 0 failed of 1 item"), third.stdout)
    }
}
