import Foundation
import XCTest
import Imaging
@testable import Visualization

final class RunReportTests: XCTestCase {
    static func gradient(_ w: Int, _ h: Int) -> RGBImage {
        var img = RGBImage(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                let i = (y * w + x) * 3
                img.pixels[i] = UInt8(x * 255 / max(w - 1, 1))
                img.pixels[i + 1] = UInt8(y * 255 / max(h - 1, 1))
                img.pixels[i + 2] = 128
            }
        }
        return img
    }

    /// A report with every section filled and hostile text in the title, a setting and the stop reason.
    static func sample() throws -> RunReport {
        var r = RunReport(title: "Run <1> & \"friends\"")
        r.content = gradient(64, 48)
        r.styles = [.init(name: "starry_night.jpg", image: gradient(40, 32), weight: 0.7),
                    .init(name: "fruits.jpg", image: gradient(32, 32), weight: 0.3)]
        r.result = gradient(64, 48)
        for i in 0..<30 {
            let t = Double(i)
            let content: Double = 1e3 * exp(-t / 9) + 50
            let style: Double = 1e5 * exp(-t / 4) + 20
            r.lossHistory.append(.init(iteration: i * 10,
                                       terms: ["content": content, "style": style, "total": content + style]))
        }
        let a: [Float] = (0..<64).map { Float($0 % 9) }
        let b = a.map { $0 * 1.1 }
        r.gramComparisons = [.init(layer: "block1_conv1",
                                   image: try Heatmap.compare(a, b, n: 8, names: ("style", "result"),
                                                              title: Heatmap.title(layer: "block1_conv1", n: 8),
                                                              displaySize: 96),
                                   relativeError: RunReport.relativeFrobeniusError(reference: a, b))]
        r.preset = "gatys"
        r.settings = [("content-weight", "1"), ("style-weight", "1e4"), ("note", "<script>alert(1)</script>")]
        r.weightsDescription = "Weights/vgg19.h5 (Keras 3, VGG19)"
        r.timings = [("load", "0.2 s"), ("optimise", "12.5 s")]
        r.stopReason = "gradient norm < 1e-5 after 300 iterations"
        return r
    }

    func testEverySectionIsPresent() throws {
        let html = try RunReportTests.sample().html()
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        for id in ["images", "loss", "gram", "settings", "weights", "timings", "stop"] {
            XCTAssertTrue(html.contains("<section id=\"\(id)\">"), "missing section \(id)")
        }
        for text in ["starry_night.jpg (weight 0.7)", "block1_conv1", "gatys", "optimise", "12.5 s", "Keras 3, VGG19",
                     "gradient norm &lt; 1e-5", "<td>style-weight</td><td>1e4</td>"] {
            XCTAssertTrue(html.contains(text), "missing \(text)")
        }
    }

    func testImagesAreEmbeddedPNGsAndNothingIsExternal() throws {
        let html = try RunReportTests.sample().html()
        let sources = html.components(separatedBy: "src=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        // content, 2 styles, result, loss plot, 1 Gram comparison.
        XCTAssertEqual(sources.count, 6)
        let prefix = "data:image/png;base64,"
        for src in sources {
            XCTAssertTrue(src.hasPrefix(prefix), "not a PNG data URI: \(src.prefix(40))")
            let data = Data(base64Encoded: String(src.dropFirst(prefix.count)))
            XCTAssertNotNil(data, "invalid base64")
            XCTAssertEqual(data.map { Array($0.prefix(8)) }, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "no PNG signature")
        }
        for external in ["src=\"http", "href=", "url(", "<script", "<link", "@import"] {
            XCTAssertFalse(html.contains(external), "found \(external)")
        }
    }

    /// The region overlay: 60% picture and 40% mask colour inside a region, the mask's colour on its borders; a mask
    /// of another size is read at the picture's pixels (here 2x2 over 4x2: left half red, right half blue).
    func testRegionOverlayTintsEachRegionAndDrawsItsBorder() {
        let picture = RGBImage(width: 4, height: 2, pixels: [UInt8](repeating: 100, count: 24))
        let mask = RGBImage(width: 2, height: 1, pixels: [255, 0, 0, 0, 0, 255])
        let out = RunReport.overlay(picture, mask: mask)
        func px(_ x: Int, _ y: Int) -> [UInt8] { Array(out.pixels[3 * (y * 4 + x) ..< 3 * (y * 4 + x) + 3]) }
        XCTAssertEqual(px(0, 0), [162, 60, 60])    // 0.6 · 100 + 0.4 · 255 = 162, 0.6 · 100 = 60
        XCTAssertEqual(px(1, 1), [255, 0, 0])      // the last red column borders blue: the border in red
        XCTAssertEqual(px(2, 0), [60, 60, 162])
        XCTAssertEqual(px(3, 1), [60, 60, 162])
    }

    func testTextIsEscaped() throws {
        let html = try RunReportTests.sample().html()
        XCTAssertTrue(html.contains("<h1>Run &lt;1&gt; &amp; &quot;friends&quot;</h1>"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertEqual(HTML.escape("a'b<>&\""), "a&#39;b&lt;&gt;&amp;&quot;")
    }

    func testLossSeriesPutTotalFirst() throws {
        let s = try RunReportTests.sample().lossSeries()
        XCTAssertEqual(s.series.map(\.name), ["total", "content", "style"])
        XCTAssertEqual(s.x.prefix(3), [0, 10, 20])
    }

    /// A two-scale history: the table names the run's last step and scale, the plot marks where the second scale
    /// starts (a dashed line that the same plot without markers lacks), and a small result is never stretched.
    func testScaleChangeIsMarkedAndTheLastStepNamed() throws {
        var r = RunReport(title: "two scales")
        r.result = RunReportTests.gradient(20, 14)
        for i in 0...5 { r.lossHistory.append(.init(iteration: i, terms: ["total": 10 - Double(i)], scale: "64×44 px")) }
        for i in 0...4 { r.lossHistory.append(.init(iteration: 5 + i, terms: ["total": 6 - Double(i)], scale: "128×88 px")) }
        XCTAssertEqual(r.scaleChanges().map(\.x), [5])
        XCTAssertEqual(r.scaleChanges().map(\.label), ["128×88 px"])
        let html = try r.html()
        XCTAssertTrue(html.contains("<th>after step 9, at 128×88 px</th>"), html)
        XCTAssertTrue(html.contains("result, 20×14 px"))
        XCTAssertFalse(html.contains("img{height:"), "images must not be stretched to a height")
        XCTAssertTrue(html.contains("img{max-height:256px"), "only shrunk, never enlarged")
        let (x, series) = r.lossSeries()
        let marked = try LinePlot.render(series: series, x: x, title: "t", xLabel: "x", yLabel: "y", markers: r.scaleChanges())
        let plain = try LinePlot.render(series: series, x: x, title: "t", xLabel: "x", yLabel: "y")
        XCTAssertNotEqual(marked.pixels, plain.pixels)
        XCTAssertEqual(r.lossHistory.map(\.iteration).max(), 9)
    }

    func testRelativeFrobeniusError() {
        // ‖(3,4) − (0,0)‖ / ‖(3,4)‖ = 1; ‖(3,4)·1.5 − (3,4)‖ / ‖(3,4)‖ = 0.5.
        XCTAssertEqual(RunReport.relativeFrobeniusError(reference: [3, 4], [0, 0]), 1, accuracy: 1e-12)
        XCTAssertEqual(RunReport.relativeFrobeniusError(reference: [3, 4], [4.5, 6]), 0.5, accuracy: 1e-12)
        XCTAssertEqual(RunReport.relativeFrobeniusError(reference: [0, 0], [0, 0]), 0)
    }

    /// Writes the sample report as report.html, into `VIZ_SAMPLE_DIR` when set (for scripts/screenshot-report), else
    /// a temporary folder: the file on disk is the page, byte for byte, and no temporary file is left beside it.
    func testWriteSampleReportOnRequest() throws {
        let html = try RunReportTests.sample().html()
        let dir = ProcessInfo.processInfo.environment["VIZ_SAMPLE_DIR"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("stylize-report-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try AtomicFile.write(Array(html.utf8), to: dir + "/report.html")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/report.html")), Data(html.utf8))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.hasSuffix(".tmp") })
    }
}
