/// How an image too large for one pass through the network is cut into tiles, so that the tiles' passes give
/// exactly the whole image's layer outputs, losses and input gradient, with no seam anywhere.
///
/// The image's rows and columns are cut into as few cores of at most `core` pixels as will do, of nearly equal
/// length (the last one shorter); the cores partition the image at every layer. Each tile's network input is its region: the core widened by `halo` pixels on every
/// side, clipped to the image. Two facts make a tile's outputs inside its core equal to the whole image's:
/// - the halo covers the receptive field: a 3x3 convolution at a layer `s` times smaller than the image (after
///   log2(s) pools) reaches `s` image pixels further on each side, so an output depends on the input within
///   `Σ s` (over the convolutions up to it) pixels; the zero padding at a region edge that is not the image's edge
///   only changes outputs within that distance of the edge, which stays outside the core;
/// - every region and core edge inside the image lies on a multiple of `alignment`, the largest `s`, so the
///   2x2 pools of a region pair the same pixels as the whole image's, and a core edge falls between pooled
///   pixels at every layer. At the image's own right and bottom edges the pools round down exactly as the whole
///   image's do, because the region starts on a multiple of `alignment`.
///
/// A tiled loss sums each layer's terms over the cores only (the features outside a core are left out, and their
/// gradient is zero), and the input gradients of the tiles' regions add up to the whole image's: every feature
/// is counted in exactly one core, and its gradient reaches only pixels within its receptive field, inside that
/// tile's region.
public struct TileGrid: Sendable, Equatable {
    /// Image rows `y0 ..< y1`, columns `x0 ..< x1`.
    public struct Rect: Sendable, Equatable, CustomStringConvertible {
        public var y0: Int, y1: Int, x0: Int, x1: Int
        public var height: Int { y1 - y0 }
        public var width: Int { x1 - x0 }
        public var description: String { "rows \(y0)..<\(y1), columns \(x0)..<\(x1)" }
    }

    public struct Tile: Sendable, Equatable {
        /// The pixels this tile is responsible for; the cores partition the image.
        public var core: Rect
        /// The network input: the core and its halo, clipped to the image.
        public var region: Rect
    }

    public let height: Int
    public let width: Int
    /// The longest core edge in pixels, a multiple of `alignment`; the cores of a direction are balanced below it.
    public let core: Int
    /// Halo width in pixels, a multiple of `alignment`.
    public let halo: Int
    /// The downsampling factor of the deepest layer used: every inner edge lies on a multiple of it.
    public let alignment: Int
    /// Row-major: the tiles of the first core row, left to right, then the next row.
    public let tiles: [Tile]

    /// - Parameters:
    ///   - height, width: the image.
    ///   - core: the wanted core edge; rounded down to a multiple of `alignment` (at least one `alignment`).
    ///   - halo: at least `TileGrid.halo(architecture:deepestLayer:)`, a multiple of `alignment`.
    ///   - alignment: `TileGrid.alignment(architecture:deepestLayer:)`.
    public init(height: Int, width: Int, core: Int, halo: Int, alignment: Int) {
        precondition(height > 0 && width > 0 && alignment > 0 && halo >= 0 && halo % alignment == 0,
                     "TileGrid: a non-empty image, and a halo that is a multiple of the alignment")
        self.height = height
        self.width = width
        let longest = max(alignment, core / alignment * alignment)
        self.core = longest
        self.halo = halo
        self.alignment = alignment
        // As few cores per direction as `core` allows, of equal length (up to the alignment), so that no thin
        // last tile pays a full halo for a few rows.
        func balanced(_ length: Int) -> Int {
            let count = (length + longest - 1) / longest
            return min(longest, ((length + count - 1) / count).roundedUp(to: alignment))
        }
        let (coreHeight, coreWidth) = (balanced(height), balanced(width))
        var tiles: [Tile] = []
        for y0 in stride(from: 0, to: height, by: coreHeight) {
            let y1 = min(height, y0 + coreHeight)
            for x0 in stride(from: 0, to: width, by: coreWidth) {
                let x1 = min(width, x0 + coreWidth)
                tiles.append(Tile(core: Rect(y0: y0, y1: y1, x0: x0, x1: x1),
                                  region: Rect(y0: max(0, y0 - halo), y1: min(height, y1 + halo),
                                               x0: max(0, x0 - halo), x1: min(width, x1 + halo))))
            }
        }
        self.tiles = tiles
    }

