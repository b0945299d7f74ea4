import Foundation
import XCTest

/// A batch's outputs against its inputs, through the real binary: every output path is checked against every
/// item's inputs before the first item, a rerun into the photos' own folder skips instead of styling its earlier
/// results, a merged record cannot point outside the folder, and options no item can run with stop the batch
/// before it starts.
final class BatchOutputTests: XCTestCase {
    let quick = ["--weights", "random:5:vgg16", "--size", "32", "--iterations", "2"]
    var starry: URL { CLI.root.appendingPathComponent("images/starry_night.jpg") }

    /// A fresh folder holding copies of sample images under the given names.
    func folder(_ files: [String: String]) throws -> URL {
        let dir = try CLI.tempDir().appendingPathComponent("f")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, sample) in files {
            try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("images/\(sample)"), to: dir.appendingPathComponent(name))
        }
        return dir
    }

    /// `-o` is the styles' folder and a style is named like an item's output (`a-s.png` from `a.jpg` × `s.jpg`):
    /// refused with one line before anything is written, the style kept.
    func testOutputThatIsAnInputOfAnyItemIsRefusedBeforeTheFirstItem() throws {
        try CLI.requireImages()
        let photos = try folder(["a.jpg": "building.jpg"])
        let styles = try folder(["s.jpg": "starry_night.jpg", "a-s.png": "chicky_512.png"])
        let style = try Data(contentsOf: styles.appendingPathComponent("a-s.png"))
        let r = try CLI.run(["batch", "--content", photos.path, "--style",
                             "\(styles.path)/s.jpg,\(styles.path)/a-s.png", "-o", styles.path] + quick)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("\(styles.path)/a-s.png: the output of item a-s would overwrite the input "
                                        + "\(styles.path)/a-s.png (--style of item a-a-s)"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertEqual(CLI.listing(styles), ["a-s.png", "s.jpg"], "nothing written")
        XCTAssertEqual(try Data(contentsOf: styles.appendingPathComponent("a-s.png")), style)
    }

    /// `-o` is the photos' folder: the rerun recognises `a-starry_night.png` as this batch's output (its record in
    /// `.stylize/`) and skips the item, instead of styling it into `a-starry_night-starry_night.png`.
    func testRerunIntoThePhotosFolderSkipsItsOwnOutputs() throws {
        try CLI.requireImages()
        let photos = try folder(["a.jpg": "building.jpg"])
        let args = ["batch", "--content", photos.path, "--style", starry.path, "-o", photos.path] + quick
        let first = try CLI.run(args)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("batch: 1 done, 0 skipped, 0 failed of 1 item"), first.stdout)
        let again = try CLI.run(args)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("batch: 0 done, 1 skipped, 0 failed of 1 item"), again.stdout)
        XCTAssertEqual(CLI.listing(photos).filter { !$0.hasPrefix(".") }, ["a-starry_night.png", "a.jpg", "manifest.jsonl"])
    }

    /// A manifest record whose output leaves the folder (`../../../../etc/hostname`, which `--report` would read as a
    /// thumbnail) is refused with one line naming the manifest; nothing is written.
    func testMergeRefusesARecordOutsideTheFolder() throws {
        let dir = try CLI.tempDir()
        let record = #"{"index":0,"of":1,"name":"a-s","output":"../../../../etc/hostname","content":"a.jpg","style":"s.jpg","#
            + #""plan":"0000000000000000","status":"done","shard":"0/1","time":1}"#
        let part = dir.appendingPathComponent("manifest-part-0-of-1.jsonl")
        try (record + "\n").write(to: part, atomically: true, encoding: .utf8)
        let r = try CLI.run(["batch", "--merge", dir.path, "--report"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("\(part.path): the record of item 0 (a-s) is refused: its output \"../../../../etc/hostname\" "
                                        + "is not a file name in the batch's folder"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertEqual(CLI.listing(dir), ["manifest-part-0-of-1.jsonl"], "nothing written")
    }

    /// Options that no item can run with are refused once, before the first item: one line, nothing written.
    func testOptionsNoItemCanRunWithStopTheBatchBeforeItStarts() throws {
        try CLI.requireImages()
        let photos = try folder(["a.jpg": "building.jpg", "b.jpg": "fruits.jpg"])
        let out = photos.deletingLastPathComponent().appendingPathComponent("out")
        let r = try CLI.run(["batch", "--content", photos.path, "--style", starry.path, "-o", out.path,
                             "--weights", "random:5:vgg16", "--size", "32", "--scales", "32"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("every item would fail: give --size or --scales, not both"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertFalse(r.stderr.contains("batch item"), "failed item by item: \(r.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing written")
    }
}
