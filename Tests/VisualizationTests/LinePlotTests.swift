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

    func testLogYSkipsNonPositiveValues() throws {
        let image = try LinePlot.render(series: [("tv", [0, -1, .nan, 1, 10])], title: "t", xLabel: "x", yLabel: "y",
                                        logY: true, width: 300, height: 200)
        XCTAssertGreaterThan(count(LinePlot.palette[0], in: image), 5)
    }
}
