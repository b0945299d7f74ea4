import Imaging

/// N matrices laid out as colour-mapped tiles in a grid: the one code path behind feature-map grids and Gram
/// heatmaps.
///
/// Layout, top to bottom: optional title line, then rows of tiles (each tile optionally followed by a label
/// line), with `padding` pixels around and between everything; with a shared range an optional colorbar with
/// ticks stands to the right of the grid.
public struct GridSheet {
    /// One matrix to show; values are (rows x cols), row-major.
    public struct Tile {
        public var rows: Int
        public var cols: Int
        public var values: [Float]
        public var label: String?

        public init(rows: Int, cols: Int, values: [Float], label: String? = nil) {
            precondition(values.count == rows * cols, "tile values do not match \(rows)x\(cols)")
            self.rows = rows
            self.cols = cols
            self.values = values
            self.label = label
        }
    }

    /// Pixel geometry of a sheet.
    public struct Layout: Equatable {
        public var gridRows: Int
        public var width: Int
        public var height: Int
        /// y of the first tile row.
        public var gridTop: Int
        /// Vertical distance between tile rows: tile, label line, padding.
        public var rowPitch: Int
        public var columnPitch: Int
        public var padding: Int

        /// Top-left corner of tile `i` (filled row by row).
        public func tileOrigin(_ i: Int, columns: Int) -> (x: Int, y: Int) {
            (padding + (i % columns) * columnPitch, gridTop + (i / columns) * rowPitch)
        }
    }

    public var tiles: [Tile]
    public var columns: Int
    /// Each tile is drawn at this size, scaled by nearest neighbour.
    public var tileWidth: Int
    public var tileHeight: Int
    public var colormap: Colormap
    public var normalization: Normalization = .perTile
    public var scale: ValueScale = .linear
    public var title: String?
    /// Draw a colorbar with ticks (only with `.shared` normalisation).
    public var colorbar = false
    public var padding = 6
    public var fontSize = 13
    public var titleFontSize = 16
    public var background = RGBColor.white

    public init(tiles: [Tile], columns: Int, tileWidth: Int, tileHeight: Int, colormap: Colormap) {
        precondition(columns > 0 && tileWidth > 0 && tileHeight > 0, "grid needs positive columns and tile size")
        self.tiles = tiles
        self.columns = columns
        self.tileWidth = tileWidth
        self.tileHeight = tileHeight
        self.colormap = colormap
    }

    /// The geometry for given text line heights (0 when there is no title / no labels) and colorbar width.
    public static func layout(tileCount: Int, columns: Int, tileWidth: Int, tileHeight: Int, padding: Int,
                              titleHeight: Int = 0, labelHeight: Int = 0, colorbarWidth: Int = 0) -> Layout {
        let gridRows = (tileCount + columns - 1) / columns
        let usedColumns = min(columns, max(tileCount, 1))
        let gridTop = padding + (titleHeight > 0 ? titleHeight + padding : 0)
        let rowPitch = tileHeight + labelHeight + padding
        let columnPitch = tileWidth + padding
        return Layout(gridRows: gridRows, width: padding + usedColumns * columnPitch + colorbarWidth,
                      height: gridTop + gridRows * rowPitch, gridTop: gridTop, rowPitch: rowPitch,
                      columnPitch: columnPitch, padding: padding)
    }

    /// The value mapping of each tile.
    public func mappings() -> [ValueMapping] {
        switch normalization {
        case .perTile:
            return tiles.map { ValueMapping.fitting($0.values, scale: scale) }
        case .shared(let range?):
            return Array(repeating: ValueMapping.fixed(range, scale: scale), count: tiles.count)
        case .shared(nil):
            let all = ValueMapping.fitting(tiles.lazy.flatMap { $0.values }, scale: scale)
            return Array(repeating: all, count: tiles.count)
        }
    }

