import Foundation
import Imaging
import XCTest

/// Regions in `stylize batch` and in presets: a folder with a mask per photo (by name) or one mask for all, the regions
/// naming the styles; a preset's `regions` standing for `--region`. The reference for each is the single transfer with
/// the same mask and `--region` options, which must give the same bytes; reruns skip by the mask's bytes too.
final class BatchRegionTests: XCTestCase {
    let quick = ["--weights", "random:5:vgg16", "--size", "32", "--iterations", "2"]
    let regions = ["--region", "white=images/starry_night.jpg", "--region", "black=none"]

    /// A mask of the photo's aspect: white on the left `fraction` of the width, black on the rest.
    func mask(width: Int, height: Int, whiteFraction fraction: Double, to path: String) throws {
        var image = RGBImage(width: width, height: height)
        let split = Int(Double(width) * fraction)
        for y in 0..<height {
            for x in 0..<split { for c in 0..<3 { image.pixels[(y * width + x) * 3 + c] = 255 } }
        }
        try image.write(to: path)
    }

    /// A fresh folder holding `mask.png`, white on the left half (the sample images are needed).
    func halvesMask() throws -> (URL, String) {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let file = dir.appendingPathComponent("mask.png").path
        try mask(width: 64, height: 48, whiteFraction: 0.5, to: file)
        return (dir, file)
    }

