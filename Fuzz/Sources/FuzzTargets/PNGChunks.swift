/// PNG chunk CRCs, so that mutated PNGs reach the decoder instead of stopping at libpng's CRC check.
///
/// A PNG is the 8-byte signature followed by chunks: length (4 bytes, big-endian), type (4), data (length),
/// CRC-32 of type and data (4) (PNG specification, 5.3). The rewrite is idempotent, so an input saved after it
/// replays identically.
enum PNGChunks {
    /// `bytes` with the CRC of every complete chunk recomputed; anything after the last complete chunk is kept.
    static func withValidCRCs(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        var at = 8
        while at + 12 <= out.count {
            let length = Int(out[at]) << 24 | Int(out[at + 1]) << 16 | Int(out[at + 2]) << 8 | Int(out[at + 3])
            let (end, overflow) = (at + 8).addingReportingOverflow(length)
            guard !overflow, end + 4 <= out.count else { break }
            let crc = crc32(out[(at + 4)..<end])
            out[end] = UInt8(crc >> 24)
            out[end + 1] = UInt8(crc >> 16 & 0xFF)
            out[end + 2] = UInt8(crc >> 8 & 0xFF)
            out[end + 3] = UInt8(crc & 0xFF)
            at = end + 4
        }
        return out
    }

    /// CRC-32 with the polynomial 0xEDB88320 (reflected), as PNG and zlib use it.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}
