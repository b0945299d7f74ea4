import Imaging
import NeuralCore
@testable import StyleTransfer
import XCTest

/// Print sizes in `RunPlan`: the schedule `Preset.resized(to:)` adds above 1024 px, and where `--tile` puts tiles.
/// The references are the rules as documented (budgets halved per doubling, `RunPlan.autoTileBytes`), worked out
/// by hand here.
final class PrintSizePlanTests: XCTestCase {
    /// A 3:2 photo like the sample `building.jpg` (only the sizes are read).
    let inputs = RunInputs(content: RGBImage(width: 1200, height: 830), styles: [RGBImage(width: 750, height: 600)])

    /// The shipped default preset's schedule (Presets/default.json): 256 → 512 px with 150 and 80 evaluations.
    static var defaultPreset: Preset {
        var p = Preset.builtIn
        p.scales = [256, 512]
        p.scaleIterations = [150, 80]
        p.iterations = 80
        return p
    }

    func plan(size: Int, tiling: RunPlan.Tiling = .auto, preset: Preset = PrintSizePlanTests.defaultPreset) throws -> RunPlan {
        var r = RunRequest(preset: preset, content: "c.png", styles: ["s.png"], outputs: RunOutputs(image: "o.png"))
        r.size = size
        r.tiling = tiling
        return try RunPlan(request: r, inputs: inputs, architecture: .vgg16)
    }

    /// The built-in preset's 256 → 512 (150, 80) doubles on with half the budget each time; up to 1024 the schedule
    /// is scaled as before.
    func testPrintSizesDoubleWithHalfTheBudget() throws {
        let p2048 = try plan(size: 2048)
        XCTAssertEqual(p2048.scales.map(\.longestEdge), [256, 512, 1024, 2048])
        XCTAssertEqual(p2048.scales.map(\.evaluations), [150, 80, 40, 20])
        let p4096 = try plan(size: 4096)
        XCTAssertEqual(p4096.scales.map(\.longestEdge), [256, 512, 1024, 2048, 4096])
        XCTAssertEqual(p4096.scales.map(\.evaluations), [150, 80, 40, 20, 10])
        // 3000: 2048 is at most 3/4 of it, so it is a step; 1400: 1024 is not (1024 > 1050 is false... 1024 ≤ 1050),
        // so 1024 is a step too.
        XCTAssertEqual(try plan(size: 3000).scales.map(\.longestEdge), [256, 512, 1024, 2048, 3000])
        XCTAssertEqual(try plan(size: 1400).scales.map(\.longestEdge), [256, 512, 1024, 1400])
        XCTAssertEqual(try plan(size: 1300).scales.map(\.longestEdge), [256, 512, 1300])
        XCTAssertEqual(try plan(size: 1024).scales.map(\.longestEdge), [512, 1024])
        // A single-scale preset starts its schedule at its own size.
        var single = PrintSizePlanTests.defaultPreset
        single.scales = []
        single.scaleIterations = []
        single.iterations = 60
        let p = try plan(size: 2048, preset: single)
        XCTAssertEqual(p.scales.map(\.longestEdge), [512, 1024, 2048])
        XCTAssertEqual(p.scales.map(\.evaluations), [60, 30, 15])
    }

    /// auto: whole images while one scale's network and optimizer fit 4.5 GiB, tiles at 4096 px; off and a
    /// number override it; the memory estimate follows the tile, not the image.
    func testTilesWhereTheWholeImageWouldNotFit() throws {
        let p2048 = try plan(size: 2048)
        XCTAssertEqual(p2048.scales.map(\.tile), [nil, nil, nil, nil])
        let p4096 = try plan(size: 4096)
        XCTAssertEqual(p4096.scales.dropLast().map(\.tile), [nil, nil, nil, nil])
        let core = try XCTUnwrap(p4096.scales.last!.tile)
        XCTAssertEqual(core % 16, 0)
        let whole = try plan(size: 4096, tiling: .off)
        XCTAssertTrue(whole.scales.allSatisfy { $0.tile == nil })
        let tiledBytes = p4096.memoryEstimate(architecture: .vgg16).bytes
        let wholeBytes = whole.memoryEstimate(architecture: .vgg16).bytes
        XCTAssertLessThan(tiledBytes, 6_000_000_000, "the issue's 6 GB at 4096 px")
        XCTAssertGreaterThan(wholeBytes, 2 * tiledBytes / 1, "whole: \(wholeBytes), tiled: \(tiledBytes)")
        // The tile's network stays within the budget left by the optimizer.
        let scale = p4096.scales.last!
        let region = p4096.regionSize(scale.output, tile: core, architecture: .vgg16)
        XCTAssertLessThanOrEqual(p4096.networkBytes(region, architecture: .vgg16), RunPlan.autoTileBytes - p4096.optimizerBytes(scale))
        // A number: tiles at every scale larger than it.
        let fixed = try plan(size: 2048, tiling: .core(600))
        XCTAssertEqual(fixed.scales.map(\.tile), [nil, nil, 600, 600])
        let described = fixed.settings.first { $0.key == "tiles" }?.value ?? ""
        XCTAssertTrue(described.contains("\(fixed.outputSize) in 12 tiles of 592 px + 80 px halo"), described)   // 600 rounded down to 16; 4 x 3 cores
        XCTAssertThrowsError(try plan(size: 2048, tiling: .core(8)))
    }

    /// A plan with tiles survives a checkpoint's JSON, and one without the field (an older checkpoint) reads as whole.
    func testTilesRoundTripThroughJSON() throws {
        let p = try plan(size: 4096)
        let decoded = try JSONDecoder().decode(RunPlan.self, from: JSONEncoder().encode(p))
        XCTAssertEqual(decoded, p)
        var json = String(decoding: try JSONEncoder().encode(try plan(size: 1024)), as: UTF8.self)
        XCTAssertFalse(json.contains("\"tile\""))
        json = json.replacingOccurrences(of: "\"evaluations\"", with: "\"evaluations\"")
        XCTAssertEqual(try JSONDecoder().decode(RunPlan.self, from: Data(json.utf8)).scales.map(\.tile), [nil, nil])
        XCTAssertEqual(try plan(size: 1024).scales.count, 2)
    }
}
