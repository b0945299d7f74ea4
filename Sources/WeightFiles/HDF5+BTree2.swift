/// Version 2 B-trees (HDF5 specification III.A.2), here only to list a new-style group's links: header "BTHD"
/// (type, node size, record size, depth, root address and record count), internal nodes "BTIN" (records, then
/// a child pointer per record plus one: address, record count, and below the top level the subtree's total) and
/// leaves "BTLF" (records). The widths of the counts follow from the node size, as HDF5 computes them.
extension HDF5File {
    /// The records of the v2 B-tree at `address`, in tree order.
    func btree2Records(at address: UInt64) throws(FormatProblem) -> [[UInt8]] {
        let o = superblock.offsetSize, what = "v2 B-tree at address \(address)"
        var h = try read(address, count: 4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + o + 2 + superblock.lengthSize + 4, what)
        try h.signature("BTHD")
        try h.skip(2)                                       // version, type
        let nodeSize = try h.u32()
        let recordSize = try h.u16()
        let depth = try h.u16()
        try h.skip(2)                                       // split and merge percentages
        guard let root = try h.address() else { return [] }
        let rootRecords = try h.u16()
        let prefix = 10                                     // signature, version, type, checksum
        guard recordSize > 0, nodeSize > prefix + recordSize, nodeSize <= 1 << 24, depth <= Self.maxTreeDepth else {
            throw FormatProblem("\(what) has an implausible node size \(nodeSize), record size \(recordSize) or depth \(depth)")
        }
        /// Bytes that hold counts up to `n` (HDF5's H5VM_limit_enc_size).
        func width(_ n: Int) -> Int { (Int.bitWidth - 1 - max(n, 1).leadingZeroBitCount) / 8 + 1 }
        let leafMax = (nodeSize - prefix) / recordSize
        let countWidth = width(leafMax)
        var cumulative = [leafMax], cumulativeWidth = [0]
        if depth > 0 {
            for d in 1...depth {
                let pointer = o + countWidth + (d > 1 ? cumulativeWidth[d - 1] : 0)
                let maxRecords = max(0, (nodeSize - prefix - pointer) / (recordSize + pointer))
                let (next, overflow) = (maxRecords + 1).multipliedReportingOverflow(by: cumulative[d - 1])
                guard !overflow, next < Int.max / 2 else { throw FormatProblem("\(what) is too deep for its node size") }
                cumulative.append(next + maxRecords)
                cumulativeWidth.append(width(next + maxRecords))
            }
        }
        var records: [[UInt8]] = []
        var visited: Set<UInt64> = []
        var stack: [(address: UInt64, records: Int, depth: Int)] = [(root, rootRecords, depth)]
        while let node = stack.popLast() {
            let nodeWhat = "v2 B-tree node at address \(node.address)"
            guard visited.insert(node.address).inserted else { throw FormatProblem("\(nodeWhat) is reached twice") }
            guard node.records <= (nodeSize - prefix) / recordSize else { throw FormatProblem("\(nodeWhat) holds too many records") }
            var b = try read(node.address, count: nodeSize, nodeWhat)
            try b.signature(node.depth == 0 ? "BTLF" : "BTIN")
            try b.skip(2)
            var mine: [[UInt8]] = []
            for _ in 0..<node.records { mine.append(try b.take(recordSize)) }
            if node.depth == 0 {
                records.append(contentsOf: mine)
            } else {
                // Records of an internal node come between its children; the order does not matter to callers.
                records.append(contentsOf: mine)
                for _ in 0...node.records {
                    guard let child = try b.address() else { throw FormatProblem("\(nodeWhat) has an undefined child") }
                    let count = try b.int(countWidth, "record count")
                    if node.depth > 1 { try b.skip(cumulativeWidth[node.depth - 1]) }
                    stack.append((child, count, node.depth - 1))
                }
            }
            guard records.count <= Self.maxLinks else { throw FormatProblem("\(what) holds more than \(Self.maxLinks) records") }
        }
        return records
    }

    /// The links of a new-style group kept in dense storage: the link info message (version 0, flags, optional
    /// maximum creation index, fractal heap address, name index v2 B-tree address) leads to link messages
    /// stored in the heap, one per name-index record (a 4-byte name hash, then the heap ID).
    func denseLinks(_ body: [UInt8], group: UInt64) throws(FormatProblem) -> [(String, HDF5Link)] {
        var b = HDF5Bytes(body, offsetSize: superblock.offsetSize, lengthSize: superblock.lengthSize, what: "link info message")
        try b.skip(1)
        let flags = try b.u8()
        if flags & 0x01 != 0 { try b.skip(8) }
        guard let heapAddress = try b.address() else { return [] }
        guard let index = try b.address() else { throw FormatProblem("dense link storage without a name index") }
        let heap = try HDF5FractalHeap(at: heapAddress, in: self)
        var links: [(String, HDF5Link)] = []
        for record in try btree2Records(at: index) {
            guard record.count > 4 else { throw FormatProblem("link name index record of \(record.count) bytes") }
            let message = try heap.object(Array(record[4...]), in: self)
            links.append(try decodeLink(message, "link message in the fractal heap at address \(heapAddress)"))
        }
        return links
    }
}
