import Foundation
import NeuralCore
@testable import WeightFiles
import XCTest

/// `HDF5File` against files written by h5py (Fixtures/make_keras_reference.py) and the bundled Keras 3 file;
/// the expected values are what h5py reads from the same files (HDF5ReaderTests compares whole files with libhdf5).
final class WeightsHDF5Tests: XCTestCase {
    func testFixedLengthStringAttributes() throws {
        // h5py: f.attrs['layer_names'] is an array of fixed-length byte strings (|S12)
        let file = try HDF5File(path: WeightsTestSupport.fixture("legacy_vgg16_pattern_oldnames.h5"))
        let layers = try XCTUnwrap(file.stringAttribute("layer_names"))
        XCTAssertEqual(layers.first, "input_1")
        XCTAssertEqual(layers.count, 1 + 13 + 5)
        XCTAssertEqual(layers[1...3], ["block1_conv1", "block1_conv2", "block1_pool"])
        XCTAssertEqual(try file.stringAttribute("weight_names", of: "/block3_conv2"),
                       ["block3_conv2_W_1:0", "block3_conv2_b_1:0"])
        XCTAssertEqual(try file.stringAttribute("weight_names", of: "/block1_pool"), [])
        XCTAssertEqual(try file.stringAttribute("backend"), ["tensorflow"])  // a scalar string
        XCTAssertNil(try file.stringAttribute("no_such_attribute"))
    }

    func testVariableLengthStringAttributes() throws {
        let file = try HDF5File(path: WeightsTestSupport.fixture("legacy_vgg16_pattern_model.h5"))
        XCTAssertNil(try file.stringAttribute("layer_names"))
        let layers = try XCTUnwrap(file.stringAttribute("layer_names", of: "/model_weights"))
        XCTAssertEqual(layers.suffix(2), ["block5_conv3", "block5_pool"])
    }

    func testKindsChildrenShapesAndValues() throws {
        let path = try WeightsTestSupport.requireHed()
        let file = try HDF5File(path: path)
        XCTAssertEqual(try file.children(of: "/"), ["block1", "block2", "block3", "block4", "block5",
                                                    "dsn1", "dsn2", "dsn3", "dsn4", "dsn5", "fuse", "vars"])
        XCTAssertEqual(try file.kind(of: "/block1"), .group)
        XCTAssertEqual(try file.kind(of: "/block1/layers/conv2d/vars/0"), .dataset)
        XCTAssertEqual(try file.kind(of: "/block9/layers/conv2d/vars/0"), .absent)  // missing intermediate group
        XCTAssertEqual(try file.kind(of: "/block1/layers/conv2d/vars/7"), .absent)
        XCTAssertEqual(try file.stringAttribute("name", of: "/block1/layers/conv2d_1/vars"), ["block1_conv2"])
        XCTAssertEqual(try file.shape(of: "/block3/layers/conv2d_2/vars/0"), [3, 3, 256, 256])
        // h5py: f['block1/layers/conv2d/vars/0'][0,0,0,:3] and f['block1/layers/conv2d/vars/1'][:3]
        let kernel = try file.readFloats("/block1/layers/conv2d/vars/0")
        XCTAssertEqual(kernel.count, 3 * 3 * 3 * 64)
        XCTAssertEqual(Array(kernel[0..<3]), [0.38976404070854187, 0.05395623296499252, 0.032314151525497437])
        let bias = try file.readFloats("/block1/layers/conv2d/vars/1")
        XCTAssertEqual(Array(bias[0..<3]), [0.6998733878135681, 0.10584505647420883, 0.05528749153017998])
    }

    func testErrorsNameTheFileAndTheObject() throws {
        let file = try HDF5File(path: WeightsTestSupport.fixture("legacy_vgg16_pattern_oldnames.h5"))
        XCTAssertThrowsError(try file.shape(of: "/block1_conv1/nothing")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasSuffix("legacy_vgg16_pattern_oldnames.h5: /block1_conv1/nothing: no such object"), text)
        }
        XCTAssertThrowsError(try file.readFloats("/block1_conv1")) { error in
            XCTAssertTrue("\(error)".hasSuffix("legacy_vgg16_pattern_oldnames.h5: /block1_conv1: is not a dataset"), "\(error)")
        }
        XCTAssertThrowsError(try HDF5File(path: WeightsTestSupport.fixture("make_keras_reference.py"))) { error in
            XCTAssertTrue("\(error)".hasSuffix("make_keras_reference.py: not an HDF5 file"), "\(error)")
        }
    }
}
