/// One header message: its type (HDF5 specification IV.A.2), flags and body bytes.
struct HDF5Message {
    static let dataspace = 0x01, linkInfo = 0x02, datatype = 0x03, externalFiles = 0x07, layout = 0x08
    static let link = 0x06, filters = 0x0B, attribute = 0x0C, continuation = 0x10, symbolTable = 0x11
    static let attributeInfo = 0x15

    let type: Int
    let flags: UInt8
    let body: [UInt8]
    /// Bit 1 of the flags: the body is a reference to a message stored elsewhere (not supported).
    var isShared: Bool { flags & 0x02 != 0 }
}

/// An object header: the messages that describe a group or a dataset, gathered from its first block and every
/// continuation block.
///
/// Version 1 (HDF5 1.6-1.10 defaults): a 16-byte prefix (version, message count, reference count, size), then
/// messages of 8-byte type/size/flags headers, each body padded to 8 bytes; continuation blocks hold bare messages.
/// Version 2 ("OHDR"): optional times and attribute limits, a 1-8-byte size, messages with 4-byte (or 6 with
/// creation order) headers, a checksum; continuation blocks start with "OCHK". Checksums are not verified:
/// every field is bounds-checked instead.
struct HDF5ObjectHeader {
    let address: UInt64
    let messages: [HDF5Message]

    var isGroup: Bool { messages.contains { $0.type == HDF5Message.symbolTable || $0.type == HDF5Message.linkInfo } }
    var isDataset: Bool { messages.contains { $0.type == HDF5Message.layout } }

    /// The first message of `type`, refusing a shared one.
    func message(_ type: Int, _ what: String) throws(FormatProblem) -> HDF5Message? {
        guard let found = messages.first(where: { $0.type == type }) else { return nil }
        guard !found.isShared else { throw FormatProblem("shared \(what) messages are not supported") }
        return found
    }

    /// Decodes the header at `address`.
    init(at address: UInt64, in file: HDF5File) throws(FormatProblem) {
        self.address = address
        var messages: [HDF5Message] = []
        var pending: [(address: UInt64, length: Int, first: Bool)] = []
        var seen: Set<UInt64> = [address]
        let probe = try file.readPrefix(address, limit: 40, "object header at address \(address)")
        let isVersion2 = probe.bytes.starts(with: Array("OHDR".utf8))
        var creationOrder = false

        // The first block.
        var block: HDF5Bytes
        if isVersion2 {
            var p = probe
            try p.skip(4)
            let version = try p.u8()
            guard version == 2 else { throw FormatProblem("object header at address \(address) has version \(version)") }
            let flags = try p.u8()
            creationOrder = flags & 0x04 != 0
            if flags & 0x20 != 0 { try p.skip(16) }       // access, modification, change, birth times
            if flags & 0x10 != 0 { try p.skip(4) }        // attribute phase change values
            let size = try p.int(1 << Int(flags & 0x03), "chunk size")
            guard let total = checkedSum(p.at, size), let withSum = checkedSum(total, 4) else {
                throw FormatProblem("object header at address \(address) has size \(size)")
            }
            let whole = try file.read(address, count: withSum, "object header at address \(address)")
            block = HDF5Bytes(Array(whole.bytes[p.at ..< total]), offsetSize: whole.offsetSize, lengthSize: whole.lengthSize,
                              what: "object header at address \(address)")
        } else {
            var p = probe
            let version = try p.u8()
            guard version == 1 else { throw FormatProblem("no object header at address \(address) (version byte \(version))") }
            try p.skip(1 + 2 + 4)                           // reserved, message count, reference count
            let size = try p.u32()
            guard let next = checkedSum(Int(address), 16) else { throw FormatProblem("object header address \(address) overflows") }
            block = try file.read(UInt64(next), count: size, "object header at address \(address)")
        }

        var blocks = 1
        while true {
            let headerSize = isVersion2 ? (creationOrder ? 6 : 4) : 8
            while block.remaining >= headerSize {
                let type: Int, size: Int, flags: UInt8
                if isVersion2 {
                    type = Int(try block.u8())
                    size = try block.u16()
                    flags = try block.u8()
                    if creationOrder { try block.skip(2) }
                } else {
                    type = try block.u16()
                    size = try block.u16()
                    flags = try block.u8()
                    try block.skip(3)
                }
                let body = try block.take(size)
                if !isVersion2 { try block.skip(min((8 - size % 8) % 8, block.remaining)) }
                guard messages.count < HDF5File.maxHeaderMessages else {
                    throw FormatProblem("object header at address \(address) has more than \(HDF5File.maxHeaderMessages) messages")
                }
                if type == HDF5Message.continuation {
                    var c = HDF5Bytes(body, offsetSize: block.offsetSize, lengthSize: block.lengthSize,
                                      what: "continuation message in object header at address \(address)")
                    guard let next = try c.address() else { continue }
                    let length = try c.length("continuation length")
                    guard seen.insert(next).inserted else {
                        throw FormatProblem("object header at address \(address) continues into a block it has already read")
                    }
                    pending.append((next, length, false))
                } else if type != 0 {                       // 0: NIL (free space)
                    messages.append(HDF5Message(type: type, flags: flags, body: body))
                }
            }
            guard !pending.isEmpty else { break }
            let next = pending.removeFirst()
            blocks += 1
            guard blocks <= HDF5File.maxHeaderBlocks else {
                throw FormatProblem("object header at address \(address) has more than \(HDF5File.maxHeaderBlocks) blocks")
            }
            let what = "object header continuation at address \(next.address)"
            var raw = try file.read(next.address, count: next.length, what)
            if isVersion2 {
                try raw.signature("OCHK")
                guard next.length >= 8 else { throw FormatProblem("\(what) is too short") }
                raw = HDF5Bytes(Array(raw.bytes[4 ..< next.length - 4]), offsetSize: raw.offsetSize,
                                lengthSize: raw.lengthSize, what: what)
            }
            block = raw
        }
        self.messages = messages
    }
}

extension HDF5File {
    /// The object header at `address`, decoded once and cached.
    func objectHeader(at address: UInt64) throws(FormatProblem) -> HDF5ObjectHeader {
        if let cached = headers[address] { return cached }
        let header = try HDF5ObjectHeader(at: address, in: self)
        headers[address] = header
        return header
    }
}
