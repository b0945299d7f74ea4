import Foundation
import Imaging

extension RunReport {
    /// The report as one self-contained HTML page (all text escaped, images as `data:image/png;base64,...`).
    /// - Throws: `VisualizationError.fontNotFound` when the loss plot cannot be drawn for lack of a font.
    public func html() throws -> String {
        var body = "<h1>\(HTML.escape(title))</h1>\n"
        if let preset { body += "<p class=\"sub\">preset <b>\(HTML.escape(preset))</b></p>\n" }

        body += "<section id=\"images\">\n<h2>Images</h2>\n<div class=\"row\">\n"
        if let content { body += HTML.figure(content, caption: "content") }
        for style in styles {
            body += HTML.figure(style.image, caption: "style: \(style.name) (weight \(TickFormat.string(style.weight)))")
        }
        if let result {
            body += HTML.figure(result, caption: "result, \(result.width)×\(result.height) px", cssClass: "result")
        }
        if let regionOverlay { body += HTML.figure(regionOverlay.image, caption: regionOverlay.caption, cssClass: "result") }
        body += "</div>\n</section>\n"

        body += "<section id=\"loss\">\n<h2>Loss</h2>\n"
        if lossHistory.isEmpty {
            body += "<p>No iterations recorded.</p>\n"
        } else {
            let (x, series) = lossSeries()
            let positive = series.allSatisfy { $0.values.allSatisfy { !$0.isFinite || $0 > 0 } }
            let changes = scaleChanges()
            let plot = try LinePlot.render(series: series, x: x, title: "Loss terms over the run's steps",
                                           xLabel: changes.isEmpty ? "step" : "step (all scales; dashed: a new scale starts)",
                                           yLabel: positive ? "loss (log scale)" : "loss",
                                           logY: positive, markers: changes)
            body += HTML.figure(plot, caption: "")
            if let last = lossHistory.last {
                let scale = last.scale.map { ", at \($0)" } ?? ""
                body += "<table>\n<tr><th>term</th><th>after step \(last.iteration)\(HTML.escape(scale))</th></tr>\n"
                for s in series { body += HTML.row(s.name, TickFormat.string(last.terms[s.name] ?? .nan)) }
                body += "</table>\n"
            }
        }
        body += "</section>\n"

        body += "<section id=\"gram\">\n<h2>Gram matrices</h2>\n"
        if gramComparisons.isEmpty { body += "<p>No Gram comparisons.</p>\n" }
        for g in gramComparisons {
            body += "<h3>\(HTML.escape(g.layer))</h3>\n"
            body += "<p>relative Frobenius error ‖G<sub>result</sub> − G<sub>style</sub>‖<sub>F</sub> / "
                + "‖G<sub>style</sub>‖<sub>F</sub> = <b>\(HTML.escape(TickFormat.string(g.relativeError)))</b></p>\n"
            body += HTML.figure(g.image, caption: "")
        }
        body += "</section>\n"

        body += "<section id=\"settings\">\n<h2>Settings</h2>\n<table>\n"
        if let preset { body += HTML.row("preset", preset) }
        for (k, v) in settings { body += HTML.row(k, v) }
        body += "</table>\n</section>\n"

        body += "<section id=\"weights\">\n<h2>Weights</h2>\n<p>\(HTML.escape(weightsDescription ?? "not recorded"))</p>\n"
        body += "</section>\n"

        body += "<section id=\"timings\">\n<h2>Timings</h2>\n<table>\n"
        for (k, v) in timings { body += HTML.row(k, v) }
        body += "</table>\n</section>\n"

        body += "<section id=\"stop\">\n<h2>Stop reason</h2>\n<p>\(HTML.escape(stopReason ?? "not recorded"))</p>\n"
        body += "</section>\n"

        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(HTML.escape(title))</title>
            <style>\(HTML.css)</style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }
}

/// Small helpers for writing the report's HTML (and `stylize batch`'s index).
public enum HTML {
    public static let css = """
        body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1240px;color:#222;\
        background:#fff;padding:0 16px}h1{font-size:24px;margin-bottom:4px}h2{font-size:18px;border-bottom:1px solid \
        #ddd;padding-bottom:4px;margin-top:32px}h3{font-size:15px;margin-bottom:4px}.sub{color:#666;margin-top:0}\
        .row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}figure{margin:0}figure img{max-width:100%;\
        border:1px solid #ddd}.row figure img{max-height:256px;width:auto;object-fit:contain}.row figure.result img{max-height:384px;\
        image-rendering:pixelated}\
        figcaption{font-size:13px;color:#555;margin-top:4px}table{border-collapse:collapse;font-size:13px}\
        td,th{border:1px solid #ddd;padding:4px 10px;text-align:left}th{background:#f4f4f4}\
        td:first-child{font-family:"DejaVu Sans Mono",monospace}
        """

    /// Text safe for HTML element content and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// The image as a `data:image/png;base64,...` URI (an empty image gives an empty string).
    public static func dataURI(_ image: RGBImage) -> String {
        if image.width == 0 || image.height == 0 { return "" }
        return "data:image/png;base64," + Data(image.encodePNG()).base64EncodedString()
    }

    static func figure(_ image: RGBImage, caption: String, cssClass: String? = nil) -> String {
        let cls = cssClass.map { " class=\"\(escape($0))\"" } ?? ""
        let cap = caption.isEmpty ? "" : "<figcaption>\(escape(caption))</figcaption>"
        return "<figure\(cls)><img src=\"\(dataURI(image))\" alt=\"\(escape(caption))\">\(cap)</figure>\n"
    }

    static func row(_ key: String, _ value: String) -> String {
        "<tr><td>\(escape(key))</td><td>\(escape(value))</td></tr>\n"
    }
}
