import Foundation
import XCTest

/// The tutorial's commands and the help text, through the real binary.
final class CommandTests: XCTestCase {
    func testHelpListsEveryCommand() throws {
        let r = try CLI.run(["--help"])
        XCTAssertEqual(r.status, 0)
        for word in ["transfer", "presets", "layers", "shapes", "features", "gram", "info", "Gram-matrix neural style transfer"] {
            XCTAssertTrue(r.stdout.contains(word), "help lacks \(word):\n\(r.stdout)")
        }
        let t = try CLI.run(["transfer", "--help"])
        for option in ["--content", "--style", "--style-blend", "--style-scale", "--output", "--size", "--iterations", "--preset",
                       "--content-weight", "--style-weight", "--tv-weight", "--style-layer", "--init", "--seed",
                       "--original-colors", "--scales", "--save-every", "--log", "--report", "--weights"] {
            XCTAssertTrue(t.stdout.contains(option + " ") || t.stdout.contains(option + ","), "transfer help lacks \(option)")
        }
    }

    /// Reference: Keras' `VGG19(include_top=False).summary()` (22 layers, 20,024,384 params) and with the top
    /// (26 layers, 143,667,240 params); VGG16 14,714,688 / 138,357,544.
    func testLayersMatchesKerasSummary() throws {
        let r = try CLI.run(["layers", "--model", "vgg19"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("(22 layers)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Total params: 20,024,384"), r.stdout)
        XCTAssertTrue(r.stdout.contains("block1_conv1 (Conv2D)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(None, None, None, 64)"), r.stdout)
        let top = try CLI.run(["layers", "--model", "vgg19", "--include-top"])
        XCTAssertTrue(top.stdout.contains("(26 layers)"), top.stdout)
        XCTAssertTrue(top.stdout.contains("Total params: 143,667,240"), top.stdout)
        XCTAssertTrue(top.stdout.contains("predictions"), top.stdout)
        let vgg16 = try CLI.run(["layers", "--model", "vgg16"])
        XCTAssertTrue(vgg16.stdout.contains("Total params: 14,714,688"), vgg16.stdout)
    }

    func testShapesPrintsTheTutorialsShapes() throws {
        try CLI.requireImages()
        let r = try CLI.run(["shapes", "images/starry_night.jpg", "--weights", "random:1:vgg19"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("block1_conv1 (1, 224, 224, 64)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("block3_conv4 (1, 56, 56, 256)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("block5_pool (1, 7, 7, 512)"), r.stdout)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 22, "one line per layer")
        XCTAssertTrue(r.stderr.contains("weights: random:1"), r.stderr)
        // starry_night.jpg is 752x600: the tutorial's square input squashes it, and says so.
        XCTAssertTrue(r.stderr.contains("input: images/starry_night.jpg 752x600 squashed to 224x224"), r.stderr)
        // --keep-aspect keeps the 5:4 shape: 224x179, halved by each pool (rounded down).
        let kept = try CLI.run(["shapes", "images/starry_night.jpg", "--weights", "random:1:vgg19", "--keep-aspect"])
        XCTAssertEqual(kept.status, 0, kept.stderr)
        XCTAssertTrue(kept.stderr.contains("resized to 224x179 (shape kept)"), kept.stderr)
        XCTAssertTrue(kept.stdout.contains("block1_conv1 (1, 179, 224, 64)"), kept.stdout)
        XCTAssertTrue(kept.stdout.contains("block5_pool (1, 5, 7, 512)"), kept.stdout)
        let features = try CLI.run(["features", "images/starry_night.jpg", "--weights", "random:1", "--keep-aspect", "--size", "64",
                                    "-o", try CLI.tempDir().appendingPathComponent("f.png").path])
        XCTAssertEqual(features.status, 0, features.stderr)
        XCTAssertTrue(features.stderr.contains("resized to 64x51 (shape kept)"), features.stderr)
    }

    func testPresetsListsTheBundledPresets() throws {
        let r = try CLI.run(["presets"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for name in ["default", "strong-style", "subtle-style", "starry-night"] {
            XCTAssertTrue(r.stdout.contains(name), r.stdout)
        }
    }

    func testFeaturesWritesTheGridAndNpy() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let png = dir.appendingPathComponent("f.png").path, npy = dir.appendingPathComponent("f.npy").path
        let r = try CLI.run(["features", "images/starry_night.jpg", "--layer", "block1_conv1", "--size", "64",
                             "--weights", "random:2", "-o", png, "--npy", npy])
        XCTAssertEqual(r.status, 0, r.stderr)
        let header = try Data(contentsOf: URL(fileURLWithPath: npy)).prefix(128)
        XCTAssertTrue(String(decoding: header, as: UTF8.self).contains("'shape': (1, 64, 64, 64)"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: png))
        let bad = try CLI.run(["features", "images/starry_night.jpg", "--layer", "block9_conv1", "--weights", "random:2",
                               "-o", dir.appendingPathComponent("g.png").path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("block9_conv1"), bad.stderr)
    }

    func testGramWritesHeatmapsSheetAndComparison() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let r = try CLI.run(["gram", "images/starry_night.jpg", "--size", "64", "--weights", "random:2", "--npy",
                             "--order", "cluster", "--compare", "images/building.jpg", "-o", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = CLI.listing(dir)
        XCTAssertTrue(files.contains("starry_night-vs-building-block1_conv1.png"), "\(files)")
        XCTAssertTrue(files.contains("starry_night-vs-building-gram-sheet.png"), "\(files)")
        XCTAssertTrue(files.contains("building-block5_conv1.npy"), "\(files)")
        XCTAssertEqual(files.filter { $0.hasSuffix(".png") }.count, 6, "five layers and one sheet: \(files)")
    }
}
