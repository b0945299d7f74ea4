import Foundation
import Imaging
import SafeIO
import StyleTransfer
import Visualization

/// `OUTDIR/index.html` of a batch with `--report`: a thumbnail of every output, linking its run report, with the
/// item's status, loss and time; failed items show their error.
enum BatchIndex {
    /// Longest edge of a thumbnail in pixels.
    static let thumbnailSize = 192

    /// Writes the index of `records` (batch order) into `folder`, atomically.
    static func write(records: [BatchRecord], folder: String) throws {
        let path = (folder as NSString).appendingPathComponent("index.html")
        try StagedFile.write(Array(html(records: records, folder: folder).utf8), to: path)
    }

    static func html(records: [BatchRecord], folder: String) -> String {
        let e = HTML.escape
        var cells = ""
        for r in records {
            let output = (folder as NSString).appendingPathComponent(r.output)
            var picture = "<div class=\"missing\">no image</div>"
            if r.status == .done || r.status == .skipped, let image = try? RGBImage(contentsOf: output) {
                picture = "<img src=\"\(HTML.dataURI(image.resized(longestEdge: thumbnailSize)))\" alt=\"\(e(r.name))\">"
            }
            let link = r.report ?? r.output
            var caption = "<b>\(e(r.name))</b><br>\(r.status.rawValue)"
            if let loss = r.loss { caption += String(format: ", loss %.4g", loss) }
            if let seconds = r.seconds { caption += String(format: ", %.1f s", seconds) }
            if let flicker = r.flicker { caption += String(format: ", flicker %.2f", flicker) }
            if let error = r.error { caption += "<br><span class=\"error\">\(e(error))</span>" }
            cells += "<figure><a href=\"\(e(link))\">\(picture)</a><figcaption>\(caption)</figcaption></figure>\n"
        }
        let counts = Dictionary(grouping: records, by: \.status).mapValues(\.count)
        let summary = [BatchRecord.Status.done, .skipped, .failed, .interrupted]
            .compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }.joined(separator: ", ")
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>stylize batch: \(e((folder as NSString).lastPathComponent))</title>
            <style>\(HTML.css)
            .grid{display:flex;flex-wrap:wrap;gap:16px}.grid figure{width:\(thumbnailSize)px}.grid img{width:100%}\
            .missing{height:96px;border:1px dashed #bbb;color:#999;text-align:center;line-height:96px}.error{color:#b00}
            </style></head><body>
            <h1>stylize batch</h1>
            <p class="sub">\(records.count) items: \(e(summary)). Each picture links its run report.</p>
            <div class="grid">
            \(cells)</div>
            </body></html>

            """
    }
}
