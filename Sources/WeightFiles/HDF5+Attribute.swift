/// An attribute message (HDF5 specification IV.A.2.m): name, datatype, dataspace and the raw values.
/// Version 1 pads the name, type and space to 8 bytes; versions 2 and 3 do not (3 adds the name's encoding).
struct HDF5Attribute {
    let name: String
    let type: HDF5Datatype
    let space: HDF5Dataspace
    let data: [UInt8]

    init(_ body: [UInt8], offsetSize: Int, lengthSize: Int) throws(FormatProblem) {
        var b = HDF5Bytes(body, offsetSize: offsetSize, lengthSize: lengthSize, what: "attribute message")
        let version = try b.u8()
        guard (1...3).contains(version) else { throw FormatProblem("attribute message version \(version) is not supported") }
        let flags = try b.u8()
        guard flags & 0x03 == 0 else { throw FormatProblem("attributes with shared types or shapes are not supported") }
        let nameSize = try b.u16(), typeSize = try b.u16(), spaceSize = try b.u16()
        if version == 3 { try b.skip(1) }
        /// The next field of `n` bytes, and its padding to 8 in version 1.
        func field(_ n: Int) throws(FormatProblem) -> [UInt8] {
            let bytes = try b.take(n)
            try b.skip(version == 1 ? (n + 7) / 8 * 8 - n : 0)
            return bytes
        }
        name = String(decoding: try field(nameSize).prefix { $0 != 0 }, as: UTF8.self)
        let typeBytes = try field(typeSize), spaceBytes = try field(spaceSize)
        type = try HDF5Datatype(typeBytes, offsetSize: offsetSize, lengthSize: lengthSize)
        space = try HDF5Dataspace(spaceBytes, lengthSize: lengthSize)
        guard let bytes = checkedProduct(space.count, type.size), bytes <= b.remaining else {
            throw FormatProblem("attribute \(name): \(space.count) values of \(type.size) bytes do not fit its message")
        }
        data = try b.take(bytes)
    }

    /// Just the name of an attribute message, to find one without decoding the others.
    static func name(of body: [UInt8]) -> String? {
        guard body.count >= 8, (1...3).contains(body[0]) else { return nil }
        let size = Int(body[2]) | Int(body[3]) << 8
        let start = body[0] == 3 ? 9 : 8
        guard start + size <= body.count else { return nil }
        return String(decoding: body[start ..< start + size].prefix { $0 != 0 }, as: UTF8.self)
    }
}

extension HDF5ObjectHeader {
    /// The attribute `name`, or nil. Attributes kept in dense storage (a fractal heap, used by HDF5 for more than 8
    /// attributes or one over 64 KiB in the 1.8 format) are refused rather than searched.
    func attribute(named name: String, in file: HDF5File) throws(FormatProblem) -> HDF5Attribute? {
        for message in messages where message.type == HDF5Message.attribute && HDF5Attribute.name(of: message.body) == name {
            guard !message.isShared else { throw FormatProblem("shared attribute messages are not supported") }
            return try HDF5Attribute(message.body, offsetSize: file.superblock.offsetSize, lengthSize: file.superblock.lengthSize)
        }
        if let info = messages.first(where: { $0.type == HDF5Message.attributeInfo }) {
            var b = HDF5Bytes(info.body, offsetSize: file.superblock.offsetSize, lengthSize: file.superblock.lengthSize,
                              what: "attribute info message")
            try b.skip(1)
            let flags = try b.u8()
            if flags & 0x01 != 0 { try b.skip(2) }
            if try b.address() != nil {
                throw FormatProblem("attributes in dense storage (more than 8, or one over 64 KiB) are not supported")
            }
        }
        return nil
    }
}

extension HDF5File {
    /// The strings of a string attribute (fixed-length: up to the first NUL, trailing spaces trimmed when
    /// space-padded; variable-length: read from the global heap). An attribute with no values gives `[]`.
    func strings(of attribute: HDF5Attribute) throws(FormatProblem) -> [String] {
        let count = attribute.space.count
        if count == 0 { return [] }
        guard count <= Self.maxAttributeStrings else {
            throw FormatProblem("attribute \(attribute.name) holds too many strings (\(count), at most \(Self.maxAttributeStrings))")
        }
        var strings: [String] = []
        var total = 0
        let size = attribute.type.size
        for i in 0..<count {
            let element = attribute.data[i * size ..< (i + 1) * size]
            var bytes: ArraySlice<UInt8>
            switch attribute.type.kind {
            case .fixedString(let spacePadded):
                bytes = element.prefix { $0 != 0 }
                if spacePadded { while bytes.last == 0x20 { bytes = bytes.dropLast() } }
            case .variableString:
                var b = HDF5Bytes(Array(element), offsetSize: superblock.offsetSize, lengthSize: superblock.lengthSize,
                                  what: "attribute \(attribute.name)")
                let length = try b.u32()
                let collection = try b.address()
                let index = try b.u32()
                if length == 0 || collection == nil { bytes = [] } else {
                    let object = try globalHeapObject(collection: collection!, index: index)
                    guard length <= object.count else {
                        throw FormatProblem("attribute \(attribute.name): string of \(length) bytes in a heap object of \(object.count)")
                    }
                    bytes = object.prefix(length).prefix { $0 != 0 }
                }
            default:
                throw FormatProblem("attribute \(attribute.name) is not a string (\(attribute.type.description))")
            }
            total += bytes.count + 1
            guard total <= Self.maxAttributeBytes else {
                throw FormatProblem("attribute \(attribute.name) is too large (over \(Self.maxAttributeBytes >> 20) MiB)")
            }
            strings.append(String(decoding: bytes, as: UTF8.self))
        }
        return strings
    }
}
