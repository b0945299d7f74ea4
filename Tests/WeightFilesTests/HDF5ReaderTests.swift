import Foundation
import NeuralCore
@testable import WeightFiles
import XCTest

/// The Swift `HDF5File` held to libhdf5 1.10 (`LibHDF5File`, the independent reference): for every group reached
/// from the root, the same children, kinds and string attributes; for every dataset the same shape and bit-identical
/// float32 values. Files: the bundled Keras 3 weights, the h5py-written Keras fixtures, and the variants of
/// Fixtures/make_hdf5_variants.py (old and new group styles, chunked, deflate, shuffle, Fletcher-32, big-endian,
/// float64, compact, fixed- and variable-length strings).
final class HDF5ReaderTests: XCTestCase {
    typealias S = WeightsTestSupport
    static let attributes = ["layer_names", "weight_names", "name", "backend", "vlen_names", "empty", "keras_version"]

    /// What a walk compared.
    struct Compared { var groups = 0, datasets = 0, values = 0 }

    /// Walks `path` with both readers and asserts that they agree on everything.
    @discardableResult
    func assertMatchesLibHDF5(_ path: String, line: UInt = #line) throws -> Compared {
        let mine = try HDF5File(path: path)
        let reference = try LibHDF5File(path: path)
        var compared = Compared()
        var stack = ["/"]
        var seen: Set<UInt64> = [try mine.address(of: "/")]
        while let group = stack.popLast() {
            compared.groups += 1
            let names = try mine.children(of: group)
            XCTAssertEqual(names, try reference.children(of: group), "\(path): children of \(group)", line: line)
            for attribute in Self.attributes {
                XCTAssertEqual(try mine.stringAttribute(attribute, of: group), try reference.stringAttribute(attribute, of: group),
                               "\(path): \(group) attribute \(attribute)", line: line)
            }
            for name in names {
                let child = group == "/" ? "/\(name)" : "\(group)/\(name)"
                let kind = try mine.kind(of: child)
                XCTAssertEqual("\(kind)", "\(try reference.kind(of: child))", "\(path): kind of \(child)", line: line)
                if kind == .group {
                    if seen.insert(try mine.address(of: child)).inserted { stack.append(child) }
                } else if kind == .dataset {
                    compared.datasets += 1
                    let shape = try mine.shape(of: child)
                    XCTAssertEqual(shape, try reference.shape(of: child), "\(path): shape of \(child)", line: line)
                    let values = try mine.readFloats(child), expected = try reference.readFloats(child)
                    XCTAssertEqual(values.count, expected.count, "\(path): \(child)", line: line)
                    let differing = zip(values, expected).filter { $0.bitPattern != $1.bitPattern }.count
                    let worst = zip(values, expected).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertEqual(differing, 0, "\(path): \(child): \(differing) values differ, worst by \(worst)", line: line)
                    compared.values += values.count
                }
            }
        }
        return compared
    }

    func testVariantsWithOldStyleGroups() throws {
        // libver earliest: superblock 0, object header 1, symbol tables, layout 3 (v1 B-tree chunk index).
        let c = try assertMatchesLibHDF5(S.fixture("hdf5_variants_earliest.h5"))
        XCTAssertEqual([c.groups, c.datasets], [1 + 5 + 12, 12 + 1])
    }

    func testVariantsWithNewStyleGroups() throws {
        // libver latest: superblock 3, object header 2, link messages, 12 links in a fractal heap, layout 4.
        let path = S.fixture("hdf5_variants_latest.h5")
        let c = try assertMatchesLibHDF5(path)
        XCTAssertEqual([c.groups, c.datasets], [1 + 5 + 12, 12 + 1])
        let file = try HDF5File(path: path)
        XCTAssertEqual(try file.children(of: "/many").count, 12)
        // h5py: f.attrs['vlen_names'], f['many/child_07'].attrs['name'], f['data/big_endian_f8'][:]
        XCTAssertEqual(try file.stringAttribute("vlen_names"), ["alpha", "beta", "gamma_delta"])
        XCTAssertEqual(try file.stringAttribute("name", of: "/many/child_07"), ["child number 7"])
        XCTAssertEqual(try file.readFloats("/data/big_endian_f8"), [0.0078125, 0.03515625, 0.0625, 0.08984375])
    }

    func testBundledKeras3WeightsMatchLibHDF5() throws {
        let c = try assertMatchesLibHDF5(try S.requireHed())
        XCTAssertEqual(c.datasets, 38)                    // h5py's visititems counts 38 datasets
        XCTAssertGreaterThan(c.values, 14_000_000)
    }

    func testKerasFixturesMatchLibHDF5() throws {
        for name in ["legacy_vgg19_pattern_kernels.h5", "legacy_vgg16_pattern_oldnames.h5", "legacy_vgg16_pattern_model.h5",
                     "legacy_vgg16_missing_block5_conv3.h5", "hdf5_keras2_latest.h5"] {
            try assertMatchesLibHDF5(S.fixture(name))
        }
    }

    /// A Keras 2 layout written with libver latest (new-style groups, layout 4 fixed-array chunk index, deflate)
    /// loads through the weight loader; the values are the pattern make_hdf5_variants.py stores.
    func testKeras2LayoutWithLatestFormatLoads() throws {
        let path = S.fixture("hdf5_keras2_latest.h5")
        let weights = try WeightsLoader.load(path: path)
        XCTAssertEqual(weights.source, "\(path) (Keras HDF5, VGG16)")
        for (l, conv) in weights.convolutions.enumerated() {
            let worst = conv.kernel.enumerated().map { abs($0.element - S.legacyKernel(l, $0.offset)) }.max() ?? 0
            XCTAssertEqual(worst, 0, "\(conv.name): worst difference \(worst)")
            XCTAssertEqual(conv.bias.first, S.legacyKernel(l + 100, 0), conv.name)
        }
    }
}
