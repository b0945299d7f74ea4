import Foundation
import Imaging

/// Line plots of several series over a shared x axis (loss terms over iterations), optionally log-y.
public enum LinePlot {
    /// matplotlib's "tab10" cycle (Tableau 10), the default line colours.
    public static let palette: [RGBColor] = [
        RGBColor(0x1f, 0x77, 0xb4), RGBColor(0xff, 0x7f, 0x0e), RGBColor(0x2c, 0xa0, 0x2c), RGBColor(0xd6, 0x27, 0x28),
        RGBColor(0x94, 0x67, 0xbd), RGBColor(0x8c, 0x56, 0x4b), RGBColor(0xe3, 0x77, 0xc2), RGBColor(0x7f, 0x7f, 0x7f),
        RGBColor(0xbc, 0xbd, 0x22), RGBColor(0x17, 0xbe, 0xcf),
    ]

    /// Renders the series with axes, numbered ticks, grid lines and a legend.
    ///
    /// Point k of a series is drawn at x = `x[k]` (default k). Non-finite points, and with `logY` points <= 0,
    /// are skipped and break the line. Each of `markers` is a dashed vertical line at its x with its label at the
    /// top (a run's change of scale).
    public static func render(series: [(name: String, values: [Double])], x: [Double]? = nil, title: String,
                              xLabel: String, yLabel: String, logY: Bool = false,
                              markers: [(x: Double, label: String)] = [],
                              width: Int = 800, height: Int = 450) throws -> RGBImage {
        let font = try TextRenderer(pixelSize: 13)
        let titleFont = try TextRenderer(pixelSize: 16)
        let longest = series.map { $0.values.count }.max() ?? 0
        let xs = x ?? (0..<longest).map(Double.init)
        let usable: (Double) -> Bool = { $0.isFinite && (!logY || $0 > 0) }

        // Data ranges; y in log10 when logY.
        var xLo = xs.first ?? 0, xHi = xs.last ?? 1
        var yLo = Double.infinity, yHi = -Double.infinity
        for s in series {
            for (k, v) in s.values.enumerated() where k < xs.count && usable(v) {
                let y = logY ? log10(v) : v
                yLo = min(yLo, y)
                yHi = max(yHi, y)
            }
        }
        if !(yLo <= yHi) { yLo = 0; yHi = 1 }
        if yHi - yLo < 1e-12 { yLo -= logY ? 0.5 : max(abs(yLo) * 0.1, 0.5); yHi += logY ? 0.5 : max(abs(yHi) * 0.1, 0.5) }
        if logY {
            yLo = yLo.rounded(.down)
            yHi = yHi.rounded(.up)
        } else {  // widen to whole tick steps so the data never touches the frame without a tick
            let step = TickFormat.niceStep(yLo, yHi, target: 6)
            yLo = (yLo / step).rounded(.down) * step
            yHi = (yHi / step).rounded(.up) * step
        }
        if !(xHi > xLo) { xLo -= 0.5; xHi += 0.5 }

        let yTicks: [(Double, String)] = logY
            ? decadeTicks(yLo, yHi)
            : TickFormat.niceTicks(yLo, yHi, target: 6).map { ($0, TickFormat.string($0)) }
        let xTicks = TickFormat.niceTicks(xLo, xHi, target: 8).map { ($0, TickFormat.string($0)) }

        // Margins from the text sizes.
        let pad = 10
        let yTickWidth = yTicks.map { font.measure($0.1).width }.max() ?? 0
        let left = pad + font.lineHeight + pad + yTickWidth + 6
        // The legend sits right of the plot, so it never covers a curve.
        let legendWidth = legendSize(series.map { $0.name }, font: font).width
        let right = pad * 2 + (legendWidth > 0 ? legendWidth + pad : 0)
        let top = pad + titleFont.lineHeight + pad
        let bottom = 6 + font.lineHeight + 4 + font.lineHeight + pad
        let plotW = width - left - right, plotH = height - top - bottom
        precondition(plotW > 20 && plotH > 20, "line plot \(width)x\(height) is too small for its labels")

        func px(_ v: Double) -> Double { Double(left) + (v - xLo) / (xHi - xLo) * Double(plotW - 1) }
        func py(_ v: Double) -> Double { Double(top + plotH - 1) - (v - yLo) / (yHi - yLo) * Double(plotH - 1) }

        var canvas = Canvas(width: width, height: height)
        canvas.text(title, titleFont, x: left + plotW / 2, y: pad, align: .center)
        for (v, label) in yTicks {
            let y = Int(py(v).rounded())
            canvas.fill(x: left, y: y, width: plotW, height: 1, color: RGBColor(230, 230, 230))
            canvas.fill(x: left - 5, y: y, width: 5, height: 1, color: .darkGray)
            canvas.text(label, font, x: left - 7, y: y - font.lineHeight / 2, color: .darkGray, align: .right)
        }
        for (v, label) in xTicks {
            let x = Int(px(v).rounded())
            canvas.fill(x: x, y: top, width: 1, height: plotH, color: RGBColor(230, 230, 230))
            canvas.fill(x: x, y: top + plotH, width: 1, height: 5, color: .darkGray)
            canvas.text(label, font, x: x, y: top + plotH + 6, color: .darkGray, align: .center)
        }
        canvas.strokeRect(x: left - 1, y: top - 1, width: plotW + 2, height: plotH + 2, color: .darkGray)
        canvas.text(xLabel, font, x: left + plotW / 2, y: height - pad - font.lineHeight, align: .center)
        font.drawVertical(yLabel, into: &canvas.image, x: pad, centerY: top + plotH / 2, color: .black)

        for marker in markers where marker.x >= xLo && marker.x <= xHi {
            let x = Int(px(marker.x).rounded())
            for y in stride(from: top, to: top + plotH, by: 8) {
                canvas.fill(x: x, y: y, width: 1, height: min(4, top + plotH - y), color: .darkGray)
            }
            canvas.text(marker.label, font, x: x + 4, y: top + 2, color: .darkGray)
        }
        for (i, s) in series.enumerated() {
            let color = palette[i % palette.count]
            var previous: (x: Double, y: Double)?
            for (k, v) in s.values.enumerated() where k < xs.count {
                guard usable(v) else { previous = nil; continue }
                let p = (x: px(xs[k]), y: py(logY ? log10(v) : v))
                if let q = previous { canvas.line(from: q, to: p, color: color, lineWidth: 1.8) }
                else if s.values.count == 1 { canvas.line(from: p, to: p, color: color, lineWidth: 4) }
                previous = p
            }
        }
        drawLegend(series.map { $0.name }, font: font, canvas: &canvas, right: width - pad, top: top)
        return canvas.image
    }

