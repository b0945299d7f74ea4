import Foundation
import XCTest
import Imaging
import NeuralCore
@testable import Visualization

/// Renders one of each picture from realistic fake data; with `VIZ_SAMPLE_DIR` set, also writes them there as
/// binary PPM files to look at (nothing is written by default).
final class SampleImagesTests: XCTestCase {
    func save(_ image: RGBImage, _ name: String) throws {
        guard let dir = ProcessInfo.processInfo.environment["VIZ_SAMPLE_DIR"] else { return }
        var bytes = Array("P6\n\(image.width) \(image.height)\n255\n".utf8)
        bytes += image.pixels
        try Data(bytes).write(to: URL(fileURLWithPath: dir).appendingPathComponent(name + ".ppm"))
    }

    func testRenderSamples() throws {
        var rng = SplitMix64(seed: 7)
        // Fake block1_conv1 activations (32, 40, 64): smooth patterns of different orientation per channel.
        var t = Tensor(height: 32, width: 40, channels: 64)
        for c in 0..<64 {
            let a = Double(rng.next() % 1000) / 1000 * 6.28, f = 0.1 + Double(rng.next() % 100) / 300
            for y in 0..<32 {
                for x in 0..<40 { t[y, x, c] = Float(max(0, sin(f * (cos(a) * Double(x) + sin(a) * Double(y))))) }
            }
        }
        let grid = try FeatureMapGrid.render(tensor: t, count: 40, columns: 8, tileSize: 80, labels: true,
                                             title: "block1_conv1: channels 0-39")
        XCTAssertEqual(grid.width, 4 + 8 * 84)
        try save(grid, "features")

        // Its Gram matrix (64 x 64), G = F^T F / (C H W) as in the style loss.
        let n = 64, hw = 32 * 40
        var g = [Float](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var s: Float = 0
                for p in 0..<hw { s += t.data[p * n + i] * t.data[p * n + j] }
                g[i * n + j] = s / Float(hw)
            }
        }
        let heat = try Heatmap.render(matrix: g, n: n, title: Heatmap.title(layer: "block1_conv1", n: n))
        try save(heat, "heatmap")
        let logHeat = try Heatmap.render(matrix: g, n: n, title: "log scale", colormap: .magma, scale: .log)
        try save(logHeat, "heatmap_log")
        let order = ChannelOrder.cluster(matrix: g, n: n)
        let g2 = g.map { $0 * 1.2 + 0.02 }
        let cmp = try Heatmap.compare(ChannelOrder.apply(order, to: g), ChannelOrder.apply(order, to: g2), n: n,
                                      names: ("style", "result"), title: "block1_conv1 — Gram 64×64, clustered")
        try save(cmp, "compare")

        let iters = 0..<120
        let plot = try LinePlot.render(series: [("content", iters.map { 5e3 * exp(-Double($0) / 30) + 200 }),
                                                ("style", iters.map { 2e5 * exp(-Double($0) / 12) + 50 }),
                                                ("tv", iters.map { 10 + Double($0) * 0.5 }),
                                                ("total", iters.map { 2e5 * exp(-Double($0) / 12) + 5e3 * exp(-Double($0) / 30) + 260 })],
                                       title: "Loss", xLabel: "iteration", yLabel: "loss", logY: true)
        try save(plot, "lossplot")
        let linear = try LinePlot.render(series: [("a", [3, 1, 4, 1, 5, 9, 2, 6])], title: "Linear", xLabel: "x",
                                         yLabel: "value")
        try save(linear, "linear")
    }
}
