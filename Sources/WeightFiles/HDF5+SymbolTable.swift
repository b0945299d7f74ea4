/// Old-style groups (HDF5 specification III.A-C): the symbol table message gives a v1 B-tree of symbol table
/// nodes ("SNOD", each a list of entries: name offset, object header address, cache type, scratch pad) and a
/// local heap ("HEAP") holding the names. Cache type 2 marks a soft link.
extension HDF5File {
    func symbolTableLinks(_ body: [UInt8]) throws(FormatProblem) -> [String: HDF5Link] {
        var b = HDF5Bytes(body, offsetSize: superblock.offsetSize, lengthSize: superblock.lengthSize, what: "symbol table message")
        guard let tree = try b.address(), let heapAddress = try b.address() else { throw FormatProblem("symbol table message has no B-tree or heap") }
        let names = try localHeap(at: heapAddress)
        var links: [String: HDF5Link] = [:]
        let entrySize = 2 * superblock.offsetSize + 24
        try walkBTree1(at: tree, type: 0, keySize: superblock.lengthSize) { (_: [UInt8], node: UInt64) throws(FormatProblem) in
            let what = "symbol table node at address \(node)"
            var head = try read(node, count: 8, what)
            try head.signature("SNOD")
            try head.skip(2)                                // version, reserved
            let count = try head.u16()
            var s = try read(node, count: 8 + count * entrySize, what)
            try s.skip(8)
            for _ in 0..<count {
                let nameOffset = try s.int(superblock.offsetSize, "name offset")
                let address = try s.address()
                let cacheType = try s.u32()
                try s.skip(4 + 16)
                let name = try Self.heapString(names, at: nameOffset, what)
                if cacheType == 2 {
                    links[name] = .soft
                } else if let address {
                    links[name] = .hard(address)
                }
                guard links.count <= Self.maxLinks else { throw FormatProblem("group has more than \(Self.maxLinks) links") }
            }
        }
        return links
    }

    /// The data segment of the local heap at `address`: version 0, data segment size, free list offset, address.
    func localHeap(at address: UInt64) throws(FormatProblem) -> [UInt8] {
        let what = "local heap at address \(address)"
        var h = try read(address, count: 8 + 2 * superblock.lengthSize + superblock.offsetSize, what)
        try h.signature("HEAP")
        try h.skip(4)
        let size = try h.length("data segment size")
        try h.skip(superblock.lengthSize)
        guard let data = try h.address() else { throw FormatProblem("\(what) has no data segment") }
        return try read(data, count: size, what).bytes
    }

    /// The NUL-terminated string at `offset` of a heap's bytes.
    static func heapString(_ heap: [UInt8], at offset: Int, _ what: String) throws(FormatProblem) -> String {
        guard offset >= 0, offset < heap.count, let end = heap[offset...].firstIndex(of: 0) else {
            throw FormatProblem("\(what): name at heap offset \(offset) lies outside the heap or is not terminated")
        }
        return String(decoding: heap[offset ..< end], as: UTF8.self)
    }
}
