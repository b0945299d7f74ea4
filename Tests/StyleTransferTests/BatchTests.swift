import Foundation
import Imaging
import XCTest
@testable import StyleTransfer

/// The batch's pure parts: item names, content lists, the shard partition, manifest merging, frame starts, flicker.
final class BatchTests: XCTestCase {
    func testItemsAreEveryCombinationWithPredictableNames() throws {
        let items = try BatchItems.make(contents: ["photos/a.jpg", "photos/b.png"], styles: ["s/x.jpg", "s/y.jpg"],
                                        presets: [nil], frames: false)
        XCTAssertEqual(items.map(\.name), ["a-x", "a-y", "b-x", "b-y"])
        XCTAssertEqual(items.map(\.index), [0, 1, 2, 3])
        let withPresets = try BatchItems.make(contents: ["a.jpg"], styles: ["x.jpg"], presets: ["default", "Presets/strong-style.json"],
                                              frames: false)
        XCTAssertEqual(withPresets.map(\.name), ["a-x-default", "a-x-strong-style"])
        XCTAssertEqual(withPresets.map(\.preset), ["default", "Presets/strong-style.json"])
    }

    func testFramesAreChainsInOrder() throws {
        let items = try BatchItems.make(contents: ["f/001.png", "f/002.png", "f/003.png"], styles: ["x.jpg", "y.jpg"],
                                        presets: [nil], frames: true)
        XCTAssertEqual(items.map(\.name), ["001-x", "002-x", "003-x", "001-y", "002-y", "003-y"])
        XCTAssertEqual(items.map(\.chain), [0, 0, 0, 1, 1, 1])
        XCTAssertEqual(items.map(\.position), [0, 1, 2, 0, 1, 2])
    }

    func testNameClashIsRefusedNamingBothFiles() {
        XCTAssertThrowsError(try BatchItems.make(contents: ["a/p.jpg", "b/p.png"], styles: ["x.jpg"], presets: [nil], frames: false)) {
            let message = String(describing: $0)
            XCTAssertTrue(message.contains("a/p.jpg") && message.contains("b/p.png") && message.contains("p-x.png"), message)
        }
    }

    func testShardsCoverEveryItemExactlyOnce() throws {
        let items = try BatchItems.make(contents: (0..<7).map { "c\($0).jpg" }, styles: ["x.jpg", "y.jpg", "z.jpg"],
                                        presets: [nil], frames: false)
        for n in [1, 2, 4, 5, 21, 30] {
            let shards = (0..<n).map { BatchShard(index: $0, count: n).items(items) }
            let indices = shards.flatMap { $0.map(\.index) }
            XCTAssertEqual(indices.sorted(), Array(0..<21), "\(n) shards")
            // Round-robin: sizes differ by at most one, and the same call gives the same partition.
            XCTAssertLessThanOrEqual(shards.map(\.count).max()! - shards.map(\.count).min()!, 1, "\(n) shards")
            XCTAssertEqual(BatchShard(index: n - 1, count: n).items(items), shards[n - 1])
        }
        // A frame sequence stays in one shard.
        let frames = try BatchItems.make(contents: ["1.png", "2.png", "3.png"], styles: ["x.jpg", "y.jpg"], presets: [nil], frames: true)
        XCTAssertEqual(BatchShard(index: 1, count: 2).items(frames).map(\.name), ["1-y", "2-y", "3-y"])
    }

    /// `stylize video --shard`: contiguous chunks, in shard order, that join into 0..<count with no gap or overlap.
    func testChunksAreContiguousAndCoverEveryFrameOnce() {
        for count in [0, 1, 5, 7, 48, 999_999] {
            for n in [1, 2, 3, 4, 8, 50, BatchShard.maxCount] {
                let chunks = (0..<min(n, 60)).map { BatchShard(index: $0, count: n).chunk(count: count) }
                if n <= 60 {
                    XCTAssertEqual(chunks.flatMap { Array($0) }, Array(0..<count), "\(count) frames in \(n) chunks")
                    XCTAssertLessThanOrEqual(chunks.map(\.count).max()! - chunks.map(\.count).min()!, 1, "\(count) frames in \(n) chunks")
                }
                XCTAssertEqual(BatchShard(index: n - 1, count: n).chunk(count: count).upperBound, count, "the last chunk ends the clip")
            }
        }
        XCTAssertEqual(BatchShard(index: 1, count: 2).chunk(count: 5), 2..<5)
    }

