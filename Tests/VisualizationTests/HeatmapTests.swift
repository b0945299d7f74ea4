import XCTest
import Imaging
@testable import Visualization

final class HeatmapTests: XCTestCase {
    /// A symmetric 16 x 16 Gram-like matrix with two blocks of channels, interleaved (even / odd indices).
    func blockMatrix(n: Int = 16) -> [Float] {
        var m = [Float](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n { m[i * n + j] = (i % 2 == j % 2 ? 4 : 0.5) + (i == j ? 2 : 0) + Float(i + j) * 0.01 }
        }
        return m
    }

    func testHeatmapHasAColorbarBesideTheMatrix() throws {
        let image = try Heatmap.render(matrix: blockMatrix(), n: 16, title: Heatmap.title(layer: "block1_conv1", n: 16),
                                       colormap: .magma, displaySize: 128)
        XCTAssertEqual(Heatmap.displaySide(n: 16, target: 128), 128)
        XCTAssertGreaterThan(image.width, 128 + 2 * 10 + 16, "no room for a colorbar")
        // The colorbar column (right of the matrix) shows the colormap's top colour near its top.
        let top = Colormap.magma.color(at: 1)
        var found = false
        for y in 0..<image.height {
            for x in (128 + 10)..<image.width {
                let i = (y * image.width + x) * 3
                if image.pixels[i] == top.0 && image.pixels[i + 1] == top.1 && image.pixels[i + 2] == top.2 { found = true }
            }
        }
        XCTAssertTrue(found, "colorbar's maximum colour not found right of the matrix")
        XCTAssertEqual(Heatmap.title(layer: "block1_conv1", n: 64), "block1_conv1 — Gram 64×64")
    }

    func testCompareIsWiderThanTwoPanels() throws {
        let a = blockMatrix()
        let b = a.map { $0 * 1.5 }
        let image = try Heatmap.compare(a, b, n: 16, names: ("style", "result"), title: "block1_conv1",
                                        displaySize: 64)
        XCTAssertGreaterThan(image.width, 3 * 64)
    }

    func testClusterGroupsInterleavedBlocks() {
        let n = 16
        let order = ChannelOrder.cluster(matrix: blockMatrix(n: n), n: n)
        XCTAssertEqual(order.sorted(), Array(0..<n), "not a permutation")
        // Starts at the largest diagonal (the last channel, 15) and visits its whole block first.
        XCTAssertEqual(order[0], 15)
        XCTAssertTrue(order.prefix(8).allSatisfy { $0 % 2 == 1 }, "\(order)")
        XCTAssertTrue(order.suffix(8).allSatisfy { $0 % 2 == 0 }, "\(order)")
        XCTAssertEqual(ChannelOrder.cluster(matrix: blockMatrix(n: n), n: n), order, "not deterministic")
    }

    func testApplyPermutesRowsAndColumns() {
        let m: [Float] = [0, 1, 2,
                          3, 4, 5,
                          6, 7, 8]
        XCTAssertEqual(ChannelOrder.apply([2, 0, 1], to: m), [8, 6, 7,
                                                             2, 0, 1,
                                                             5, 3, 4])
        XCTAssertEqual(ChannelOrder.apply([0, 1, 2], to: m), m)
    }
}
