import CLibFreeType
import Foundation
import Imaging

/// Anti-aliased text through FreeType, in DejaVu Sans by default.
///
/// Glyphs are rasterised by FreeType's own grey-level renderer (`FT_LOAD_RENDER`) and blended into the image
/// with their coverage as alpha. One renderer holds one face at one pixel size; it is not thread-safe.
public final class TextRenderer {
    /// Where the font is looked for, in order, after `$STYLIZE_FONT` (Debian, Fedora, Arch, local installs).
    public static let fontSearchPaths = [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/local/share/fonts/DejaVuSans.ttf",
    ]

    /// The font size: the em square in pixels.
    public let pixelSize: Int
    /// The font file in use.
    public let fontPath: String
    /// Pixels from the top of a text line to its baseline.
    public let ascender: Int
    /// Height of a text line in pixels (ascender plus descender).
    public let lineHeight: Int

    private var library: FT_Library?
    private var face: FT_Face?
    private var glyphs: [Unicode.Scalar: Glyph] = [:]

    /// A rasterised glyph: coverage bitmap (rows x width), its offset from the pen position, and the advance.
    private struct Glyph {
        var width: Int
        var rows: Int
        var left: Int
        var top: Int
        var advance: Int
        var coverage: [UInt8]
    }

    /// Opens the font and sets its size.
    /// - Parameters:
    ///   - pixelSize: em size in pixels (e.g. 14 for labels).
    ///   - fontPath: a .ttf file; nil searches `$STYLIZE_FONT` then `fontSearchPaths`.
    /// - Throws: `VisualizationError.fontNotFound` naming the package to install, or `.freeType`.
    public init(pixelSize: Int, fontPath: String? = nil) throws {
        precondition(pixelSize > 0, "font size must be positive")
        self.pixelSize = pixelSize
        let path = try fontPath ?? TextRenderer.findFont()
        self.fontPath = path
        var lib: FT_Library?
        var err = FT_Init_FreeType(&lib)
        guard err == 0, let lib else { throw VisualizationError.freeType(call: "FT_Init_FreeType", path: path, code: err) }
        library = lib
        var f: FT_Face?
        err = FT_New_Face(lib, path, 0, &f)
        guard err == 0, let f else {
            FT_Done_FreeType(lib)
            throw VisualizationError.freeType(call: "FT_New_Face", path: path, code: err)
        }
        face = f
        err = FT_Set_Pixel_Sizes(f, 0, FT_UInt(pixelSize))
        guard err == 0 else {
            FT_Done_Face(f)
            FT_Done_FreeType(lib)
            throw VisualizationError.freeType(call: "FT_Set_Pixel_Sizes", path: path, code: err)
        }
        // Size metrics are 26.6 fixed point; descender is negative.
        let metrics = f.pointee.size.pointee.metrics
        ascender = Int((metrics.ascender + 63) >> 6)
        lineHeight = ascender + Int((-metrics.descender + 63) >> 6)
    }

    deinit {
        if let face { FT_Done_Face(face) }
        if let library { FT_Done_FreeType(library) }
    }

    /// The first existing font among `$STYLIZE_FONT` and `fontSearchPaths`.
    public static func findFont() throws -> String {
        var candidates = fontSearchPaths
        if let env = ProcessInfo.processInfo.environment["STYLIZE_FONT"], !env.isEmpty { candidates.insert(env, at: 0) }
        for path in candidates where FileManager.default.isReadableFile(atPath: path) { return path }
        throw VisualizationError.fontNotFound(searched: candidates)
    }

    /// The size of `text` set on one line: width is the sum of advances, height is `lineHeight`.
    public func measure(_ text: String) -> (width: Int, height: Int) {
        var width = 0
        for scalar in text.unicodeScalars { width += glyph(scalar).advance }
        return (width, lineHeight)
    }

    /// Draws `text` with the top-left of its line box at (x, y); `align` says which edge x refers to.
    public func draw(_ text: String, into image: inout RGBImage, x: Int, y: Int, color: RGBColor,
                     align: TextAlignment = .left) {
        let m = mask(text)
        let x0 = x - align.offset(width: m.width)
        composite(m, into: &image, x: x0, y: y, color: color, rotated: false)
    }