    func testShardFromArgumentAndSchedulerVariables() throws {
        XCTAssertEqual(try BatchShard.parse("2/4"), BatchShard(index: 2, count: 4))
        for bad in ["4/4", "-1/4", "1/0", "1", "a/b", "1/2/3"] {
            XCTAssertThrowsError(try BatchShard.parse(bad), bad)
        }
        XCTAssertNil(try BatchShard.fromEnvironment([:], count: nil))
        XCTAssertEqual(try BatchShard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"], count: nil),
                       BatchShard(index: 3, count: 4))
        // --array=1-4: ids start at SLURM_ARRAY_TASK_MIN.
        XCTAssertEqual(try BatchShard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1",
                                                       "SLURM_ARRAY_TASK_COUNT": "4"], count: nil), BatchShard(index: 0, count: 4))
        XCTAssertThrowsError(try BatchShard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "4"], count: nil))
        XCTAssertEqual(try BatchShard.fromEnvironment(["JOB_COMPLETION_INDEX": "2"], count: 3), BatchShard(index: 2, count: 3))
        XCTAssertThrowsError(try BatchShard.fromEnvironment(["JOB_COMPLETION_INDEX": "2"], count: nil)) {
            XCTAssertTrue(String(describing: $0).contains("--shard-count"), "\($0)")
        }
        XCTAssertThrowsError(try BatchShard.fromEnvironment(["JOB_COMPLETION_INDEX": "x"], count: 3))
        // At the edge of Int64: one line naming the variable and its value, never an overflow.
        for (env, count, mention) in [(["SLURM_ARRAY_TASK_ID": "9223372036854775807", "SLURM_ARRAY_TASK_MIN": "-1", "SLURM_ARRAY_TASK_COUNT": "4"],
                                       nil as Int?, "SLURM_ARRAY_TASK_ID=9223372036854775807 is not a whole number in 0...2147483647"),
                                      (["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "-9223372036854775808", "SLURM_ARRAY_TASK_COUNT": "4"],
                                       nil, "SLURM_ARRAY_TASK_MIN=-9223372036854775808"),
                                      (["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "9223372036854775807"], nil,
                                       "SLURM_ARRAY_TASK_COUNT=9223372036854775807 is not a whole number in 1...1000000"),
                                      (["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "0"], nil, "SLURM_ARRAY_TASK_COUNT=0"),
                                      (["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "7", "SLURM_ARRAY_TASK_COUNT": "4"], nil,
                                       "the task index must be in 0...3, not -2"),
                                      (["JOB_COMPLETION_INDEX": "-9223372036854775808"], 4, "JOB_COMPLETION_INDEX=-9223372036854775808"),
                                      (["JOB_COMPLETION_INDEX": "1"], Int.max, "the task count must be in 1...1000000, not 9223372036854775807")] {
            XCTAssertThrowsError(try BatchShard.fromEnvironment(env, count: count)) { error in
                XCTAssertTrue("\(error)".contains(mention), "\(env): \(error)")
            }
        }
        XCTAssertThrowsError(try BatchShard.parse("0/9223372036854775807"))
    }

    func testContentsFromFolderListPatternAndGlob() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stylize-batch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        for name in ["b.jpg", "a.PNG", ".hidden.png", "notes.txt", "f9.png", "f10.png", "f0008.png"] {
            FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: Data([1]))
        }
        XCTAssertEqual(try BatchContents.expand(dir).map { ($0 as NSString).lastPathComponent },
                       ["a.PNG", "b.jpg", "f0008.png", "f10.png", "f9.png"])
        XCTAssertEqual(try BatchContents.expand(dir + "/f%d.png").map { ($0 as NSString).lastPathComponent }, ["f9.png", "f10.png"])
        XCTAssertEqual(try BatchContents.expand(dir + "/f%04d.png").map { ($0 as NSString).lastPathComponent }, ["f0008.png"])
        XCTAssertEqual(try BatchContents.expand(dir + "/*.jpg"), [dir + "/b.jpg"])
        try "# two photos\nb.jpg\n\n/abs/x.jpg\n".write(toFile: dir + "/list.txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(try BatchContents.expand(dir + "/list.txt"), [dir + "/b.jpg", "/abs/x.jpg"])
        XCTAssertThrowsError(try BatchContents.expand(dir + "/sub"))
        XCTAssertThrowsError(try BatchContents.expand(dir + "/none.jpg"))
    }

    func testManifestRecordsRoundTripAndMergeKeepsTheLatest() throws {
        let items = try BatchItems.make(contents: ["a.jpg", "b.jpg", "c.jpg"], styles: ["x.jpg"], presets: [nil], frames: false)
        func record(_ i: Int, _ status: BatchRecord.Status, time: Double) -> BatchRecord {
            var r = BatchRecord(item: items[i], of: 3, output: items[i].name + ".png", plan: "p\(i)", status: status,
                                shard: BatchShard(index: i % 2, count: 2))
            r.time = time
            if status == .failed { r.error = "a.jpg: not a JPEG" } else { r.loss = 1.5; r.seconds = 2 }
            return r
        }
        let part = [record(0, .failed, time: 1), record(2, .done, time: 1)]
        let text = BatchManifest.text(part)
        XCTAssertEqual(try BatchRecord.parse(text, path: "m.jsonl"), part)
        XCTAssertTrue(text.hasSuffix("\n") && text.split(separator: "\n").count == 2)
        XCTAssertThrowsError(try BatchRecord.parse(text + "{oops\n", path: "m.jsonl")) {
            XCTAssertTrue(String(describing: $0).hasPrefix("m.jsonl:3:"), "\($0)")
        }
        // Index 0 was rerun later and succeeded; index 1 is nowhere.
        let merged = BatchManifest.merge(part + [record(0, .done, time: 2)])
        XCTAssertEqual(merged.records.map(\.index), [0, 2])
        XCTAssertEqual(merged.records.map(\.status), [.done, .done])
        XCTAssertEqual(merged.count, 3)
        XCTAssertEqual(merged.missing, [1])
        XCTAssertEqual(BatchManifest.fileName(for: BatchShard(index: 1, count: 4)), "manifest-part-1-of-4.jsonl")
        XCTAssertEqual(BatchManifest.fileName(for: .whole), "manifest.jsonl")
    }

    func testFingerprintSeparatesFieldsAndFollowsFNV() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (the reference's test vector); the length follows it here.
        var fnv: UInt64 = 14695981039346656037
        fnv = (fnv ^ 0x61) &* 1099511628211
        XCTAssertEqual(fnv, 0xaf63dc4c8601ec8c)
        var ab = BatchFingerprint(), a = BatchFingerprint()
        ab.add("ab"); ab.add("c")
        a.add("a"); a.add("bc")
        XCTAssertNotEqual(ab.value, a.value)
        XCTAssertEqual(ab.hex.count, 16)
    }

    func testFrameStartBlendsPreviousResultAndFrame() {
        let previous = RGBImage(width: 4, height: 2, pixels: [UInt8](repeating: 200, count: 24))
        let frame = RGBImage(width: 4, height: 2, pixels: [UInt8](repeating: 100, count: 24))
        XCTAssertEqual(FrameSequence.start(previous: previous, frame: frame, weight: 0.25).pixels, [UInt8](repeating: 125, count: 24))
        XCTAssertEqual(FrameSequence.start(previous: previous, frame: frame, weight: 1), previous)
        XCTAssertEqual(FrameSequence.start(previous: previous, frame: frame, weight: 0), frame)
        // A frame of another size is fitted to the previous result's size.
        let large = RGBImage(width: 8, height: 4, pixels: [UInt8](repeating: 100, count: 96))
        XCTAssertEqual(FrameSequence.start(previous: previous, frame: large, weight: 0.5).pixels, [UInt8](repeating: 150, count: 24))
    }

    func testFlickerCountsOnlyStaticPixels() throws {
        // Input frames differ in column 0 only; static pixels are columns 2...5 (column 1 neighbours the change).
        let w = 6, h = 3
        var f0 = RGBImage(width: w, height: h), f1 = RGBImage(width: w, height: h)
        var o0 = RGBImage(width: w, height: h), o1 = RGBImage(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 {
                    let i = 3 * (y * w + x) + c
                    f0.pixels[i] = 100
                    f1.pixels[i] = x == 0 ? 200 : 100 + UInt8(FrameSequence.staticThreshold)   // noise within the threshold
                    o0.pixels[i] = 50
                    o1.pixels[i] = x < 2 ? 250 : 56      // moving part changes a lot, static part by 6
                }
            }
        }
        let f = try XCTUnwrap(FrameSequence.flicker(outputs: (o0, o1), frames: (f0, f1)))
        XCTAssertEqual(f.pixels, 4 * h)
        XCTAssertEqual(f.mean, 6, accuracy: 1e-12)
        XCTAssertEqual(FrameSequence.flicker(outputs: (o0, o0), frames: (f0, f1))?.mean, 0)
    }
}
