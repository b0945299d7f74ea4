import Imaging
import NeuralCore
@testable import StyleTransfer
import XCTest

/// Scale control (RunPlan+StyleLayerGroups.swift): each style image's Gram targets only at the layers it claims,
/// against the Gram matrices of that style alone (the reference: `StyleObjective.gramMatrices` of the one image);
/// the objective's gradient with groups against central finite differences; the plan's refusals.
final class StyleLayerGroupTests: XCTestCase {
    let network = VGGNetwork(weights: .random(architecture: .vgg16, seed: 11))
    let styles = [StyleObjectiveTests.smoothImage(20, 16, seed: 2), StyleObjectiveTests.smoothImage(16, 16, seed: 3)]

    func objective(_ groups: [[String]?]?, blend: [Double] = [0.7, 0.3]) -> StyleObjective {
        StyleObjective(network: network, preset: StyleObjectiveTests.gradientCheckPreset(.relative),
                       content: StyleObjectiveTests.smoothImage(16, 16, seed: 1), styles: styles, blend: blend, layerGroups: groups)
    }

    /// The largest difference between two matrices, relative to the largest entry of `b`.
    func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max()! / b.map(abs).max()!
    }

    /// The fine layer from the first style, the coarser from the second: each target is that style's Gram matrix
    /// (relative 1e-6: its share times the matrix, divided by the share, two float roundings), far from the other
    /// style's. A style without a group shares a layer with one that claims it, in their blend normalised over the
    /// two.
    func testEachLayersTargetComesOnlyFromItsStyles() {
        let layers = ["block1_conv1", "block2_conv1"]
        let alone = styles.map { StyleObjective.gramMatrices(network: network, image: $0, layers: layers, tileCore: nil) }
        let split = objective([["block1_conv1"], ["block2_conv1"]])
        XCTAssertLessThan(relativeDifference(split.styleTargets["block1_conv1"]!, alone[0]["block1_conv1"]!), 1e-6)
        XCTAssertLessThan(relativeDifference(split.styleTargets["block2_conv1"]!, alone[1]["block2_conv1"]!), 1e-6)
        XCTAssertGreaterThan(relativeDifference(alone[0]["block2_conv1"]!, alone[1]["block2_conv1"]!), 1e-2,
                             "the styles differ, so the test can tell")
        XCTAssertGreaterThan(relativeDifference(alone[0]["block1_conv1"]!, alone[1]["block1_conv1"]!), 1e-2)
        let shared = objective([nil, ["block2_conv1"]])
        XCTAssertLessThan(relativeDifference(shared.styleTargets["block1_conv1"]!, alone[0]["block1_conv1"]!), 1e-6,
                          "only the first style claims block1")
        let expected = zip(alone[0]["block2_conv1"]!, alone[1]["block2_conv1"]!).map { 0.7 * $0 + 0.3 * $1 }
        let worst = relativeDifference(shared.styleTargets["block2_conv1"]!, expected)
        XCTAssertLessThan(worst, 1e-5, "block2: the 0.7/0.3 blend of both; worst \(worst)")
    }

    /// The objective with groups against central finite differences (directional, as StyleObjectiveTests), 1e-2.
    func testGradientWithGroupsMatchesFiniteDifferences() {
        let o = objective([["block1_conv1"], ["block2_conv1"]])
        let x = StyleObjectiveTests.smoothImage(16, 16, seed: 4).data
        var grad = [Float](repeating: 0, count: x.count), scratch = grad
        let f0 = x.withUnsafeBufferPointer { xb in grad.withUnsafeMutableBufferPointer { o.evaluate(xb, gradient: $0) } }
        XCTAssertTrue(f0.isFinite && o.lastTerms.style > 0)
        let worst = GradientCheck.worstDirectionalError(x: x, gradient: grad) { xs in
            xs.withUnsafeBufferPointer { xb in scratch.withUnsafeMutableBufferPointer { o.evaluate(xb, gradient: $0) } }
        }
        XCTAssertLessThan(worst, 1e-2, "worst relative error of a directional derivative \(worst)")
    }

    /// One line per problem, naming the option and the style.
    func testPlanRefusesBadGroups() {
        let layers = ["block1_conv1", "block2_conv1", "block3_conv1"]
        func problems(_ groups: [StyleLayerGroup], regions: Bool = false) -> [String] {
            RunPlan.resolveStyleLayerGroups(groups, styles: ["a.jpg", "b.jpg"], styleLayers: layers, architecture: .vgg16, hasRegions: regions).1
        }
        XCTAssertEqual(problems([.init(style: "a.jpg", layers: ["relu1_1"]), .init(style: "b.jpg", layers: ["relu2_1", "relu3_1"])]), [])
        XCTAssertEqual(problems([.init(style: "a.jpg", layers: ["relu1_1"])]), [], "b.jpg takes every layer")
        let (groups, _) = RunPlan.resolveStyleLayerGroups([.init(style: "b.jpg", layers: ["relu3_1"])], styles: ["a.jpg", "b.jpg"],
                                                          styleLayers: layers, architecture: .vgg16, hasRegions: false)
        XCTAssertEqual(groups, [nil, ["block3_conv1"]])
        let cases: [([StyleLayerGroup], String)] = [
            ([.init(style: "c.jpg", layers: ["relu1_1"])], "--style-layers-of c.jpg: c.jpg is not one of the --style images (a.jpg, b.jpg)"),
            ([.init(style: "a.jpg", layers: ["relu9_1"])], "--style-layers-of a.jpg: vgg16 has no layer relu9_1"),
            ([.init(style: "a.jpg", layers: ["relu4_1"])], "--style-layers-of a.jpg: relu4_1 is not a style layer of this run"),
            ([.init(style: "a.jpg", layers: ["relu1_1"]), .init(style: "a.jpg", layers: ["relu2_1"])], "--style-layers-of a.jpg: given twice"),
            ([.init(style: "a.jpg", layers: ["relu1_1"]), .init(style: "b.jpg", layers: ["relu2_1"])], "style layer block3_conv1 is claimed by no style"),
        ]
        for (groups, expected) in cases {
            let p = problems(groups)
            XCTAssertEqual(p.count, 1, "\(groups): \(p)")
            XCTAssertTrue(p.first?.hasPrefix(expected) ?? false, "\(groups): \(p)")
        }
        XCTAssertTrue(problems([.init(style: "a.jpg", layers: ["relu1_1"])], regions: true).first?.contains("--content-mask") ?? false)
        XCTAssertNil(StyleLayerGroup(parsing: "a.jpg="))
        XCTAssertNil(StyleLayerGroup(parsing: "relu1_1"))
        XCTAssertEqual(StyleLayerGroup(parsing: "x=y.jpg=relu1_1, relu2_1"), StyleLayerGroup(style: "x=y.jpg", layers: ["relu1_1", "relu2_1"]))
    }
}