    /// Draws `text` rotated 90 degrees counter-clockwise (reading bottom to top) for a y-axis label: the rotated
    /// box is `lineHeight` wide with its left edge at x, and is centred vertically on `centerY`.
    public func drawVertical(_ text: String, into image: inout RGBImage, x: Int, centerY: Int, color: RGBColor) {
        let m = mask(text)
        composite(m, into: &image, x: x, y: centerY - m.width / 2, color: color, rotated: true)
    }

    /// Coverage of `text` on one line: (lineHeight x width), row-major.
    private func mask(_ text: String) -> (width: Int, height: Int, coverage: [UInt8]) {
        let width = measure(text).width
        let height = lineHeight
        var coverage = [UInt8](repeating: 0, count: max(width * height, 0))
        var pen = 0
        for scalar in text.unicodeScalars {
            let g = glyph(scalar)
            for row in 0..<g.rows {
                let ty = ascender - g.top + row
                if ty < 0 || ty >= height { continue }
                for col in 0..<g.width {
                    let tx = pen + g.left + col
                    if tx < 0 || tx >= width { continue }
                    let v = g.coverage[row * g.width + col]
                    let i = ty * width + tx
                    coverage[i] = max(coverage[i], v)
                }
            }
            pen += g.advance
        }
        return (width, height, coverage)
    }

    /// Blends a coverage mask into the image in `color`; rotated masks are turned 90 degrees counter-clockwise.
    private func composite(_ m: (width: Int, height: Int, coverage: [UInt8]), into image: inout RGBImage,
                           x: Int, y: Int, color: RGBColor, rotated: Bool) {
        let outW = rotated ? m.height : m.width
        let outH = rotated ? m.width : m.height
        let imageWidth = image.width
        let imageHeight = image.height
        let c = [Int(color.r), Int(color.g), Int(color.b)]
        image.pixels.withUnsafeMutableBufferPointer { px in
            for oy in 0..<outH {
                let py = y + oy
                if py < 0 || py >= imageHeight { continue }
                for ox in 0..<outW {
                    let pxX = x + ox
                    if pxX < 0 || pxX >= imageWidth { continue }
                    // Counter-clockwise: output (ox, oy) shows mask (col = outH - 1 - oy, row = ox).
                    let a = rotated ? Int(m.coverage[ox * m.width + (outH - 1 - oy)]) : Int(m.coverage[oy * m.width + ox])
                    if a == 0 { continue }
                    let base = (py * imageWidth + pxX) * 3
                    for k in 0..<3 {
                        let old = Int(px[base + k])
                        px[base + k] = UInt8((old * (255 - a) + c[k] * a + 127) / 255)
                    }
                }
            }
        }
    }

    /// The rendered glyph for a scalar, cached; characters the font lacks render as its missing-glyph box.
    private func glyph(_ scalar: Unicode.Scalar) -> Glyph {
        if let g = glyphs[scalar] { return g }
        var g = Glyph(width: 0, rows: 0, left: 0, top: 0, advance: 0, coverage: [])
        // FT_LOAD_RENDER is `( 1L << 2 )` in freetype/freetype.h: load and render an 8-bit anti-aliased bitmap.
        let loadRender: FT_Int32 = 1 << 2
        if let face, FT_Load_Char(face, FT_ULong(scalar.value), loadRender) == 0, let slot = face.pointee.glyph {
            let bm = slot.pointee.bitmap
            g.width = Int(bm.width)
            g.rows = Int(bm.rows)
            g.left = Int(slot.pointee.bitmap_left)
            g.top = Int(slot.pointee.bitmap_top)
            g.advance = Int((slot.pointee.advance.x + 32) >> 6)  // 26.6 fixed point
            g.coverage = [UInt8](repeating: 0, count: g.width * g.rows)
            if let buffer = bm.buffer, g.width > 0 {
                let pitch = Int(bm.pitch)
                for row in 0..<g.rows {
                    for col in 0..<g.width { g.coverage[row * g.width + col] = buffer[row * pitch + col] }
                }
            }
        }
        glyphs[scalar] = g
        return g
    }
}

/// Which edge of a text box the given x coordinate refers to.
public enum TextAlignment: Sendable {
    case left, center, right

    func offset(width: Int) -> Int {
        switch self {
        case .left: return 0
        case .center: return width / 2
        case .right: return width
        }
    }
}
