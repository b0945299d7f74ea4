import Foundation
import Imaging
import XCTest

/// One test per surprise of a new user's first hour (issue 14), through the real binary.
final class NewcomerTests: XCTestCase {
    let small = ["--weights", "random:1", "--size", "32", "--iterations", "2"]
    let photo = ["--content", "images/building.jpg", "--style", "images/starry_night.jpg"]

    // MARK: - Behaviour that contradicted the docs

    /// The size range is one definition: what the message says is what is accepted, in every command.
    func testSizeRangeAndMessageAgree() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let runs: [[String]] = [photo + ["--weights", "random:1", "--iterations", "2", "-o", dir.appendingPathComponent("t.png").path],
                                ["shapes", "images/starry_night.jpg", "--weights", "random:1"],
                                ["features", "images/starry_night.jpg", "--weights", "random:1", "-o", dir.appendingPathComponent("f.png").path],
                                ["gram", "images/starry_night.jpg", "--weights", "random:1", "-o", dir.appendingPathComponent("g").path]]
        for args in runs {
            let below = try CLI.run(args + ["--size", "31"])
            XCTAssertNotEqual(below.status, 0, "\(args)")
            XCTAssertTrue(below.stderr.contains("--size must be in 32...4096, not 31"), "\(args): \(below.stderr)")
            let lowest = try CLI.run(args + ["--size", "32"])
            XCTAssertEqual(lowest.status, 0, "the lowest size the message gives must work: \(args): \(lowest.stderr)")
        }
        let preset = dir.appendingPathComponent("p.json")
        try #"{"size": 31}"#.write(to: preset, atomically: true, encoding: .utf8)
        let bad = try CLI.run(photo + ["--preset", preset.path] + small)
        XCTAssertTrue(bad.stderr.contains("32...4096"), bad.stderr)
    }

    func testPresetWithTrailingCommaIsRefusedWithItsPosition() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let preset = dir.appendingPathComponent("comma.json")
        try "{\n  \"style_weight\": 10,\n}\n".write(to: preset, atomically: true, encoding: .utf8)
        let r = try CLI.run(photo + ["--preset", preset.path, "-o", dir.appendingPathComponent("o.png").path] + small)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("\(preset.path): malformed JSON at line 3, column 1"), r.stderr)
        XCTAssertTrue(r.stderr.contains("trailing comma"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("o.png").path))
    }

    /// Mean |ΔCb| + |ΔCr| (BT.601) between two pictures of one size.
    func chromaDistance(_ a: RGBImage, _ b: RGBImage) -> Double {
        func chroma(_ p: [UInt8], _ i: Int) -> (Double, Double) {
            let (r, g, b) = (Double(p[3 * i]), Double(p[3 * i + 1]), Double(p[3 * i + 2]))
            return (-0.168736 * r - 0.331264 * g + 0.5 * b, 0.5 * r - 0.418688 * g - 0.081312 * b)
        }
        var sum = 0.0
        for i in 0..<(a.width * a.height) {
            let (x, y) = (chroma(a.pixels, i), chroma(b.pixels, i))
            sum += abs(x.0 - y.0) + abs(x.1 - y.1)
        }
        return sum / Double(a.width * a.height)
    }

    /// Reference: the content photo resized to the intermediate's size, as the final image's colours are taken.
    func testSaveEveryIntermediatesKeepTheOriginalColors() throws {
        try CLI.requireImages()
        let content = try RGBImage(contentsOf: CLI.root.appendingPathComponent("images/building.jpg").path)
        var distances: [Bool: Double] = [:]
        for keep in [true, false] {
            let dir = try CLI.tempDir()
            let out = dir.appendingPathComponent("o.png").path
            // Starting from the painting, the intermediates have its colours unless they are replaced.
            let r = try CLI.run(photo + ["--init", "style", "--save-every", "1", "-o", out] + small + (keep ? ["--original-colors"] : []))
            XCTAssertEqual(r.status, 0, r.stderr)
            let intermediate = try RGBImage(contentsOf: dir.appendingPathComponent("o-0001.png").path)
            distances[keep] = chromaDistance(intermediate, content.resized(width: intermediate.width, height: intermediate.height))
        }
        XCTAssertLessThan(distances[true]!, 2, "--original-colors intermediates keep the photo's chroma")
        XCTAssertGreaterThan(distances[false]!, 10, "without it they have the painting's (the test can tell)")
    }

    /// Reference: the log's own `style`, which is β · Σ w_l E_l.
    func testLogStyleLayersSumToStyle() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let log = dir.appendingPathComponent("run.jsonl").path
        let r = try CLI.run(photo + ["--style-weight", "1000", "--log", log, "-o", dir.appendingPathComponent("o.png").path] + small)
        XCTAssertEqual(r.status, 0, r.stderr)
        for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let style = object["style"] as! Double
            let layers = (object["style_layers"] as! [String: Double]).values.reduce(0, +)
            XCTAssertEqual(layers, style, accuracy: 1e-9 * abs(style), "style_layers must sum to style: \(line)")
        }
    }

    func testLayersDescribesTheWeightsInUse() throws {
        for (arch, count) in [("vgg16", 19), ("vgg19", 22)] {
            let r = try CLI.run(["layers", "--weights", "random:1:\(arch)"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("Model: \"\(arch)\" (\(count) layers)"), r.stdout)
        }
        // Without options: the architecture `shapes` (and a transfer) loads.
        let layers = try CLI.run(["layers"])
        let shapes = try CLI.run(["shapes", "images/starry_night.jpg", "--size", "32"])
        let weightsLine = { (s: String) in s.split(separator: "\n").first { $0.hasPrefix("weights: ") } }
        XCTAssertEqual(weightsLine(layers.stderr), weightsLine(shapes.stderr))
        XCTAssertEqual(layers.stdout.split(separator: "\n").count - 5, shapes.stdout.split(separator: "\n").count,
                       "one row per layer in both: \(layers.stdout)")
    }

    func testLayerErrorsListTheValidNamesAndTheirSource() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let r = try CLI.run(photo + ["--style-layer", "block3_conv4=1", "-o", dir.appendingPathComponent("o.png").path,
                                     "--weights", "random:1:vgg16", "--size", "32"])
        XCTAssertNotEqual(r.status, 0)
        for word in ["--style-layer block3_conv4", "vgg16", "block3_conv3, block3_pool"] {
            XCTAssertTrue(r.stderr.contains(word), "should mention \(word): \(r.stderr)")
        }
        XCTAssertFalse(r.stderr.contains("preset default"), "the layer came from the command line: \(r.stderr)")
        let preset = dir.appendingPathComponent("deep.json")
        try #"{"style_layers": {"block5_conv4": 1}}"#.write(to: preset, atomically: true, encoding: .utf8)
        let p = try CLI.run(photo + ["--preset", preset.path, "--weights", "random:1:vgg16", "--size", "32"])
        XCTAssertTrue(p.stderr.contains("style_layers of preset deep") && p.stderr.contains("block5_conv3"), p.stderr)
        let g = try CLI.run(["gram", "images/starry_night.jpg", "--layers", "block9_conv1", "--weights", "random:1",
                             "-o", dir.appendingPathComponent("g").path])
        XCTAssertTrue(g.stderr.contains("block9_conv1") && g.stderr.contains("block5_pool"), g.stderr)
    }

    // MARK: - Silent surprises

    func testRepeatedStyleKeepsBoth() throws {
        try CLI.requireImages()
        let dir = try CLI.freshFolder()
        let r = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--style", "images/baboon.jpg",
                             "--report", "r.html"] + small, cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(CLI.listing(dir.appendingPathComponent("output")).contains("building-starry_night+baboon.png"),
                      "\(CLI.listing(dir.appendingPathComponent("output")))")
        let html = try String(contentsOf: dir.appendingPathComponent("r.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("images/starry_night.jpg, images/baboon.jpg"), "both styles in the settings")
        XCTAssertEqual(html.components(separatedBy: "<tr><td>preset</td>").count - 1, 1, "the preset appears once in the settings")
    }

    func testOutputPathIsAFileOrAFolderNeverTheOtherWayRound() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let path = { (name: String) in dir.appendingPathComponent(name).path }
        try FileManager.default.createDirectory(atPath: path("folder.png"), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path("file"), contents: Data("x".utf8))
        let cases: [[String]] = [
            ["gram", "images/starry_night.jpg", "-o", path("g.png")],
            ["gram", "images/starry_night.jpg", "-o", path("file")],
            ["features", "images/starry_night.jpg", "--all", "-o", path("fa.png")],
            ["features", "images/starry_night.jpg", "--all", "-o", path("fa"), "--npy", path("a.npy")],
            ["features", "images/starry_night.jpg", "-o", path("folder.png")],
            ["features", "images/starry_night.jpg", "-o", path("f.png"), "--npy", path("npyfolder")],
            photo + ["-o", path("folder.png"), "--iterations", "2"],
        ]
        for args in cases {
            let r = try CLI.run(args + ["--weights", "random:1", "--size", "32"])
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains("folder"), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)")
        }
        XCTAssertEqual(CLI.listing(dir), ["file", "folder.png"], "nothing created")
    }

    /// Reference: the order is a permutation of 0..<C, and each row of the written matrix is the network's
    /// channel it names (the diagonal of a Gram matrix, permuted, is the permuted diagonal).
    func testGramClusterOrderIsSavedWithTheMatrices() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let base = ["gram", "images/starry_night.jpg", "--layers", "block1_conv1", "--size", "32", "--weights", "random:1", "--npy"]
        let plain = try CLI.run(base + ["-o", dir.appendingPathComponent("plain").path])
        let clustered = try CLI.run(base + ["--order", "cluster", "-o", dir.appendingPathComponent("cluster").path])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(clustered.status, 0, clustered.stderr)
        func floats(_ path: String) throws -> [Float] {
            let data = [UInt8](try Data(contentsOf: dir.appendingPathComponent(path)))
            let start = 10 + Int(data[8]) + 256 * Int(data[9])
            return stride(from: start, to: data.count, by: 4).map {
                Float(bitPattern: UInt32(data[$0]) | UInt32(data[$0 + 1]) << 8 | UInt32(data[$0 + 2]) << 16 | UInt32(data[$0 + 3]) << 24)
            }
        }
        // The order is int64 ('<i8'), numpy's index type, so it indexes arrays directly.
        let orderData = [UInt8](try Data(contentsOf: dir.appendingPathComponent("cluster/starry_night-block1_conv1-order.npy")))
        let orderStart = 10 + Int(orderData[8]) + 256 * Int(orderData[9])
        XCTAssertTrue(String(decoding: orderData[10..<orderStart], as: UTF8.self).contains("'descr': '<i8'"))
        let order = stride(from: orderStart, to: orderData.count, by: 8).map { at in
            (0..<8).reduce(0) { $0 | Int(orderData[at + $1]) << (8 * $1) }
        }
        XCTAssertEqual(order.sorted(), Array(0..<64))
        let g = try floats("plain/starry_night-block1_conv1.npy"), h = try floats("cluster/starry_night-block1_conv1.npy")
        for i in 0..<64 { XCTAssertEqual(h[i * 64 + i], g[order[i] * 64 + order[i]], "row \(i)") }
        XCTAssertFalse(CLI.listing(dir.appendingPathComponent("plain")).contains { $0.contains("order") }, "no order without clustering")
    }

    func testGramCompareUsesTheComparedImagesSize() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let result = dir.appendingPathComponent("r.png").path
        XCTAssertEqual(try CLI.run(photo + ["-o", result, "--weights", "random:1", "--size", "48", "--iterations", "2"]).status, 0)
        let base = ["gram", "images/starry_night.jpg", "--compare", result, "--layers", "block1_conv1", "--weights", "random:1"]
        let byDefault = try CLI.run(base + ["-o", dir.appendingPathComponent("a").path])
        let at48 = try CLI.run(base + ["--size", "48", "-o", dir.appendingPathComponent("b").path])
        let at512 = try CLI.run(base + ["--size", "512", "-o", dir.appendingPathComponent("c").path])
        XCTAssertTrue(byDefault.stderr.contains("size: 48 px longest edge (the compared image's)"), byDefault.stderr)
        let difference = { (s: String) in s.split(separator: "\n").first { $0.contains("relative difference") }?.split(separator: " ").last }
        XCTAssertEqual(difference(byDefault.stdout), difference(at48.stdout))
        XCTAssertNotEqual(difference(byDefault.stdout), difference(at512.stdout))
    }

    // MARK: - Errors that help, classic habits

    func testNeuralStyleFlagsAreTranslatedWithANote() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("classic.png").path
        let r = try CLI.run(["-content_image", "images/building.jpg", "-style_image", "images/starry_night.jpg,images/baboon.jpg",
                             "-style_blend_weights", "3,1", "-original_colors", "1", "-init", "random", "-num_iterations", "2",
                             "-print_iter", "1", "-save_iter", "1", "-output_image", out, "--weights", "random:1", "--size", "32"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let note = r.stderr.split(separator: "\n").filter { $0.contains("neural-style") }
        XCTAssertEqual(note.count, 1, "one line: \(r.stderr)")
        for native in ["--content images/building.jpg", "--style-blend 3,1", "--original-colors", "--init noise", "--iterations 2",
                       "--save-every 1", "--output \(out)"] {
            XCTAssertTrue(note[0].contains(native), "note should give \(native): \(note[0])")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("classic-0001.png").path))
        // -init image is the content; a flag neural-style does not have is named as unknown, with the close one.
        let image = try CLI.run(photo + ["-init", "image", "-o", dir.appendingPathComponent("i.png").path] + small)
        XCTAssertEqual(image.status, 0, image.stderr)
        let unknown = try CLI.run(photo + ["-style_weights", "3"] + small)
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("unknown option -style_weights; did you mean -style_weight?"), unknown.stderr)
    }

    /// Reference: `relu4_2` is `block4_conv2` (Keras' convolution output includes its ReLU): identical results.
    func testReluNamesAreAliasesOfKerasNames() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        var files: [Data] = []
        for names in [["relu4_2", "relu3_1"], ["block4_conv2", "block3_conv1"]] {
            let out = dir.appendingPathComponent("\(names[0]).png")
            let r = try CLI.run(photo + ["--content-layer", names[0], "--style-layer", "\(names[1])=3", "-o", out.path] + small)
            XCTAssertEqual(r.status, 0, r.stderr)
            files.append(try Data(contentsOf: out))
        }
        XCTAssertEqual(files[0], files[1])
        let g = try CLI.run(["gram", "images/starry_night.jpg", "--layers", "relu1_1", "--size", "32", "--weights", "random:1",
                             "-o", dir.appendingPathComponent("g").path])
        XCTAssertEqual(g.status, 0, g.stderr)
        XCTAssertTrue(CLI.listing(dir.appendingPathComponent("g")).contains("starry_night-block1_conv1.png"))
    }

    func testMissingFileUnderImagesGetsDidYouMean() throws {
        try CLI.requireImages()
        let r = try CLI.run(["--content", "images/building.jpg", "--style", "starry_night.jpg"] + small)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("starry_night.jpg") && r.stderr.contains("did you mean images/starry_night.jpg?"), r.stderr)
        let g = try CLI.run(["gram", "baboon.jpg"])
        XCTAssertTrue(g.stderr.contains("did you mean images/baboon.jpg?"), g.stderr)
    }

    func testInitRandomIsNoise() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        var files: [Data] = []
        for name in ["random", "noise"] {
            let out = dir.appendingPathComponent("\(name).png")
            let r = try CLI.run(photo + ["--init", name, "--seed", "7", "-o", out.path] + small)
            XCTAssertEqual(r.status, 0, r.stderr)
            files.append(try Data(contentsOf: out))
        }
        XCTAssertEqual(files[0], files[1])
    }

    func testHelpOfAnUnknownCommandFailsAndVersionIsPrinted() throws {
        let r = try CLI.run(["help", "foo"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("no command named \"foo\""), r.stderr)
        XCTAssertEqual(try CLI.run(["help", "gram"]).status, 0)
        let v = try CLI.run(["--version"])
        XCTAssertEqual(v.status, 0, v.stderr)
        XCTAssertTrue(v.stdout.hasPrefix("stylize "), v.stdout)
        // The version, then what runs the arithmetic: processor, BLAS core, the kernels' ISA, the Winograd products.
        XCTAssertEqual(v.stdout.split(separator: "\n").map { $0.split(separator: " ").first ?? "" },
                       ["stylize", "cpu:", "blas:", "kernels:", "winograd:"], v.stdout)
    }

    // MARK: - Cosmetic

    func testHelpListsEveryColormapAndCountsAreSingular() throws {
        for command in ["gram", "features"] {
            let help = try CLI.run([command, "--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
                .replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
            XCTAssertTrue(help.contains("gray, viridis, magma, coolwarm"), "\(command): \(help)")
        }
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let r = try CLI.run(photo + ["-o", dir.appendingPathComponent("o.png").path] + small)
        XCTAssertTrue(r.stdout.contains(" 1 step,"), r.stdout)
        XCTAssertFalse(r.stdout.contains(" 1 steps"), r.stdout)
    }
}
