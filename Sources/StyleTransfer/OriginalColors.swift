import Imaging

/// Colour preservation by luminance-only transfer (Gatys, Bethge, Hertzmann & Shechtman,
/// "Preserving Color in Neural Artistic Style Transfer", 2016): the result keeps its luminance
/// and takes the chroma of the content image, in BT.601 YCbCr.
public enum OriginalColors {
    /// - Parameters:
    ///   - stylized: the stylized image.
    ///   - content: the content image at the same size.
    public static func apply(stylized: RGBImage, content: RGBImage) -> RGBImage {
        precondition(stylized.width == content.width && stylized.height == content.height, "images differ in size")
        var out = stylized
        for p in 0..<(stylized.width * stylized.height) {
            let s = (Double(stylized.pixels[3 * p]), Double(stylized.pixels[3 * p + 1]), Double(stylized.pixels[3 * p + 2]))
            let c = (Double(content.pixels[3 * p]), Double(content.pixels[3 * p + 1]), Double(content.pixels[3 * p + 2]))
            let y = 0.299 * s.0 + 0.587 * s.1 + 0.114 * s.2
            let cb = -0.168736 * c.0 - 0.331264 * c.1 + 0.5 * c.2
            let cr = 0.5 * c.0 - 0.418688 * c.1 - 0.081312 * c.2
            let rgb = (y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb)
            out.pixels[3 * p] = clampByte(rgb.0)
            out.pixels[3 * p + 1] = clampByte(rgb.1)
            out.pixels[3 * p + 2] = clampByte(rgb.2)
        }
        return out
    }

    private static func clampByte(_ v: Double) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }
}
