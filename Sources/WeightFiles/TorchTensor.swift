/// Element types of torch storages, by the storage class name `torch.save` pickles (`torch.FloatStorage`, ...).
enum TorchDType: String, Equatable {
    case float32, float16, bfloat16, float64, uint8, int8, int16, int32, int64, bool

    init?(storageName: String) {
        let names: [String: TorchDType] = [
            "FloatStorage": .float32, "HalfStorage": .float16, "BFloat16Storage": .bfloat16, "DoubleStorage": .float64,
            "ByteStorage": .uint8, "CharStorage": .int8, "ShortStorage": .int16, "IntStorage": .int32,
            "LongStorage": .int64, "BoolStorage": .bool]
        guard let dtype = names[storageName] else { return nil }
        self = dtype
    }

    var size: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .float16, .bfloat16, .int16: return 2
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        }
    }

    /// The types `floats` converts (the integer ones other than uint8 are not weights).
    var isReadable: Bool { [.float32, .float16, .bfloat16, .float64, .uint8].contains(self) }

    /// The first `count` little-endian values of this (readable) type in `raw`, as Float: the one decoding of
    /// `torch.save` storages and safetensors tensors.
    func floats(_ raw: [UInt8], count: Int) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        raw.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            values.withUnsafeMutableBufferPointer { dst in
                switch self {
                case .float32: for i in 0..<count { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                case .float16: for i in 0..<count { dst[i] = Float(Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
                case .bfloat16: for i in 0..<count { dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
                case .float64: for i in 0..<count { dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
                default: for i in 0..<count { dst[i] = Float(src[i]) }   // uint8
                }
            }
        }
        return values
    }
}

/// A storage as a persistent id names it: `('storage', torch.FloatStorage, key, location, count)`.
struct TorchStorageRef: Equatable {
    let key: String
    let dtype: TorchDType
    /// Elements (not bytes).
    let count: Int
}

/// A tensor as `torch._utils._rebuild_tensor_v2(storage, offset, shape, strides, ...)` describes it.
struct TorchTensorRef: Equatable {
    let storage: TorchStorageRef
    let offset: Int
    let shape: [Int]
    let strides: [Int]

    /// The element count and the storage elements `offset ..< end` the tensor reaches, every product and sum
    /// overflow-checked; nil when the numbers are negative, mismatched or overflow.
    var extent: (count: Int, end: Int)? {
        guard shape.count == strides.count, shape.count <= 8, offset >= 0,
              shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else { return nil }
        var count = 1, last = offset
        for (n, s) in zip(shape, strides) {
            let (c, o1) = count.multipliedReportingOverflow(by: n)
            guard !o1 else { return nil }
            count = c
            if n > 0 {
                let (step, o2) = (n - 1).multipliedReportingOverflow(by: s)
                let (l, o3) = last.addingReportingOverflow(step)
                guard !o2, !o3 else { return nil }
                last = l
            }
        }
        let (end, o4) = last.addingReportingOverflow(1)
        guard !o4 else { return nil }
        return (count, count == 0 ? offset : end)
    }

    /// Row-major strides: the tensor's elements are `offset ..< offset + count` in order (for a tensor whose
    /// `extent` is valid and not empty, so no product below overflows).
    var isContiguous: Bool {
        var expected = 1
        for (n, s) in zip(shape, strides).reversed() {
            if n != 1 && s != expected { return false }
            expected = expected.multipliedReportingOverflow(by: n).partialValue
        }
        return true
    }
}
