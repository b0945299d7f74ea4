import Imaging
import NeuralCore
@testable import StyleTransfer
import XCTest

/// `RunPlan`: what a request resolves to, and one line per problem naming where the value came from.
final class RunPlanTests: XCTestCase {
    let inputs = RunInputs(content: RGBImage(width: 300, height: 200), styles: [RGBImage(width: 100, height: 100)])

    func request(_ edit: (inout RunRequest) -> Void = { _ in }) -> RunRequest {
        var r = RunRequest(preset: .builtIn, content: "c.png", styles: ["s.png"], outputs: RunOutputs(image: "o.png"))
        edit(&r)
        return r
    }

    func problems(_ edit: (inout RunRequest) -> Void, architecture: VGGArchitecture = .vgg16, inputs: RunInputs? = nil) -> [String] {
        do {
            _ = try RunPlan(request: request(edit), inputs: inputs ?? self.inputs, architecture: architecture)
            return []
        } catch { return error.problems }
    }

    func testSizesScalesAndStyleSizes() throws {
        var preset = Preset.builtIn
        preset.scales = [128, 256, 512]
        let plan = try RunPlan(request: request { $0.preset = preset; $0.size = 300; $0.styleScale = 0.5 }, inputs: inputs,
                               architecture: .vgg16)
        // --size scales the preset's schedule by 300/512 (Preset.resized); 300x200 fitted to each edge.
        XCTAssertEqual(plan.scales.map(\.longestEdge), [75, 150, 300])
        XCTAssertEqual(plan.scales.map(\.output), [.init(width: 75, height: 50), .init(width: 150, height: 100), .init(width: 300, height: 200)])
        XCTAssertEqual(plan.scales.last!.styles, [.init(width: 150, height: 150)])
        XCTAssertEqual(plan.blend, [1])
        XCTAssertEqual(plan.preset.size, 300)
    }

    func testEveryProblemIsReportedWithItsSource() {
        let found = problems {
            $0.size = 10
            $0.history = 0
            $0.contentWeight = -1
            $0.blend = [1, 2]
            $0.styleLayers = [.init(layer: "block9_conv1", weight: 1)]
        }
        XCTAssertEqual(found.count, 5, "\(found)")
        for expected in ["--size must be in 32...4096, not 10", "--history must be in 1...1000, not 0",
                         "--content-weight must not be negative", "--style-blend needs 1 weight", "--style-layer block9_conv1"] {
            XCTAssertTrue(found.contains { $0.contains(expected) }, "\(expected) in \(found)")
        }
        XCTAssertTrue(found.allSatisfy { !$0.contains("\n") })
    }