    /// A grid for `architecture` up to `deepestLayer`, with the smallest exact halo.
    public init(height: Int, width: Int, core: Int, architecture: VGGArchitecture, deepestLayer: String) {
        let alignment = TileGrid.alignment(architecture: architecture, deepestLayer: deepestLayer)
        self.init(height: height, width: width, core: core,
                  halo: TileGrid.halo(architecture: architecture, deepestLayer: deepestLayer), alignment: alignment)
    }

    /// Whether one tile covers the whole image (the tiled evaluation is then the plain one).
    public var isSingle: Bool { tiles.count == 1 }

    /// The largest region, which sizes the network's buffers.
    public var largestRegion: (height: Int, width: Int) {
        (tiles.map(\.region.height).max() ?? 0, tiles.map(\.region.width).max() ?? 0)
    }

    /// Where a tile's core lies in a layer `factor` times smaller than the image (`factor` a power of two up to
    /// `alignment`), in the coordinates of the tile's own output and in those of the whole image's output.
    /// - Parameters:
    ///   - layerHeight, layerWidth: the tile's output size at that layer (its region, pooled).
    /// - Returns: rows and columns in the tile's output, and the offset to add to reach the whole image's output.
    public func window(_ tile: Tile, factor: Int, layerHeight: Int, layerWidth: Int) -> Window {
        precondition(factor > 0 && alignment % factor == 0, "TileGrid.window: factor \(factor) does not divide \(alignment)")
        let (ry, rx) = (tile.region.y0 / factor, tile.region.x0 / factor)
        // An inner core edge is aligned; the image's last edge is wherever the pools' rounding down puts it.
        let rowEnd = tile.core.y1 == height ? layerHeight : tile.core.y1 / factor - ry
        let columnEnd = tile.core.x1 == width ? layerWidth : tile.core.x1 / factor - rx
        let rowStart = min(rowEnd, tile.core.y0 / factor - ry)
        let columnStart = min(columnEnd, tile.core.x0 / factor - rx)
        return Window(rows: rowStart ..< rowEnd, columns: columnStart ..< columnEnd, rowOffset: ry, columnOffset: rx)
    }

    /// The part of a layer's output that carries its loss terms: rows and columns of the output at hand, and the
    /// offset from them to the whole image's output. A whole image's window is all of its output, offset 0.
    public struct Window: Sendable, Equatable {
        public var rows: Range<Int>
        public var columns: Range<Int>
        public var rowOffset: Int
        public var columnOffset: Int

        public init(rows: Range<Int>, columns: Range<Int>, rowOffset: Int = 0, columnOffset: Int = 0) {
            self.rows = rows
            self.columns = columns
            self.rowOffset = rowOffset
            self.columnOffset = columnOffset
        }

        /// All of an output of `height` x `width`: the window of a whole image.
        public static func whole(height: Int, width: Int) -> Window { Window(rows: 0 ..< height, columns: 0 ..< width) }
    }

    /// The downsampling factor of `deepestLayer`: every inner core and region edge lies on a multiple of it.
    public static func alignment(architecture: VGGArchitecture, deepestLayer: String) -> Int {
        factor(of: deepestLayer, architecture: architecture)
    }

    /// The receptive field's reach up to `deepestLayer` (the sum of each 3x3 convolution's factor), rounded up to a
    /// multiple of the alignment: the smallest halo that keeps every core output exact. 80 px for VGG16 and 96 px
    /// for VGG19 up to `block5_conv2`.
    public static func halo(architecture: VGGArchitecture, deepestLayer: String) -> Int {
        TileGrid.reach(architecture: architecture, deepestLayer: deepestLayer)
            .roundedUp(to: alignment(architecture: architecture, deepestLayer: deepestLayer))
    }

    /// `Σ s` over the convolutions up to and including `deepestLayer` (s: that layer's downsampling factor).
    public static func reach(architecture: VGGArchitecture, deepestLayer: String) -> Int {
        var factor = 1, reach = 0
        for (name, step) in architecture.steps {
            switch step {
            case .conv: reach += factor
            case .pool: factor *= 2
            }
            if name == deepestLayer { break }
        }
        return reach
    }

    /// The downsampling factor of `layer`: 2 to the number of pools up to and including it (1 for `input_1`).
    public static func factor(of layer: String, architecture: VGGArchitecture) -> Int {
        var factor = 1
        for (name, step) in architecture.steps {
            if case .pool = step { factor *= 2 }
            if name == layer { break }
        }
        return layer == "input_1" ? 1 : factor
    }
}

extension Int {
    /// The smallest multiple of `m` (> 0) not below `self` (≥ 0).
    func roundedUp(to m: Int) -> Int { (self + m - 1) / m * m }
}