    func testMaskPerPhotoMatchesTheSingleTransferAndRerunsSkip() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let photos = dir.appendingPathComponent("photos"), masks = dir.appendingPathComponent("masks")
        for folder in [photos, masks] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        for name in ["building.jpg", "fruits.jpg"] {
            try FileManager.default.createSymbolicLink(at: photos.appendingPathComponent(name),
                                                       withDestinationURL: CLI.root.appendingPathComponent("images/\(name)"))
        }
        try mask(width: 64, height: 48, whiteFraction: 0.5, to: masks.appendingPathComponent("building.png").path)
        try mask(width: 64, height: 48, whiteFraction: 0.25, to: masks.appendingPathComponent("fruits.png").path)
        let out = dir.appendingPathComponent("out")
        let args = ["batch", "--content", photos.path, "--content-mask", masks.path, "-o", out.path] + regions + quick
        let first = try CLI.run(args)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("batch: 2 done, 0 skipped, 0 failed of 2 items"), first.stdout)

        // Each item is the transfer of its photo with its own mask, byte for byte.
        for name in ["building", "fruits"] {
            let alone = dir.appendingPathComponent("\(name)-alone.png")
            let r = try CLI.run(["--content", photos.appendingPathComponent("\(name).jpg").path, "--content-mask",
                                 masks.appendingPathComponent("\(name).png").path, "-o", alone.path] + regions + quick)
            XCTAssertEqual(r.status, 0, r.stderr)
            let item = try RGBImage(contentsOf: out.appendingPathComponent("\(name)-starry_night.png").path)
            XCTAssertTrue(item == (try RGBImage(contentsOf: alone.path)), "\(name): the batch item differs from its transfer")
        }

        // A rerun skips both; a changed mask recomputes its photo's item only.
        let again = try CLI.run(args)
        XCTAssertTrue(again.stdout.contains("batch: 0 done, 2 skipped, 0 failed of 2 items"), again.stdout)
        try mask(width: 64, height: 48, whiteFraction: 0.75, to: masks.appendingPathComponent("fruits.png").path)
        let changed = try CLI.run(args)
        XCTAssertTrue(changed.stdout.contains("batch: 1 done, 1 skipped, 0 failed of 2 items"), changed.stdout)

        // A photo without its mask stops the batch before anything runs, naming the mask it looked for.
        try FileManager.default.createSymbolicLink(at: photos.appendingPathComponent("baboon.jpg"),
                                                   withDestinationURL: CLI.root.appendingPathComponent("images/baboon.jpg"))
        let before = CLI.listing(out)
        let missing = try CLI.run(args)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("masks/baboon.png: no mask for"), missing.stderr)
        XCTAssertEqual(missing.stderr.split(separator: "\n").filter { $0.hasPrefix("Error") }.count, 1, missing.stderr)
        XCTAssertEqual(CLI.listing(out), before)
    }

    func testOneMaskForEveryPhotoAndTheRules() throws {
        let (dir, maskFile) = try halvesMask()
        let out = dir.appendingPathComponent("out")
        let content = CLI.root.appendingPathComponent("images").path + "/b*.jpg"
        let r = try CLI.run(["batch", "--content", content, "--content-mask", maskFile, "-o", out.path, "--dry-run"] + regions + quick)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("baboon-starry_night.png") && r.stdout.contains("building-starry_night.png")
                      && r.stdout.contains("butterfly-starry_night.png"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "a dry run writes nothing")
        // The regions name the styles: --style beside them, or no styled region, is one line each.
        for (extra, needle) in [(["--style", "images/baboon.jpg"] + regions, "drop --style"),
                                (["--region", "white=none"], "give at least one region a style")] {
            let bad = try CLI.run(["batch", "--content", content, "--content-mask", maskFile, "-o", out.path] + extra + quick)
            XCTAssertNotEqual(bad.status, 0)
            XCTAssertTrue(bad.stderr.contains(needle), bad.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        }
        // A clip's frames do not take regions: said with the way that does.
        let video = try CLI.run(["video", "--content", "images/vtest.avi", "--style", "images/starry_night.jpg", "-o",
                                 dir.appendingPathComponent("v.mp4").path, "--content-mask", maskFile, "--region", "white=none"])
        XCTAssertNotEqual(video.status, 0)
        XCTAssertTrue(video.stderr.contains("--content-mask is not a video option"), video.stderr)
    }

    func testPresetRegionsStandForRegionOptions() throws {
        let (dir, maskFile) = try halvesMask()
        // A preset beside a copy of the painting, naming it relative to itself.
        let presets = dir.appendingPathComponent("presets")
        try FileManager.default.createDirectory(at: presets, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("images/starry_night.jpg"),
                                         to: presets.appendingPathComponent("painting.jpg"))
        let preset = presets.appendingPathComponent("halves.json")
        try Data(##"{"regions": {"white": "painting.jpg", "#000": "none"}, "style_weight": 0.2}"##.utf8).write(to: preset)
        let common = ["--content", "images/building.jpg", "--content-mask", maskFile] + quick
        let fromPreset = dir.appendingPathComponent("p.png"), fromOptions = dir.appendingPathComponent("o.png")
        let a = try CLI.run(common + ["--preset", preset.path, "-o", fromPreset.path])
        XCTAssertEqual(a.status, 0, a.stderr)
        let b = try CLI.run(common + ["--region", "white=" + presets.appendingPathComponent("painting.jpg").path, "--region", "black=none",
                                      "--style-weight", "0.2", "-o", fromOptions.path])
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertTrue((try RGBImage(contentsOf: fromPreset.path)) == (try RGBImage(contentsOf: fromOptions.path)),
                      "the preset's regions do not give the picture of the same --region options")

        // A batch takes them too, the items named after the region's style.
        let out = dir.appendingPathComponent("out")
        let batch = try CLI.run(["batch", "--content", "images/building.jpg", "--content-mask", maskFile, "--preset", preset.path,
                                 "-o", out.path] + quick)
        XCTAssertEqual(batch.status, 0, batch.stderr)
        XCTAssertTrue((try RGBImage(contentsOf: out.appendingPathComponent("building-painting-halves.png").path))
                      == (try RGBImage(contentsOf: fromPreset.path)))

        // A sweep's cell with regions saves them in its preset (absolute paths), and the preset runs to the same picture.
        let saved = dir.appendingPathComponent("saved.json")
        let sweep = try CLI.run(["sweep", "--content", "images/building.jpg", "--content-mask", maskFile,
                                 "--region", "white=" + presets.appendingPathComponent("painting.jpg").path, "--region", "black=none",
                                 "--vary", "style_weight=0.2", "--save-preset", saved.path, "--weights", "random:5:vgg16"])
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: saved)) as! [String: Any]
        XCTAssertEqual((written["regions"] as? [String: String])?["#000000"], "none", "\(written)")
        XCTAssertTrue(((written["regions"] as? [String: String])?["#ffffff"] ?? "").hasPrefix("/"), "\(written)")

        // A bad map is one line naming the file and the field.
        for (text, needle) in [(#"{"regions": {"mauve": "a.jpg"}}"#, "\"mauve\" is not a colour"),
                               (#"{"regions": {"white": 3}}"#, "regions.white must be a string"),
                               (#"{"regions": {"white": "a.jpg:0"}}"#, "the weight must be > 0")] {
            let bad = dir.appendingPathComponent("bad.json")
            try Data(text.utf8).write(to: bad)
            let r = try CLI.run(common + ["--preset", bad.path, "-o", dir.appendingPathComponent("bad.png").path])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("bad.json") && r.stderr.contains(needle), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad.png").path))
        }
    }
}