    func testPresetValuesAreNamedAsThePresetsFields() {
        var preset = Preset.builtIn
        preset.name = "mine"
        preset.contentLayer = "block5_conv4"   // VGG19 only
        let found = problems({ $0.preset = preset }, architecture: .vgg16)
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found[0].hasPrefix("content_layer of preset mine: vgg16 has no layer block5_conv4; its layers: block1_conv1,"), found[0])
        XCTAssertEqual(problems({ $0.preset = preset }, architecture: .vgg19), [])
    }

    func testSizeWithScalesAndVanishingLayersAreRefused() {
        XCTAssertTrue(problems { $0.size = 256; $0.scales = [128, 256] }.contains { $0.contains("--size or --scales, not both") })
        XCTAssertTrue(problems { $0.scales = [256, 128] }.contains { $0.contains("--scales must be increasing") })
        // 300x100 at 32: the short side 11 pools to 5, 2, 1 and 0, so block5's layers have no pixels; 300x200 keeps 1.
        let wide = RunInputs(content: RGBImage(width: 300, height: 100), styles: inputs.styles)
        let vanishing = problems({ $0.size = 32 }, inputs: wide)
        XCTAssertEqual(vanishing.count, 1, "\(vanishing)")
        XCTAssertTrue(vanishing[0].contains("content at 32x11 is too small: block5_conv1, block5_conv2"), vanishing[0])
        XCTAssertEqual(problems { $0.size = 32 }, [])
    }

    /// `--color-weight` only weighs `--color match`'s term: alone it is refused rather than ignored; a preset's
    /// `color_weight` is not (it waits for a `--color match`).
    func testColorWeightWithoutColorMatchIsRefused() {
        XCTAssertTrue(problems { $0.colorWeight = 5 }.contains { $0.contains("--color-weight weighs the colour term of --color match") })
        XCTAssertEqual(problems { $0.colorWeight = 5; $0.colorMatch = .pca }, [])
        var preset = Preset.builtIn
        preset.colorWeight = 5
        XCTAssertEqual(problems { $0.preset = preset }, [])
    }

    /// The plan survives the checkpoint's JSON header unchanged (the reference is the plan itself).
    func testPlanRoundTripsThroughJSON() throws {
        let plan = try RunPlan(request: request { $0.initialization = .image(path: "x.png"); $0.seed = 7 },
                               inputs: RunInputs(content: inputs.content, styles: inputs.styles, initialization: RGBImage(width: 5, height: 5)),
                               architecture: .vgg19)
        let decoded = try JSONDecoder().decode(RunPlan.self, from: try JSONEncoder().encode(plan))
        XCTAssertEqual(decoded, plan)
        XCTAssertEqual(decoded.initialization, .image(path: "x.png"))
    }

    /// New plans seed L-BFGS with the pyramid preconditioner at each scale's size, unless the request switches it off;
    /// a plan from a checkpoint written before the field existed decodes without it and runs as it did then.
    func testPreconditionerIsOnInNewPlansAndOffInOlderOnes() throws {
        let plan = try RunPlan(request: request(), inputs: inputs, architecture: .vgg16)
        XCTAssertEqual(plan.preconditioned, true)
        let last = plan.scales.count - 1
        XCTAssertEqual(plan.optimizerOptions(scale: last).preconditioner,
                       .standard(width: plan.scales[last].output.width, height: plan.scales[last].output.height))
        let off = try RunPlan(request: request { $0.preconditioned = false }, inputs: inputs, architecture: .vgg16)
        XCTAssertNil(off.optimizerOptions(scale: 0).preconditioner)
        var object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(plan)) as! [String: Any]
        XCTAssertNotNil(object.removeValue(forKey: "preconditioned"))
        let older = try JSONDecoder().decode(RunPlan.self, from: try JSONSerialization.data(withJSONObject: object))
        XCTAssertNil(older.preconditioned)
        XCTAssertNil(older.optimizerOptions(scale: 0).preconditioner)
    }

    /// Memory grows with the size and the history; checked against measured peaks in the README (Run plans).
    func testMemoryEstimateFollowsSizeAndHistory() throws {
        let small = try RunPlan(request: request { $0.size = 256 }, inputs: inputs, architecture: .vgg16)
        let large = try RunPlan(request: request { $0.size = 1024 }, inputs: inputs, architecture: .vgg16)
        let longer = try RunPlan(request: request { $0.size = 1024; $0.iterations = 1000; $0.history = 200 }, inputs: inputs,
                                 architecture: .vgg16)
        let (s, l, h) = (small.memoryEstimate(architecture: .vgg16).bytes, large.memoryEstimate(architecture: .vgg16).bytes,
                         longer.memoryEstimate(architecture: .vgg16).bytes)
        XCTAssertLessThan(s, l)
        // 100 more pairs of 1024x683x3 bfloat16 values (the default precision): 2 * 100 * 4.2 MB.
        XCTAssertEqual(Double(h - l), 2 * 100 * 1024 * 683 * 3 * 2, accuracy: 1)
    }

    /// `--fit` lowers every scale, tiled as the request asked: `--tile off` stays whole images at every size tried,
    /// and when even the smallest size does not fit, the last plan tried says so (its estimate above the bytes given).
    func testFitKeepsTheRequestedTilingAndReportsWhenNothingFits() throws {
        let wide = RunInputs(content: RGBImage(width: 4000, height: 3000), styles: [RGBImage(width: 500, height: 500)])
        for tiling in [RunPlan.Tiling.off, .auto] {
            let plan = try RunPlan(request: request { $0.size = 4096; $0.styleScale = 4; $0.tiling = tiling }, inputs: wide,
                                   architecture: .vgg16)
            let asked = plan.memoryEstimate(architecture: .vgg16).bytes
            let (fitted, memory) = plan.fitted(to: asked / 8, tiling: tiling, inputs: wide, architecture: .vgg16, convolution: .winograd)
            XCTAssertLessThanOrEqual(memory.bytes, asked / 8, "\(tiling)")
            XCTAssertLessThan(fitted.outputSize.width, plan.outputSize.width, "\(tiling)")
            if tiling == .off { XCTAssertTrue(fitted.scales.allSatisfy { $0.tile == nil }, "whole images: \(fitted.tileDescription)") }
            XCTAssertNoThrow(try fitted.check(architecture: .vgg16), "a fitted plan checks")
            let (smallest, none) = plan.fitted(to: 1, tiling: tiling, inputs: wide, architecture: .vgg16, convolution: .winograd)
            XCTAssertEqual(smallest.scales.last?.longestEdge, Preset.sizeRange.lowerBound)
            XCTAssertGreaterThan(none.bytes, 1)
        }
    }

    /// A plan read from a checkpoint must agree with the images it runs on: a transposed output, an added scale or
    /// another content size is refused, naming what differs.
    func testPlanMustMatchItsImages() throws {
        let plan = try RunPlan(request: request { $0.preset.scales = [64, 128] ; $0.preset.size = 128 }, inputs: inputs,
                               architecture: .vgg16)
        XCTAssertNoThrow(try plan.check(inputs: inputs))
        var transposed = plan
        transposed.scales[1].output = .init(width: 85, height: 128)
        var added = plan
        added.scales.append(.init(longestEdge: 256, output: .init(width: 256, height: 256), styles: [.init(width: 256, height: 256)], evaluations: 5))
        var other = plan
        other.contentSize = .init(width: 200, height: 300)
        for (label, bad, mention) in [("transposed", transposed, "scale 2 is 85x128"), ("added", added, "scale 3 is 256x256"),
                                      ("content", other, "the content is 300x200, the plan says 200x300")] {
            XCTAssertThrowsError(try bad.check(inputs: inputs), label) { error in
                XCTAssertTrue("\(error)".contains(mention), "\(label): \(error)")
            }
        }
        // Fields a checkpoint may carry out of range: tiles, intervals, a style blend.
        for (label, edit, mention) in [("tile 0", { (p: inout RunPlan) in p.scales[0].tile = 0 }, "tiles of 0 px"),
                                       ("tile Int.max", { $0.scales[1].tile = .max }, "tiles of 9223372036854775807 px"),
                                       ("checkpointEvery 0", { $0.outputs.checkpointEvery = 0 }, "checkpointEvery must be at least 1"),
                                       ("saveEvery -1", { $0.outputs.saveEvery = -1 }, "saveEvery must be at least 1"),
                                       ("blend NaN", { $0.blend = [.nan] }, "style blend"),
                                       ("scales not increasing", { $0.scales.swapAt(0, 1) }, "the scales")] {
            var bad = plan
            edit(&bad)
            XCTAssertThrowsError(try bad.check(architecture: .vgg16), label) { error in
                XCTAssertTrue("\(error)".contains(mention), "\(label): \(error)")
            }
        }
    }
}
