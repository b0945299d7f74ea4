import Foundation
import XCTest

/// `stylize sweep` through the real binary: one picture per cell, a table whose distances follow the style weight,
/// and a saved preset that reads back with the picked cell's values.
final class SweepTests: XCTestCase {
    func testSweepDrawsEveryCellAndSavesThePickedOne() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let sheet = dir.appendingPathComponent("sheet.png").path
        let base = ["sweep", "--content", "images/building.jpg", "--style", "images/starry_night.jpg",
                    "--weights", "random:5", "--vary", "style_weight=0.001,1000", "--vary", "block1_conv1=1,3"]
        let r = try CLI.run(base + ["--size", "48", "--iterations", "12", "-o", sheet, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").filter { $0.contains("distance from photo") }
        XCTAssertEqual(rows.count, 4, r.stdout)
        XCTAssertTrue(rows[0].contains("style_weight=0.001 block1_conv1=1") && rows[3].contains("style_weight=1000 block1_conv1=3"), r.stdout)
        func distance(_ row: Substring) -> Double {
            Double(row.components(separatedBy: "distance from photo ")[1].split(separator: " ")[0])!
        }
        // A style weight 10⁶ times larger moves the picture further from the photo in both rows.
        XCTAssertGreaterThan(distance(rows[1]), distance(rows[0]))
        XCTAssertGreaterThan(distance(rows[3]), distance(rows[2]))
        let info = try CLI.run(["info", sheet])
        XCTAssertEqual(info.status, 0, info.stderr)

        let saved = dir.appendingPathComponent("mine.json").path
        let s = try CLI.run(base + ["--pick", "4", "--save-preset", saved])
        XCTAssertEqual(s.status, 0, s.stderr)
        let fields = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: saved))) as! [String: Any]
        XCTAssertEqual(fields["style_weight"] as? Double, 1000)
        XCTAssertEqual((fields["style_layers"] as? [String: Double])?["block1_conv1"], 3)
        let list = try CLI.run(["presets", "--folder", dir.path])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("mine"), list.stdout)
        // An existing preset is not replaced without --force.
        let again = try CLI.run(base + ["--pick", "4", "--save-preset", saved])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("--force"), again.stderr)
    }

    func testSweepRefusesBadValuesWithOneLine() throws {
        let base = ["sweep", "--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--weights", "random:5"]
        for (vary, expected) in [("style_weight=-1", "must not be negative"), ("colour=1,2", "cannot be varied"),
                                 ("style_weight=a", "is not a number"), ("style_weight", "KEY=V1,V2")] {
            let r = try CLI.run(base + ["--vary", vary, "--size", "48"])
            XCTAssertNotEqual(r.status, 0, vary)
            XCTAssertTrue(r.stderr.contains(expected), "\(vary): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").filter { !$0.isEmpty }.count, 1, r.stderr)
        }
        let pick = try CLI.run(base + ["--vary", "style_weight=1,2", "--pick", "3", "--save-preset", "/tmp/never.json"])
        XCTAssertTrue(pick.stderr.contains("cells 1...2"), pick.stderr)
    }

    /// A sweep with regions: every cell runs with the mask, a `none` region and its style, given by `--region` or by
    /// the preset's regions; a mask with neither is refused; without --style and without a mask, the sweep asks for
    /// one of them.
    func testSweepWithRegions() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let sheet = dir.appendingPathComponent("sheet.png").path
        let mask = CLI.root.appendingPathComponent("docs/region-mask.png").path
        let r = try CLI.run(["sweep", "--content", "images/building.jpg", "--content-mask", mask, "--region", "red=images/starry_night.jpg",
                             "--region", "blue=none", "--weights", "random:5", "--vary", "style_weight=1,100", "--size", "48",
                             "--iterations", "4", "-o", sheet, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").filter { $0.contains("distance from photo") }.count, 2, r.stdout)
        XCTAssertEqual(CLI.listing(dir), ["sheet.png"])
        // A preset's regions stand for --region, as in a transfer: its style path is relative to the preset's file.
        let preset = dir.appendingPathComponent("regions.json")
        let starry = CLI.root.appendingPathComponent("images/starry_night.jpg").path
        try JSONSerialization.data(withJSONObject: ["regions": ["red": starry, "blue": "none"]]).write(to: preset)
        let fromPreset = try CLI.run(["sweep", "--content", "images/building.jpg", "--content-mask", mask, "--preset", preset.path,
                                      "--weights", "random:5", "--vary", "style_weight=1,100", "--size", "48",
                                      "--iterations", "4", "-o", sheet, "--quiet"])
        XCTAssertEqual(fromPreset.status, 0, fromPreset.stderr)
        XCTAssertEqual(fromPreset.stdout.split(separator: "\n").filter { $0.contains("distance from photo") }.count, 2, fromPreset.stdout)
        let bare = try CLI.run(["sweep", "--content", "images/building.jpg", "--content-mask", mask, "--weights", "random:5",
                                "--vary", "style_weight=1,2", "--size", "48", "-o", sheet])
        XCTAssertNotEqual(bare.status, 0, "a mask without --region and without a preset's regions")
        XCTAssertTrue(bare.stderr.contains("--region"), bare.stderr)
        let none = try CLI.run(["sweep", "--content", "images/building.jpg", "--weights", "random:5", "--vary", "style_weight=1,2"])
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("give --style FILE, or --content-mask FILE"), none.stderr)
    }

    /// Each cell is planned and checked as a transfer is, before the first cell runs: a cell whose style image
    /// would be too small for the deepest style layers is named, and nothing is written.
    func testACellThatCannotBePlannedIsNamedBeforeAnyWork() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let sheet = dir.appendingPathComponent("sheet.png").path
        let r = try CLI.run(["sweep", "--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--weights", "random:5",
                             "--vary", "style_scale=1,0.5", "--size", "48", "--iterations", "2", "-o", sheet, "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("sweep cell style_scale=0.5:") && r.stderr.contains("too small"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").filter { !$0.isEmpty }.count, 1, r.stderr)
        XCTAssertEqual(r.stdout, "", "no cell ran")
        XCTAssertEqual(CLI.listing(dir), [])
    }

    /// `sweep --save-preset NAME` keeps NAME.json in the user's preset folder: names that would leave it or hide
    /// the file are refused with one line, and nothing is written.
    func testSavePresetNamesStayInThePresetFolder() throws {
        try CLI.requireImages()
        let home = try CLI.tempDir()
        let env = CLI.freshEnv(home)
        let base = ["sweep", "--content", CLI.root.appendingPathComponent("images/building.jpg").path,
                    "--style", CLI.root.appendingPathComponent("images/starry_night.jpg").path,
                    "--weights", "random:1", "--vary", "style_weight=1", "--size", "32"]
        for name in ["../../x", "", ".hidden", "a\u{1}b", "sub/x"] {
            let r = try CLI.run(base + ["--save-preset", name], cwd: home, env: env)
            XCTAssertNotEqual(r.status, 0, name)
            XCTAssertTrue(r.stderr.contains("a preset name may not be empty, contain \"/\", start with \".\""), "\(name): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        XCTAssertEqual(CLI.listing(home), [], "nothing written")
        let ok = try CLI.run(base + ["--save-preset", "mine"], cwd: home, env: env)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: home.appendingPathComponent(".config/stylize/presets/mine.json").path))
    }
}