    /// Renders the sheet.
    /// - Throws: `VisualizationError.fontNotFound` when there is text to draw and no font.
    public func render() throws -> RGBImage {
        let maps = mappings()
        let hasLabels = tiles.contains { $0.label != nil }
        let needsText = title != nil || hasLabels || (colorbar && !tiles.isEmpty)
        let small = needsText ? try TextRenderer(pixelSize: fontSize) : nil
        let big = title != nil ? try TextRenderer(pixelSize: titleFontSize) : nil

        let showBar = colorbar && !tiles.isEmpty && normalization != .perTile
        let ticks = showBar ? maps[0].ticks() : []
        let bar = Colorbar(ticks: ticks, font: small)
        // Without a title or labels, leave half a text line above and below so end tick labels are not clipped.
        let barMargin = showBar ? (small?.lineHeight ?? 0) / 2 : 0
        var layout = GridSheet.layout(tileCount: tiles.count, columns: columns, tileWidth: tileWidth,
                                      tileHeight: tileHeight, padding: padding,
                                      titleHeight: big?.lineHeight ?? barMargin,
                                      labelHeight: hasLabels ? (small?.lineHeight ?? 0) : 0,
                                      colorbarWidth: showBar ? bar.width(padding: padding) : 0)
        if !hasLabels { layout.height += barMargin }
        var canvas = Canvas(width: layout.width, height: layout.height, background: background)
        if let title, let big {
            canvas.text(title, big, x: layout.width / 2, y: padding, align: .center)
        }
        let lut = colormap.table(count: 1024)
        for (i, tile) in tiles.enumerated() {
            let o = layout.tileOrigin(i, columns: columns)
            canvas.blit(GridSheet.colorize(tile, maps[i], lut), x: o.x, y: o.y, width: tileWidth, height: tileHeight)
            if let label = tile.label, let small {
                canvas.text(label, small, x: o.x + tileWidth / 2, y: o.y + tileHeight, color: .darkGray, align: .center)
            }
        }
        if showBar {
            let top = layout.gridTop
            let bottom = layout.gridTop + (layout.gridRows - 1) * layout.rowPitch + tileHeight
            bar.draw(on: &canvas, x: layout.width - bar.width(padding: padding) + padding, top: top, bottom: bottom,
                     lut: lut)
        }
        return canvas.image
    }

    /// The tile as a (rows x cols) RGB image through the mapping and a colormap lookup table.
    static func colorize(_ tile: Tile, _ map: ValueMapping, _ lut: [RGBColor]) -> RGBImage {
        var img = RGBImage(width: tile.cols, height: tile.rows)
        let last = Double(lut.count - 1)
        tile.values.withUnsafeBufferPointer { v in
            img.pixels.withUnsafeMutableBufferPointer { px in
                for i in 0..<v.count {
                    let c = lut[Int((map.position(v[i]) * last).rounded())]
                    px[3 * i] = c.r
                    px[3 * i + 1] = c.g
                    px[3 * i + 2] = c.b
                }
            }
        }
        return img
    }
}

/// A vertical colour bar, high values at the top, with tick marks and labels on its right.
struct Colorbar {
    var ticks: [(position: Double, label: String)]
    var font: TextRenderer?
    let barWidth = 16
    let tickLength = 4

    /// Total width including the padding on its left and right.
    func width(padding: Int) -> Int {
        let labels = ticks.map { font?.measure($0.label).width ?? 0 }.max() ?? 0
        return padding + barWidth + tickLength + 3 + labels + padding
    }

    func draw(on canvas: inout Canvas, x: Int, top: Int, bottom: Int, lut: [RGBColor]) {
        let h = max(bottom - top, 2)
        for row in 0..<h {
            let t = 1 - Double(row) / Double(h - 1)
            canvas.fill(x: x, y: top + row, width: barWidth, height: 1, color: lut[Int((t * Double(lut.count - 1)).rounded())])
        }
        canvas.strokeRect(x: x - 1, y: top - 1, width: barWidth + 2, height: h + 2, color: .darkGray)
        for tick in ticks {
            let y = top + Int(((1 - tick.position) * Double(h - 1)).rounded())
            canvas.fill(x: x + barWidth, y: y, width: tickLength, height: 1, color: .darkGray)
            if let font {
                canvas.text(tick.label, font, x: x + barWidth + tickLength + 3, y: y - font.lineHeight / 2,
                            color: .darkGray)
            }
        }
    }
}
