import Foundation
@testable import StyleTransfer
import XCTest

/// The one table of preset settings (`Preset.settings`): every bundled preset and the built-in defaults survive
/// writing and reading back through it unchanged, every field a preset can hold has a row, and each row's reader
/// refuses a value of the wrong type with a line naming the field.
final class PresetSettingsTests: XCTestCase {
    static let presetsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Presets").path

    func testEveryPresetRoundTripsThroughTheTable() throws {
        var presets = try Preset.list(folder: Self.presetsFolder)
        XCTAssertGreaterThanOrEqual(presets.count, 5)
        presets.append(.builtIn)
        for preset in presets {
            let fields = preset.fileFields
            XCTAssertEqual(Set(fields.keys).subtracting(Preset.fields), [], preset.name)
            let back = try Preset.builtIn.applying(fields, source: "round trip")
            var expected = preset
            expected.name = "built-in"
            XCTAssertEqual(back, expected, preset.name)
        }
    }

    /// A field of `Preset` that no row writes would be silently dropped from saved presets: every stored
    /// property but the name (the file's own name) appears in a full preset's fields.
    func testEveryPresetPropertyHasARow() throws {
        var full = Preset.builtIn
        full.scales = [256, 512]
        full.scaleIterations = [10, 20]
        full.temporalWeight = 500
        full.colorWeight = 20
        full.regions = [.init(color: .init(red: 255, green: 255, blue: 255), style: "/a.jpg", weight: 2)]
        let written = Set(full.fileFields.keys)
        let properties = Mirror(reflecting: full).children.compactMap(\.label).filter { $0 != "name" }
        XCTAssertEqual(properties.count, written.count, "properties \(properties.sorted()) against rows \(written.sorted())")
        XCTAssertEqual(Preset.fields.count, Set(Preset.fields).count, "a key appears twice")
        XCTAssertEqual(Preset.settings.filter { $0.sweep == .numbers }.map(\.key).sorted(),
                       ["color_weight", "content_weight", "history", "iterations", "style_scale", "style_weight", "tv_weight"])
    }

    func testWrongTypesNameTheField() {
        let wrong: [String: Any] = ["description": 3, "content_weight": "x", "content_layer": 1, "style_layers": [1],
                                    "iterations": 1.5, "size": "big", "style_scale": true, "init": "image",
                                    "original_colors": 1, "scales": "256", "scale_iterations": [1, 2], "history": [],
                                    "normalization": "none", "temporal_weight": "high", "color_weight": [], "regions": ["white"]]
        for (key, value) in wrong {
            XCTAssertThrowsError(try Preset.builtIn.applying([key: value], source: "test.json"), key) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix("test.json: ") && text.contains(key), "\(key): \(text)")
            }
        }
        XCTAssertEqual(Set(wrong.keys).union(["tv_weight", "style_weight"]), Set(Preset.fields))
    }

    /// The optional weights (absent: the term's own default): a negative one is refused naming the field, a set one
    /// is written to the file and read back, and an unset one is left out of the file.
    func testOptionalWeightsAreReadCheckedAndWritten() throws {
        let fields: [(key: String, path: WritableKeyPath<Preset, Double?>)] = [("temporal_weight", \.temporalWeight), ("color_weight", \.colorWeight)]
        for (key, path) in fields {
            var preset = Preset.builtIn
            preset[keyPath: path] = -1
            XCTAssertTrue(preset.rangeProblems { $0 }.contains { $0.hasPrefix("\(key) must not be negative") }, key)
            preset[keyPath: path] = 25
            XCTAssertEqual(preset.fileFields[key] as? Double, 25, key)
            XCTAssertEqual(try Preset.builtIn.applying([key: 3], source: "test")[keyPath: path], 3, key)
            XCTAssertNil(Preset.builtIn.fileFields[key], "\(key): absent unless set, so the default applies")
        }
    }
}
