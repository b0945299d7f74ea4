import XCTest
import Imaging
@testable import Visualization

final class LinePlotTests: XCTestCase {
    func count(_ color: RGBColor, in image: RGBImage) -> Int {
        var n = 0
        for i in stride(from: 0, to: image.pixels.count, by: 3)
        where image.pixels[i] == color.r && image.pixels[i + 1] == color.g && image.pixels[i + 2] == color.b { n += 1 }
        return n
    }

    func testSeriesDrawnInDistinctColours() throws {
        let content = (0..<50).map { 100 * exp(-Double($0) / 10) + 1 }
        let style = (0..<50).map { 1e4 * exp(-Double($0) / 5) + 0.5 }
        let image = try LinePlot.render(series: [("content", content), ("style", style)], title: "Loss",
                                        xLabel: "iteration", yLabel: "loss", logY: true, width: 640, height: 360)
        XCTAssertEqual(image.width, 640)
        XCTAssertEqual(image.height, 360)
        XCTAssertGreaterThan(count(LinePlot.palette[0], in: image), 40, "first series missing")
        XCTAssertGreaterThan(count(LinePlot.palette[1], in: image), 40, "second series missing")
        XCTAssertEqual(count(LinePlot.palette[2], in: image), 0, "a third colour appeared")
    }

    /// A curve near the top right of the plot, where a legend inside the frame used to sit, is drawn without a gap.
    func testLegendDoesNotCoverTheCurves() throws {
        let values = [0, 10] + [Double](repeating: 9.5, count: 40)   // 5% below the top for most of the width
        let image = try LinePlot.render(series: [("a long series name", values)], title: "t", xLabel: "x", yLabel: "y",
                                        width: 600, height: 300)
        let c = LinePlot.palette[0]
        var columns = Set<Int>()
        for y in 0..<image.height {
            for x in 0..<image.width {
                let i = 3 * (y * image.width + x)
                if image.pixels[i] == c.r && image.pixels[i + 1] == c.g && image.pixels[i + 2] == c.b { columns.insert(x) }
            }
        }
        let legendLeft = image.width - 10 - LinePlot.legendSize(["a long series name"], font: try TextRenderer(pixelSize: 13)).width
        let curve = columns.filter { $0 < legendLeft }
        let hidden = (curve.min()! ... curve.max()!).filter { !columns.contains($0) }
        XCTAssertEqual(hidden, [], "columns of the curve hidden")
        XCTAssertGreaterThan(curve.max()! - curve.min()!, 300, "the curve spans the plot")
        XCTAssertGreaterThan(columns.filter { $0 >= legendLeft }.count, 0, "the legend's sample line, right of the plot")
    }

    func testLogYSkipsNonPositiveValues() throws {
        let image = try LinePlot.render(series: [("tv", [0, -1, .nan, 1, 10])], title: "t", xLabel: "x", yLabel: "y",
                                        logY: true, width: 300, height: 200)
        XCTAssertGreaterThan(count(LinePlot.palette[0], in: image), 5)
    }
}
