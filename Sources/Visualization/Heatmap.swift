import Imaging

/// Gram matrices (or any square matrix) as heatmaps with a colorbar, and side-by-side comparisons.
public enum Heatmap {
    /// Renders an (n x n) matrix with a title and a colorbar with tick values.
    /// - Parameters:
    ///   - matrix: (n x n) row-major values.
    ///   - title: e.g. `Heatmap.title(layer: "block1_conv1", n: 64)` = "block1_conv1 — Gram 64×64".
    ///   - scale: `.log` shows log10 |v| floored at `ValueScale.logFloorRatio` x max |v|.
    ///   - range: a fixed value range; nil uses the matrix' min...max.
    ///   - displaySize: side of the drawn matrix in pixels; small matrices are upscaled by an integer factor.
    public static func render(matrix: [Float], n: Int, title: String, colormap: Colormap = .viridis,
                              scale: ValueScale = .linear, range: ClosedRange<Float>? = nil,
                              displaySize: Int = 512) throws -> RGBImage {
        precondition(n > 0 && matrix.count == n * n, "heatmap matrix must be n x n")
        let side = displaySide(n: n, target: displaySize)
        var sheet = GridSheet(tiles: [GridSheet.Tile(rows: n, cols: n, values: matrix)], columns: 1,
                              tileWidth: side, tileHeight: side, colormap: colormap)
        sheet.normalization = .shared(range)
        sheet.scale = scale
        sheet.colorbar = true
        sheet.title = title
        sheet.padding = 10
        return try sheet.render()
    }

    /// A, B on one shared scale, and the signed difference B − A on a diverging colormap symmetric around 0.
    ///
    /// Reorder both with the same `ChannelOrder` first if the channels should be clustered.
    /// - Parameters:
    ///   - a, b: (n x n) row-major matrices.
    ///   - names: labels of A and B, e.g. ("style", "result").
    public static func compare(_ a: [Float], _ b: [Float], n: Int, names: (String, String), title: String,
                               colormap: Colormap = .viridis, scale: ValueScale = .linear,
                               diffColormap: Colormap = .coolwarm, displaySize: Int = 384) throws -> RGBImage {
        precondition(n > 0 && a.count == n * n && b.count == n * n, "compared matrices must both be n x n")
        let side = displaySide(n: n, target: displaySize)
        var pair = GridSheet(tiles: [GridSheet.Tile(rows: n, cols: n, values: a, label: names.0),
                                     GridSheet.Tile(rows: n, cols: n, values: b, label: names.1)],
                             columns: 2, tileWidth: side, tileHeight: side, colormap: colormap)
        pair.normalization = .shared(nil)
        pair.scale = scale
        pair.colorbar = true
        pair.padding = 10

        var diff = [Float](repeating: 0, count: n * n)
        var maxAbs: Float = 0
        for i in 0..<(n * n) {
            diff[i] = b[i] - a[i]
            if diff[i].isFinite { maxAbs = max(maxAbs, abs(diff[i])) }
        }
        if maxAbs == 0 { maxAbs = 1 }
        var signed = GridSheet(tiles: [GridSheet.Tile(rows: n, cols: n, values: diff, label: "\(names.1) − \(names.0)")],
                               columns: 1, tileWidth: side, tileHeight: side, colormap: diffColormap)
        signed.normalization = .shared(-maxAbs...maxAbs)
        signed.colorbar = true
        signed.padding = 10

        let left = try pair.render(), right = try signed.render()
        let font = try TextRenderer(pixelSize: 16)
        let titleHeight = font.lineHeight + 10
        var canvas = Canvas(width: left.width + right.width, height: titleHeight + max(left.height, right.height))
        canvas.text(title, font, x: canvas.width / 2, y: 8, align: .center)
        canvas.paste(left, x: 0, y: titleHeight)
        canvas.paste(right, x: left.width, y: titleHeight)
        return canvas.image
    }

    /// The conventional title: "<layer> — Gram n×n".
    public static func title(layer: String, n: Int) -> String {
        "\(layer) — Gram \(n)×\(n)"
    }

    /// Display side: an integer multiple of n near `target`, or `target` when n is larger (then downsampled).
    static func displaySide(n: Int, target: Int) -> Int {
        n >= target ? target : n * max(1, target / n)
    }
}