    /// Ticks at the integer decades of lo...hi (log10 units), thinned to at most 8.
    static func decadeTicks(_ lo: Double, _ hi: Double) -> [(Double, String)] {
        let first = Int(lo.rounded(.up)), last = Int(hi.rounded(.down))
        let step = max(1, (last - first + 7) / 8)
        return stride(from: first, through: last, by: step).map { (Double($0), TickFormat.decade($0)) }
    }

    /// Width and height of the legend box of `names` (zero for none).
    static func legendSize(_ names: [String], font: TextRenderer) -> (width: Int, height: Int) {
        if names.isEmpty { return (0, 0) }
        let sample = 22, gap = 6
        let textW = names.map { font.measure($0).width }.max() ?? 0
        return (gap + sample + gap + textW + gap, gap + names.count * font.lineHeight + gap)
    }

    /// The legend box with its right edge at `right`.
    static func drawLegend(_ names: [String], font: TextRenderer, canvas: inout Canvas, right: Int, top: Int) {
        if names.isEmpty { return }
        let sample = 22, gap = 6
        let (w, h) = legendSize(names, font: font)
        let x = right - w
        canvas.fill(x: x, y: top, width: w, height: h, color: .white)
        canvas.strokeRect(x: x, y: top, width: w, height: h, color: .lightGray)
        for (i, name) in names.enumerated() {
            let y = top + gap + i * font.lineHeight
            let mid = Double(y + font.lineHeight / 2)
            canvas.line(from: (Double(x + gap), mid), to: (Double(x + gap + sample), mid),
                        color: palette[i % palette.count], lineWidth: 2.5)
            canvas.text(name, font, x: x + gap + sample + gap, y: y)
        }
    }
}
