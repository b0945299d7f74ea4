// EXIF orientation: tag 0x0112 of IFD0 (Exif 2.32 / TIFF 6.0, section "Orientation").
// 1 as stored, 2 mirrored left-right, 3 rotated 180, 4 mirrored top-bottom, 5 transposed (mirror across the
// main diagonal), 6 needs a 90 degree clockwise turn, 7 transversed, 8 needs a 90 degree counter-clockwise turn.

/// Parsing of the EXIF orientation tag and the pixel transforms it asks for.
public enum ExifOrientation {
    /// The orientation (1...8) stored in an Exif APP1 payload (the TIFF structure after "Exif\0\0"), or nil when
    /// the payload has no valid orientation tag. Both byte orders ("II" little-endian, "MM" big-endian) are read;
    /// every offset is bounds-checked, so any byte string is safe.
    public static func parse(_ tiff: [UInt8]) -> Int? {
        guard tiff.count >= 8 else { return nil }
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ i: Int) -> Int? {
            guard i >= 0, i + 2 <= tiff.count else { return nil }
            let a = Int(tiff[i]), b = Int(tiff[i + 1])
            return little ? a | b << 8 : a << 8 | b
        }
        func u32(_ i: Int) -> Int? {
            guard let lo = u16(little ? i : i + 2), let hi = u16(little ? i + 2 : i) else { return nil }
            return hi << 16 | lo
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for entry in 0..<count {
            let at = ifd + 2 + 12 * entry
            guard let tag = u16(at) else { return nil }
            if tag == 0x0112 {
                // Type SHORT (3), count 1: the value sits in the first two bytes of the value field.
                guard u16(at + 2) == 3, let value = u16(at + 8), (1...8).contains(value) else { return nil }
                return value
            }
        }
        return nil
    }
}

extension RGBImage {
    /// The image turned as EXIF `orientation` (1...8) asks, so it displays upright. Orientations 5...8 swap
    /// width and height. Values outside 1...8 return the image unchanged.
    public func applyingOrientation(_ orientation: Int) -> RGBImage {
        guard (2...8).contains(orientation) else { return self }
        let w = width, h = height
        let swaps = orientation >= 5
        let outWidth = swaps ? h : w, outHeight = swaps ? w : h
        var result = RGBImage(width: outWidth, height: outHeight)
        pixels.withUnsafeBufferPointer { src in
            result.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        // (sx, sy): the stored pixel shown at display position (x, y).
                        let sx: Int, sy: Int
                        switch orientation {
                        case 2: (sx, sy) = (w - 1 - x, y)
                        case 3: (sx, sy) = (w - 1 - x, h - 1 - y)
                        case 4: (sx, sy) = (x, h - 1 - y)
                        case 5: (sx, sy) = (y, x)
                        case 6: (sx, sy) = (y, h - 1 - x)
                        case 7: (sx, sy) = (w - 1 - y, h - 1 - x)
                        default: (sx, sy) = (w - 1 - y, x)   // 8
                        }
                        let s = (sy * w + sx) * 3, d = (y * outWidth + x) * 3
                        dst[d] = src[s]
                        dst[d + 1] = src[s + 1]
                        dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return result
    }
}
