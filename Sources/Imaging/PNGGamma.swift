/// The PNG gamma policy: a file's `gAMA` chunk is not applied; samples are used as stored.
///
/// Two conventions exist. A viewer applies `gAMA` to show the file as its author meant; the readers the network's
/// reference numbers come from (Keras' `load_img` through PIL, torchvision through PIL, OpenCV) ignore it and hand
/// over the stored samples. stylize feeds the network what those readers feed it, so a PNG gives the same tensor
/// here as in Keras or PyTorch. For the common `gAMA` 0.45455 (sRGB-like) both conventions agree; for `gAMA` 1.0
/// (PngSuite's basic images, some scientific and rendered files) a viewer brightens mid-tones by up to 72 levels.
///
/// libpng's simplified reader always applies `gAMA`, so the chunk is removed before decoding: without it, 8-bit
/// files are read as sRGB into 8-bit sRGB output and 16-bit files as linear into linear output, which leaves every
/// sample as stored (16-bit samples scaled to 8 bits by round(v / 257)).
enum PNGGamma {
    /// `bytes` without its `gAMA` chunk (nil when it has none, so the usual file is not copied). Only the chunks
    /// before the first `IDAT` are looked at (`gAMA` must precede it); a malformed chunk list is left to libpng,
    /// which reports it.
    static func removingGammaChunk(_ bytes: [UInt8]) -> [UInt8]? {
        var offset = 8   // after the signature
        while offset + 8 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
                | Int(bytes[offset + 3])
            let type = (bytes[offset + 4], bytes[offset + 5], bytes[offset + 6], bytes[offset + 7])
            // Length (4) + type (4) + data + CRC (4), with the length checked against what the file holds.
            let (dataEnd, overflow) = (offset + 8).addingReportingOverflow(length)
            guard !overflow, length <= Int(Int32.max), dataEnd <= bytes.count - 4 else { return nil }
            let next = dataEnd + 4
            if type == (0x67, 0x41, 0x4D, 0x41) {   // "gAMA"
                return Array(bytes[..<offset]) + Array(bytes[next...])
            }
            if type == (0x49, 0x44, 0x41, 0x54) { return nil }   // "IDAT": no gAMA before the image data
            offset = next
        }
        return nil
    }
}
