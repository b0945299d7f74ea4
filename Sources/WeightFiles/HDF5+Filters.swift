import CZlib

/// The filters Keras and h5py files use (HDF5 filter ids 1-3): deflate (zlib streams), shuffle (byte planes) and
/// Fletcher-32 (a 4-byte checksum after the data, dropped here, not verified).
extension HDF5File {
    /// Undoes `filters` in reverse order, skipping those the chunk's mask marks as not applied; the result must be
    /// exactly `size` bytes, the chunk's unfiltered size.
    func unfilter(_ stored: [UInt8], _ filters: [HDF5Dataset.Filter], mask: UInt32, size: Int,
                  elementSize: Int) throws(FormatProblem) -> [UInt8] {
        var data = stored
        for (i, filter) in filters.enumerated().reversed() where i >= 32 || mask & (1 << UInt32(i)) == 0 {
            switch filter.id {
            case HDF5Dataset.Filter.deflate: data = try Self.inflate(data, size: size)
            case HDF5Dataset.Filter.shuffle: data = Self.unshuffle(data, elementSize: elementSize)
            default:
                guard data.count >= 4 else { throw FormatProblem("chunk too short for its Fletcher-32 checksum") }
                data.removeLast(4)
            }
        }
        guard data.count == size else { throw FormatProblem("chunk holds \(data.count) bytes after its filters, expected \(size)") }
        return data
    }

    /// A zlib stream that must decompress to exactly `size` bytes.
    static func inflate(_ input: [UInt8], size: Int) throws(FormatProblem) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var length = uLong(size)
        let status = out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { i in uncompress(o.baseAddress, &length, i.baseAddress, uLong(i.count)) }
        }
        guard status == Z_OK, length == uLong(size) else {
            throw FormatProblem(status == Z_OK || status == Z_BUF_ERROR
                              ? "deflated chunk does not decompress to its \(size) bytes"
                              : "deflated chunk is damaged (zlib error \(status))")
        }
        return out
    }

    /// Reverses HDF5's shuffle: byte j of element i was stored at `j * n + i`; a remainder stays at the end.
    static func unshuffle(_ input: [UInt8], elementSize: Int) -> [UInt8] {
        guard elementSize > 1 else { return input }
        let n = input.count / elementSize
        var out = input
        for j in 0..<elementSize {
            for i in 0..<n { out[i * elementSize + j] = input[j * n + i] }
        }
        return out
    }
}
