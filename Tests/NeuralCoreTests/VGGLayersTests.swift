import XCTest
@testable import NeuralCore

/// Layer names, shapes and parameter counts against Keras' `model.summary()` totals for
/// `VGG16/VGG19(include_top=...)` (Keras applications documentation and summaries:
/// VGG16 138,357,544 / 14,714,688; VGG19 143,667,240 / 20,024,384).
final class VGGLayersTests: XCTestCase {
    /// Reference: the Caffe VGG prototxt names (`conv4_2`, `relu4_2`, `pool3`) against Keras' (`block4_conv2`, `block3_pool`).
    func testClassicNamesMapToKerasNames() {
        XCTAssertEqual(VGGArchitecture.kerasName("relu4_2"), "block4_conv2")
        XCTAssertEqual(VGGArchitecture.kerasName("conv1_1"), "block1_conv1")
        XCTAssertEqual(VGGArchitecture.kerasName("pool3"), "block3_pool")
        XCTAssertEqual(VGGArchitecture.kerasName("block5_conv1"), "block5_conv1")
        XCTAssertEqual(VGGArchitecture.kerasName("relu4"), "relu4", "not an alias: left for the caller's check")
        XCTAssertEqual(VGGArchitecture.kerasName("relu٤_2"), "relu٤_2", "only ASCII digits")
        XCTAssertEqual(VGGArchitecture.vgg16.lossLayerNames.count, 18)
    }

    func testParameterTotalsMatchKeras() {
        let cases: [(VGGArchitecture, Bool, Int, Int)] = [
            (.vgg19, false, 20_024_384, 22), (.vgg19, true, 143_667_240, 26),
            (.vgg16, false, 14_714_688, 19), (.vgg16, true, 138_357_544, 23),
        ]
        for (arch, top, params, layers) in cases {
            let summary = arch.layerSummary(includeTop: top, inputSize: nil)
            XCTAssertEqual(summary.reduce(0) { $0 + $1.params }, params, "\(arch.name) top=\(top) parameters")
            XCTAssertEqual(summary.count, layers, "\(arch.name) top=\(top) layer count")
            XCTAssertEqual(summary.map(\.name), arch.layerNames(includeTop: top))
        }
    }

    func testNamesAndShapes() {
        let names = VGGArchitecture.vgg19.layerNames(includeTop: true)
        XCTAssertEqual(Array(names.prefix(4)), ["input_1", "block1_conv1", "block1_conv2", "block1_pool"])
        XCTAssertEqual(Array(names.suffix(5)), ["block5_pool", "flatten", "fc1", "fc2", "predictions"])
        let free = VGGArchitecture.vgg19.layerSummary(includeTop: false, inputSize: nil)
        XCTAssertEqual(free[1].shape, [nil, nil, nil, 64])
        XCTAssertEqual(free[1].shapeDescription, "(None, None, None, 64)")
        XCTAssertEqual(free[1].params, 9 * 3 * 64 + 64)
        let top = VGGArchitecture.vgg19.layerSummary(includeTop: true, inputSize: nil)
        XCTAssertEqual(top[1].shape, [nil, 224, 224, 64])
        XCTAssertEqual(top.first { $0.name == "block5_pool" }?.shape, [nil, 7, 7, 512])
        XCTAssertEqual(top.first { $0.name == "flatten" }?.shape, [nil, 25088])
        XCTAssertEqual(top.first { $0.name == "fc1" }?.params, 25088 * 4096 + 4096)
        let odd = VGGArchitecture.vgg16.layerSummary(includeTop: false, inputSize: (101, 75))
        XCTAssertEqual(odd.first { $0.name == "block1_pool" }?.shape, [nil, 50, 37, 64])
        XCTAssertEqual(odd.first { $0.name == "block5_pool" }?.shape, [nil, 3, 2, 512])
    }

    func testValidateRejectsUnknownAndTopLayers() {
        XCTAssertNoThrow(try VGGArchitecture.vgg19.validate(layers: ["input_1", "block5_conv4", "block3_pool"]))
        XCTAssertThrowsError(try VGGArchitecture.vgg16.validate(layers: ["block5_conv4"])) { error in
            XCTAssertEqual((error as? VGGLayerError)?.layer, "block5_conv4")
            XCTAssertFalse("\(error)".contains("\n"), "one-line message: \(error)")
        }
        XCTAssertThrowsError(try VGGArchitecture.vgg19.validate(layers: ["fc1"])) { error in
            XCTAssertTrue("\(error)".contains("not computed"), "\(error)")
        }
        XCTAssertTrue(VGGArchitecture.vgg19.isLayerName("block4_conv4"))
        XCTAssertFalse(VGGArchitecture.vgg16.isLayerName("block4_conv4"))
    }
}
