import Foundation
@testable import StyleTransfer
import XCTest

/// The bundled presets load; every kind of bad preset is refused with the file and the field named.
final class PresetTests: XCTestCase {
    static let presetsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Presets").path

    func testBundledPresetsLoad() throws {
        let presets = try Preset.list(folder: Self.presetsFolder)
        let names = Set(presets.map(\.name))
        for required in ["default", "strong-style", "subtle-style", "starry-night"] {
            XCTAssertTrue(names.contains(required), "missing preset \(required)")
        }
        for p in presets {
            XCTAssertFalse(p.description.isEmpty, "\(p.name) has no description")
            XCTAssertFalse(p.styleLayers.isEmpty)
        }
        let strong = presets.first { $0.name == "strong-style" }!, subtle = presets.first { $0.name == "subtle-style" }!
        XCTAssertGreaterThan(strong.styleWeight / strong.contentWeight, subtle.styleWeight / subtle.contentWeight)
        XCTAssertLessThan(Preset.layerOrder(subtle.contentLayer), Preset.layerOrder(strong.contentLayer),
                          "the subtle preset holds the photo at a shallower layer")
    }

    func write(_ text: String, name: String = "bad.json") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stylize-presets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func assertRefused(_ text: String, mentions words: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try write(text)
        XCTAssertThrowsError(try Preset.load(path: path), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix(path + ": "), "message must start with the file: \(message)", file: file, line: line)
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
            for w in words { XCTAssertTrue(message.contains(w), "\"\(message)\" should mention \(w)", file: file, line: line) }
        }
    }

    func testMalformedJSONNamesTheLine() throws {
        try assertRefused("{\n  \"style_weight\": 10,\n  \"tv_weight\": ,\n}\n", mentions: ["malformed JSON", "line 3"])
    }

    /// Foundation's JSONSerialization accepts these on Linux; the preset loader must not.
    func testTrailingCommasAndRepeatedKeysAreRefused() throws {
        try assertRefused("{\n  \"style_weight\": 10,\n}\n", mentions: ["malformed JSON at line 3, column 1", "trailing comma"])
        try assertRefused(#"{"scales": [256, 512,]}"#, mentions: ["line 1, column 22", "trailing comma"])
        try assertRefused("{\"tv_weight\": 1,\n \"tv_weight\": 2}", mentions: ["line 2, column 2", "tv_weight", "twice"])
        try assertRefused(#"{"size": 512} x"#, mentions: ["line 1, column 15"])
        try assertRefused(#"{"size": 0512}"#, mentions: ["line 1, column 11"])
        XCTAssertNil(JSONSyntax.check(Array(#"{"a": [1, -2.5e3, true, null, "x\"\u00e9"], "b": {}}"#.utf8)), "valid JSON passes")
    }

    /// A key repeated through a `\u` escape is the same key once decoded, as JSONSerialization reads it.
    func testKeysAreComparedAfterUnescaping() throws {
        try assertRefused(#"{"style_weight": 1, "style\u005fweight": 1e9}"#, mentions: ["malformed JSON", "column 21", "style_weight", "twice"])
        try assertRefused(#"{"style_weight": 1, "style_weigh\u0074": 1e9}"#, mentions: ["style_weight", "twice"])
        XCTAssertEqual(JSONSyntax.check(Array(#"{"\u00e9": 1, "e\u0301": 2}"#.utf8))?.reason, "key \u{e9} appears twice",
                       "canonically equal keys are one key of a Swift dictionary")
        XCTAssertNil(JSONSyntax.check(Array(#"{"a\"b": 1, "a\\b": 2, "\ud83d\ude00": 3, "\n": 4, "\u000a\u0041": 5}"#.utf8)),
                     "different keys pass")
    }

    /// One layer named twice, an alias and its Keras name, would weigh it twice: refused with both spellings.
    func testOneLayerNamedTwiceIsRefused() throws {
        try assertRefused(#"{"style_layers": {"conv1_1": 1, "block1_conv1": 2}}"#,
                          mentions: ["style_layers", "\"block1_conv1\" and \"conv1_1\" are the same layer, block1_conv1"])
        try assertRefused(#"{"style_layers": {"relu3_1": 1, "conv3_1": 1}}"#, mentions: ["\"conv3_1\" and \"relu3_1\"", "block3_conv1"])
        var twice = Preset.builtIn
        twice.styleLayers.append(.init(layer: "block1_conv1", weight: 1))
        XCTAssertEqual(twice.rangeProblems { $0 }, ["style_layers names block1_conv1 twice"], "a plan read from a checkpoint too")
    }

    func testClassicLayerNamesAreAliases() throws {
        let path = try write(#"{"content_layer": "relu4_2", "style_layers": {"relu1_1": 1, "conv3_1": 2}}"#)
        let p = try Preset.load(path: path)
        XCTAssertEqual(p.contentLayer, "block4_conv2")
        XCTAssertEqual(p.styleLayers.map(\.layer), ["block1_conv1", "block3_conv1"])
    }

    func testSizesUseTheSharedRange() throws {
        try assertRefused(#"{"size": 31}"#, mentions: ["size", "32...4096"])
        try assertRefused(#"{"scales": [16, 64]}"#, mentions: ["scales", "32...4096"])
        XCTAssertEqual(try Preset.load(path: try write(#"{"size": 32}"#)).size, 32)
    }

    func testUnknownFieldIsRefused() throws {
        try assertRefused(#"{"stlye_weight": 5}"#, mentions: ["unknown field", "stlye_weight"])
    }

    func testUnknownLayerIsRefused() throws {
        try assertRefused(#"{"style_layers": {"block1_conv1": 1, "block9_conv1": 1}}"#, mentions: ["block9_conv1"])
        try assertRefused(#"{"content_layer": "fc1"}"#, mentions: ["content_layer", "fc1"])
    }

    func testNegativeAndNonFiniteWeightsAreRefused() throws {
        try assertRefused(#"{"style_weight": -3}"#, mentions: ["style_weight", "negative"])
        try assertRefused(#"{"style_layers": {"block2_conv1": -1}}"#, mentions: ["style_layers.block2_conv1", "negative"])
        try assertRefused(#"{"tv_weight": 1e999}"#, mentions: ["tv_weight"])
    }

    func testWrongTypesAreRefused() throws {
        try assertRefused(#"{"content_weight": "high"}"#, mentions: ["content_weight", "number"])
        try assertRefused(#"{"iterations": 2.5}"#, mentions: ["iterations"])
        try assertRefused(#"{"original_colors": 1}"#, mentions: ["original_colors"])
        try assertRefused(#"{"size": 100000}"#, mentions: ["size"])
        try assertRefused(#"[1, 2]"#, mentions: ["object"])
    }

    func testOverridesKeepDefaultsForMissingFields() throws {
        let path = try write(#"{"description": "x", "style_weight": 42, "style_layers": {"block4_conv1": 2, "block1_conv1": 1}}"#)
        let p = try Preset.load(path: path)
        XCTAssertEqual(p.styleWeight, 42)
        XCTAssertEqual(p.contentWeight, Preset.builtIn.contentWeight)
        XCTAssertEqual(p.styleLayers.map(\.layer), ["block1_conv1", "block4_conv1"], "layers in network order")
    }
}

/// `Preset.resized(to:)`: the coarse-to-fine schedule scaled with the output, budgets kept; scales that would not
/// be below the new output size dropped with their budgets. Reference: the sizes worked out by hand.
final class PresetScheduleTests: XCTestCase {
    func testScheduleFollowsTheOutputSize() {
        var p = Preset.builtIn
        p.size = 512
        p.scales = [256, 512]
        p.scaleIterations = [150, 80]
        let big = p.resized(to: 1024)
        XCTAssertEqual(big.scales, [512, 1024])
        XCTAssertEqual(big.scaleIterations, [150, 80])
        XCTAssertEqual(big.evaluationBudget(scale: 0, of: 2), 150)
        XCTAssertEqual(p.resized(to: 48).scales, [32, 48])
        let tiny = p.resized(to: 32)
        XCTAssertEqual(tiny.scales, [32])
        XCTAssertEqual(tiny.scaleIterations, [80])
        var single = Preset.builtIn
        single.size = 512
        XCTAssertEqual(single.resized(to: 300).scales, [])
        XCTAssertEqual(single.resized(to: 300).size, 300)
    }
}
