import Imaging

/// Several finished pictures (heatmaps, comparisons) arranged on one white sheet, row by row.
public enum ContactSheet {
    /// - Parameters:
    ///   - images: the pictures, in reading order.
    ///   - columns: pictures per row.
    ///   - padding: pixels between pictures and around the sheet.
    ///   - title: a line above the sheet.
    public static func compose(_ images: [RGBImage], columns: Int, padding: Int = 8, title: String? = nil) throws -> RGBImage {
        precondition(!images.isEmpty && columns > 0, "a contact sheet needs images and columns")
        let rows = (images.count + columns - 1) / columns
        var colWidths = [Int](repeating: 0, count: columns)
        var rowHeights = [Int](repeating: 0, count: rows)
        for (i, image) in images.enumerated() {
            colWidths[i % columns] = max(colWidths[i % columns], image.width)
            rowHeights[i / columns] = max(rowHeights[i / columns], image.height)
        }
        let font = try title.map { _ in try TextRenderer(pixelSize: 20) }
        let titleHeight = font.map { $0.lineHeight + padding } ?? 0
        let width = colWidths.reduce(padding, { $0 + $1 + padding })
        let height = rowHeights.reduce(padding + titleHeight, { $0 + $1 + padding })
        var canvas = Canvas(width: width, height: height)
        if let title, let font { canvas.text(title, font, x: width / 2, y: padding, align: .center) }
        var y = padding + titleHeight
        for r in 0..<rows {
            var x = padding
            for c in 0..<columns where r * columns + c < images.count {
                canvas.paste(images[r * columns + c], x: x, y: y)
                x += colWidths[c] + padding
            }
            y += rowHeights[r] + padding
        }
        return canvas.image
    }
}
