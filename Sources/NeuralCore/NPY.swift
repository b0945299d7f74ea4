/// NumPy's `.npy` format, version 1.0 (numpy.lib.format): little-endian float32 or int64 arrays that
/// `numpy.load` reads back with their shape.
public enum NPY {
    /// The bytes of a `.npy` file holding `values` with `shape`, C order, dtype `<f4`.
    public static func encode(_ values: [Float], shape: [Int]) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count, "npy: shape \(shape) does not hold \(values.count) values")
        var bytes = header(descr: "<f4", shape: shape)
        bytes.reserveCapacity(bytes.count + 4 * values.count)
        for v in values { appendLittleEndian(UInt64(v.bitPattern), bytes: 4, to: &bytes) }
        return bytes
    }

    /// The bytes of a `.npy` file holding integer `values` with `shape`, C order, dtype `<i8` (numpy's default
    /// integer: indices such as a channel order load as `int64` and index arrays directly).
    public static func encode(_ values: [Int], shape: [Int]) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count, "npy: shape \(shape) does not hold \(values.count) values")
        var bytes = header(descr: "<i8", shape: shape)
        bytes.reserveCapacity(bytes.count + 8 * values.count)
        for v in values { appendLittleEndian(UInt64(bitPattern: Int64(v)), bytes: 8, to: &bytes) }
        return bytes
    }

    /// Magic (6) + version (2) + header length (2) + the header dictionary, padded with spaces and a newline to a
    /// multiple of 64.
    private static func header(descr: String, shape: [Int]) -> [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = UInt16(header.utf8.count)
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        return bytes
    }

    private static func appendLittleEndian(_ value: UInt64, bytes count: Int, to bytes: inout [UInt8]) {
        for i in 0 ..< count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    /// The `(1, H, W, C)` activation of one image, as Keras' `model.predict` returns it.
    public static func encode(_ tensor: Tensor) -> [UInt8] {
        encode(tensor.data, shape: [1, tensor.height, tensor.width, tensor.channels])
    }
}
