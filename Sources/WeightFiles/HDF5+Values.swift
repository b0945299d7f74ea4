/// Reading a dataset's values: the stored bytes (compact, contiguous or chunked) converted to float32.
extension HDF5File {
    /// All values of `dataset` as float32, row-major. Only float32 and float64 datasets are read.
    func floats(of dataset: HDF5Dataset) throws(FormatProblem) -> [Float] {
        guard case .float(let bigEndian) = dataset.type.kind else {
            throw FormatProblem("dataset holds \(dataset.type.description) values, not float32 or float64")
        }
        guard dataset.count <= Self.maxElements else {
            throw FormatProblem("dataset of shape \(dataset.shape) is too large (over \(Self.maxElements) values)")
        }
        let bytes = try storedBytes(of: dataset)
        return Self.convert(bytes, count: dataset.count, size: dataset.type.size, bigEndian: bigEndian)
    }

    /// The dataset's values as stored, `count * elementSize` bytes in row-major order; never-written storage holds
    /// the fill value.
    func storedBytes(of dataset: HDF5Dataset) throws(FormatProblem) -> [UInt8] {
        guard let total = checkedProduct(dataset.count, dataset.type.size) else { throw FormatProblem("dataset size overflows") }
        switch dataset.layout {
        case .compact(let data):
            guard data.count >= total else { throw FormatProblem("compact data holds \(data.count) bytes, the shape needs \(total)") }
            return Array(data.prefix(total))
        case .contiguous(let address, let size):
            guard let address else { return dataset.filled(dataset.count) }
            guard size >= total else { throw FormatProblem("storage of \(size) bytes, the shape needs \(total)") }
            return try read(address, count: total, "dataset values at address \(address)", metadata: false).bytes
        case .chunked(let chunk, let index):
            return try chunkedBytes(dataset, chunk: chunk, index: index, total: total)
        }
    }

    /// float32 or float64 bytes of either order to float32 (float64 rounds to nearest, as HDF5's conversion does).
    static func convert(_ bytes: [UInt8], count: Int, size: Int, bigEndian: Bool) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer { out in
                if size == 4 {
                    for i in 0..<count {
                        let bits = raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                        out[i] = Float(bitPattern: bigEndian ? UInt32(bigEndian: bits) : UInt32(littleEndian: bits))
                    }
                } else {
                    for i in 0..<count {
                        let bits = raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
                        out[i] = Float(Double(bitPattern: bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits)))
                    }
                }
            }
        }
        return values
    }
}
