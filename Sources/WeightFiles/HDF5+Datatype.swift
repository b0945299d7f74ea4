/// The element types the weight readers use (HDF5 specification IV.A.2.d): IEEE float32 and float64 of either
/// byte order, fixed-length strings (NUL- or space-padded) and variable-length strings (global heap references).
/// Every other type is decoded only far enough to name it in an error.
struct HDF5Datatype: Equatable {
    enum Kind: Equatable {
        case float(bigEndian: Bool)
        case fixedString(spacePadded: Bool)
        case variableString
        /// Anything else: the HDF5 class number.
        case other(Int)
    }

    let kind: Kind
    /// Bytes per stored element.
    let size: Int

    static let classNames = [0: "integer", 1: "floating point", 2: "time", 3: "string", 4: "bitfield", 5: "opaque",
                             6: "compound", 7: "reference", 8: "enum", 9: "variable-length", 10: "array"]

    /// "string", "float32 (big-endian)": for messages.
    var description: String {
        switch kind {
        case .float(let big): return "float\(size * 8)\(big ? " (big-endian)" : "")"
        case .fixedString: return "string of \(size) bytes"
        case .variableString: return "variable-length string"
        case .other(let c): return "\(Self.classNames[c] ?? "class \(c)") type"
        }
    }

    /// Decodes a datatype message body; `offsetSize` gives the size of a variable-length string reference.
    init(_ body: [UInt8], offsetSize: Int, lengthSize: Int) throws(FormatProblem) {
        var b = HDF5Bytes(body, offsetSize: offsetSize, lengthSize: lengthSize, what: "datatype message")
        let classAndVersion = try b.u8()
        let bits0 = try b.u8()
        try b.skip(2)
        size = try b.u32()
        guard size > 0 else { throw FormatProblem("datatype of size 0") }
        switch Int(classAndVersion & 0x0F) {
        case 1:
            // Bit offset, precision, exponent location and size, mantissa location and size: IEEE 754 only.
            let layout = [try b.u16(), try b.u16(), Int(try b.u8()), Int(try b.u8()), Int(try b.u8()), Int(try b.u8())]
            let ieee = size == 4 ? [0, 32, 23, 8, 0, 23] : size == 8 ? [0, 64, 52, 11, 0, 52] : []
            if layout == ieee && bits0 & 0x40 == 0 {
                kind = .float(bigEndian: bits0 & 0x01 != 0)
            } else {
                kind = .other(1)
            }
        case 3:
            kind = .fixedString(spacePadded: bits0 & 0x0F == 2)
        case 9 where bits0 & 0x0F == 1:
            guard size == 4 + offsetSize + 4 else {
                throw FormatProblem("variable-length string type of size \(size), expected \(4 + offsetSize + 4)")
            }
            kind = .variableString
        case let c:
            kind = .other(c)
        }
    }
}

/// The shape of a dataset or attribute (HDF5 specification IV.A.2.b): version 1 or 2, rank, flags, then the
/// dimensions as lengths (maximum dimensions after them are not needed). nil dims: the null dataspace (no elements).
struct HDF5Dataspace {
    let dims: [Int]?
    /// The number of elements, checked for overflow.
    let count: Int

    init(_ body: [UInt8], lengthSize: Int) throws(FormatProblem) {
        var b = HDF5Bytes(body, offsetSize: 8, lengthSize: lengthSize, what: "dataspace message")
        let version = try b.u8()
        let rank = Int(try b.u8())
        try b.skip(1)                                       // flags
        var isNull = false
        switch version {
        case 1: try b.skip(5)
        case 2: isNull = try b.u8() == 2
        default: throw FormatProblem("dataspace message version \(version) is not supported")
        }
        guard rank <= HDF5File.maxRank else { throw FormatProblem("dataspace of rank \(rank) (at most \(HDF5File.maxRank))") }
        var dims: [Int] = []
        var count = 1
        for _ in 0..<rank {
            let d = try b.length("dimension")
            guard let product = checkedProduct(count, d) else { throw FormatProblem("dataspace has more elements than a 64-bit count holds") }
            dims.append(d)
            count = product
        }
        self.dims = isNull ? nil : dims
        self.count = isNull ? 0 : count
    }
}
