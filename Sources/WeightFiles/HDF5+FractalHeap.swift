/// A fractal heap (HDF5 specification III.G), where new-style groups with many links keep their link messages:
/// a header ("FRHP") describing a doubling table of direct blocks ("FHDB") under indirect blocks ("FHIB").
/// Only what link storage uses is read: managed and tiny objects of an unfiltered heap.
struct HDF5FractalHeap {
    let address: UInt64
    let tableWidth: Int
    let startBlockSize: Int
    let maxDirectBlockSize: Int
    /// Bytes of a heap offset, and of a managed object's length, in a heap ID.
    let offsetBytes: Int
    let lengthBytes: Int
    let checksummedDirectBlocks: Bool
    let rootAddress: UInt64?
    let rootRows: Int

    init(at address: UInt64, in file: HDF5File) throws(FormatProblem) {
        self.address = address
        let what = "fractal heap at address \(address)"
        let o = file.superblock.offsetSize, l = file.superblock.lengthSize
        var h = try file.read(address, count: 4 + 1 + 2 + 2 + 1 + 4 + 12 * l + 3 * o + 2 + 2 + 2 + 2 + 4, what)
        try h.signature("FRHP")
        try h.skip(1 + 2)                                   // version, heap ID length
        let filterLength = try h.u16()
        let flags = try h.u8()
        let maxManaged = try h.u32()
        try h.skip(l + o + l + o + 8 * l)                   // huge objects, free space, managed and huge/tiny counters
        tableWidth = try h.u16()
        startBlockSize = try h.length("starting block size")
        maxDirectBlockSize = try h.length("maximum direct block size")
        let maxHeapBits = try h.u16()
        try h.skip(2)                                       // starting rows of the root indirect block
        rootAddress = try h.address()
        rootRows = try h.u16()
        guard filterLength == 0 else { throw FormatProblem("\(what) is filtered, which is not supported") }
        func isPowerOfTwo(_ n: Int) -> Bool { n > 0 && n & (n - 1) == 0 }
        guard isPowerOfTwo(tableWidth), tableWidth <= 4096, isPowerOfTwo(startBlockSize), isPowerOfTwo(maxDirectBlockSize),
              startBlockSize <= maxDirectBlockSize, maxDirectBlockSize <= 1 << 32, (1...64).contains(maxHeapBits),
              rootRows <= 64, maxManaged > 0 else {
            throw FormatProblem("\(what) has an implausible doubling table")
        }
        checksummedDirectBlocks = flags & 0x02 != 0
        offsetBytes = (maxHeapBits + 7) / 8
        let directBits = maxDirectBlockSize.trailingZeroBitCount
        let managedBits = Int.bitWidth - 1 - maxManaged.leadingZeroBitCount   // floor(log2)
        lengthBytes = min((directBits + 7) / 8, managedBits / 8 + 1)
    }

    /// The bytes of the object a heap ID names.
    func object(_ id: [UInt8], in file: HDF5File) throws(FormatProblem) -> [UInt8] {
        var b = HDF5Bytes(id, offsetSize: file.superblock.offsetSize, lengthSize: file.superblock.lengthSize, what: "fractal heap ID")
        let first = try b.u8()
        switch (first >> 4) & 0x03 {
        case 0:
            let offset = try b.int(offsetBytes, "heap offset")
            let length = try b.int(lengthBytes, "object length")
            return try managed(offset: offset, length: length, in: file)
        case 2:
            return try b.take(Int(first & 0x0F) + 1)
        default:
            throw FormatProblem("fractal heap at address \(address): huge objects are not supported")
        }
    }

    private func managed(offset: Int, length: Int, in file: HDF5File) throws(FormatProblem) -> [UInt8] {
        guard let root = rootAddress else { throw FormatProblem("fractal heap at address \(address) is empty") }
        var block = root, blockOffset = 0, blockSize = startBlockSize, rows = rootRows
        var depth = 0
        // Descend through indirect blocks to the direct block that holds `offset`.
        while rows > 0 {
            depth += 1
            guard depth <= HDF5File.maxTreeDepth else { throw FormatProblem("fractal heap at address \(address) is too deep") }
            let maxDirectRows = maxDirectBlockSize.trailingZeroBitCount - startBlockSize.trailingZeroBitCount + 2
            let directRows = min(rows, maxDirectRows)
            let o = file.superblock.offsetSize
            let what = "fractal heap indirect block at address \(block)"
            var ib = try file.read(block, count: 5 + o + offsetBytes + rows * tableWidth * o, what)
            try ib.signature("FHIB")
            try ib.skip(1 + o + offsetBytes)
            var start = blockOffset, next: (child: UInt64?, offset: Int, size: Int, direct: Bool)?
            search: for row in 0..<rows {
                let size = row < 2 ? startBlockSize : startBlockSize << (row - 1)
                guard size > 0, size <= Int.max / tableWidth / 2 else { throw FormatProblem("\(what) is too large") }
                for _ in 0..<tableWidth {
                    let child = try ib.address()
                    if offset >= start && offset - start < size {
                        next = (child, start, size, row < directRows)
                        break search
                    }
                    guard let after = checkedSum(start, size) else { throw FormatProblem("\(what): offsets overflow") }
                    start = after
                }
            }
            guard let next, let child = next.child else {
                throw FormatProblem("fractal heap at address \(address) has no block for offset \(offset)")
            }
            block = child
            blockOffset = next.offset
            if next.direct {
                blockSize = next.size
                rows = 0
            } else {
                // An indirect block of size S has log2(S / (start * width)) + 1 rows.
                rows = next.size.trailingZeroBitCount - (startBlockSize * tableWidth).trailingZeroBitCount + 1
                guard rows >= 1, rows <= 64 else { throw FormatProblem("\(what) has an implausible child") }
            }
        }
        let inBlock = offset - blockOffset
        guard length > 0, inBlock >= 0, let end = checkedSum(inBlock, length), end <= blockSize else {
            throw FormatProblem("fractal heap object at offset \(offset) (\(length) bytes) does not fit its block")
        }
        var db = try file.read(block, count: end, "fractal heap direct block at address \(block)")
        try db.signature("FHDB")
        try db.seek(inBlock)
        return try db.take(length)
    }
}
