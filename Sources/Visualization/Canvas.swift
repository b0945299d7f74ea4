import Imaging

/// An RGB image being drawn on: filled rectangles, anti-aliased lines, scaled blits and text.
///
/// Coordinates are pixels, x to the right and y down; everything is clipped to the image.
public struct Canvas {
    public var image: RGBImage

    /// A canvas of `width` x `height` filled with `background`.
    public init(width: Int, height: Int, background: RGBColor = .white) {
        image = RGBImage(width: width, height: height)
        fill(x: 0, y: 0, width: width, height: height, color: background)
    }

    public var width: Int { image.width }
    public var height: Int { image.height }

    /// Fills the rectangle with top-left (x, y), clipped to the canvas.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: RGBColor) {
        let x0 = max(x, 0), x1 = min(x + w, image.width)
        let y0 = max(y, 0), y1 = min(y + h, image.height)
        if x0 >= x1 || y0 >= y1 { return }
        let imageWidth = image.width
        image.pixels.withUnsafeMutableBufferPointer { px in
            for yy in y0..<y1 {
                for xx in x0..<x1 {
                    let i = (yy * imageWidth + xx) * 3
                    px[i] = color.r
                    px[i + 1] = color.g
                    px[i + 2] = color.b
                }
            }
        }
    }

    /// Draws the 1-pixel outline of a rectangle.
    public mutating func strokeRect(x: Int, y: Int, width w: Int, height h: Int, color: RGBColor) {
        fill(x: x, y: y, width: w, height: 1, color: color)
        fill(x: x, y: y + h - 1, width: w, height: 1, color: color)
        fill(x: x, y: y, width: 1, height: h, color: color)
        fill(x: x + w - 1, y: y, width: 1, height: h, color: color)
    }

    /// Mixes `color` into pixel (x, y) with opacity `alpha` in 0...1.
    public mutating func blend(x: Int, y: Int, color: RGBColor, alpha: Double) {
        if x < 0 || y < 0 || x >= image.width || y >= image.height || alpha <= 0 { return }
        let a = min(alpha, 1)
        let i = (y * image.width + x) * 3
        let c = [color.r, color.g, color.b]
        for k in 0..<3 {
            let old = Double(image.pixels[i + k])
            image.pixels[i + k] = UInt8((old + a * (Double(c[k]) - old)).rounded())
        }
    }

    /// Draws an anti-aliased line of `lineWidth` pixels between pixel centres (x0, y0) and (x1, y1).
    ///
    /// Each pixel near the segment gets coverage `clamp(lineWidth / 2 + 0.5 - distance, 0, 1)`, where distance is
    /// from the pixel centre to the segment: a box-filtered approximation that is exact for axis-aligned lines.
    public mutating func line(from p0: (x: Double, y: Double), to p1: (x: Double, y: Double), color: RGBColor,
                              lineWidth: Double = 1.5) {
        let r = lineWidth / 2 + 0.5
        let minX = max(Int((min(p0.x, p1.x) - r).rounded(.down)), 0)
        let maxX = min(Int((max(p0.x, p1.x) + r).rounded(.up)), image.width - 1)
        let minY = max(Int((min(p0.y, p1.y) - r).rounded(.down)), 0)
        let maxY = min(Int((max(p0.y, p1.y) + r).rounded(.up)), image.height - 1)
        if minX > maxX || minY > maxY { return }
        let dx = p1.x - p0.x, dy = p1.y - p0.y
        let len2 = dx * dx + dy * dy
        for y in minY...maxY {
            for x in minX...maxX {
                let px = Double(x), py = Double(y)
                var t = len2 > 0 ? ((px - p0.x) * dx + (py - p0.y) * dy) / len2 : 0
                t = min(max(t, 0), 1)
                let ex = p0.x + t * dx - px, ey = p0.y + t * dy - py
                let coverage = r - (ex * ex + ey * ey).squareRoot()
                if coverage > 0 { blend(x: x, y: y, color: color, alpha: coverage) }
            }
        }
    }

    /// Copies `source` into the rectangle at (x, y) of size `width` x `height`, scaled by nearest neighbour.
    ///
    /// Nearest neighbour keeps each value of a small feature map or Gram matrix a sharp block when upscaled.
    public mutating func blit(_ source: RGBImage, x: Int, y: Int, width w: Int, height h: Int) {
        if w <= 0 || h <= 0 || source.width == 0 || source.height == 0 { return }
        let imageWidth = image.width, imageHeight = image.height
        source.pixels.withUnsafeBufferPointer { src in
            image.pixels.withUnsafeMutableBufferPointer { dst in
                for oy in 0..<h {
                    let py = y + oy
                    if py < 0 || py >= imageHeight { continue }
                    let sy = oy * source.height / h
                    for ox in 0..<w {
                        let px = x + ox
                        if px < 0 || px >= imageWidth { continue }
                        let sx = ox * source.width / w
                        let s = (sy * source.width + sx) * 3
                        let d = (py * imageWidth + px) * 3
                        dst[d] = src[s]
                        dst[d + 1] = src[s + 1]
                        dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
    }

    /// Draws `text` with its line box's top-left (or centre/right, by `align`) at (x, y).
    public mutating func text(_ text: String, _ renderer: TextRenderer, x: Int, y: Int, color: RGBColor = .black,
                              align: TextAlignment = .left) {
        renderer.draw(text, into: &image, x: x, y: y, color: color, align: align)
    }

    /// Copies `source` unscaled with its top-left at (x, y).
    public mutating func paste(_ source: RGBImage, x: Int, y: Int) {
        blit(source, x: x, y: y, width: source.width, height: source.height)
    }
}
