/// Chunked datasets: the chunks are found through the dataset's chunk index, each is read, unfiltered and copied
/// into its place in the row-major result. Chunks not in the index hold the fill value.
extension HDF5File {
    /// One stored chunk: its first element's coordinates, where it is, its stored size and which filters were
    /// skipped when it was written (bit i: filter i).
    struct ChunkRecord {
        let offsets: [Int]
        let address: UInt64
        let size: Int
        let mask: UInt32
    }

    /// Fixed slack on the bytes the chunk grid may cover beyond the dataset itself (edge chunks overhang).
    static let chunkOverhangBytes = 64 << 20

    func chunkedBytes(_ dataset: HDF5Dataset, chunk: [Int], index: HDF5Dataset.ChunkIndex, total: Int) throws(FormatProblem) -> [UInt8] {
        let shape = dataset.shape, elementSize = dataset.type.size
        guard !shape.isEmpty else { throw FormatProblem("chunked dataset without dimensions") }
        if total == 0 { return [] }
        var grid: [Int] = [], gridCount = 1, chunkElements = 1
        for (d, c) in zip(shape, chunk) {
            grid.append(d / c + (d % c == 0 ? 0 : 1))      // ceil(d / c) without overflow
            gridCount *= grid.last!                          // <= the element count, which fits
            guard let product = checkedProduct(chunkElements, c), product <= Self.maxElements else {
                throw FormatProblem("chunks of \(chunk) elements are too large")
            }
            chunkElements = product
        }
        let chunkBytes = chunkElements * elementSize
        guard gridCount <= Self.maxChunks, let covered = checkedProduct(gridCount, chunkBytes),
              covered <= 2 * total + Self.chunkOverhangBytes else {
            throw FormatProblem("\(gridCount) chunks of \(chunk) do not fit a dataset of shape \(shape)")
        }
        let records = try chunkRecords(index, rank: shape.count, grid: grid, chunk: chunk, chunkBytes: chunkBytes,
                                       filtered: !dataset.filters.isEmpty)
        var out = dataset.filled(dataset.count)
        var seen: Set<[Int]> = []
        for record in records {
            guard record.offsets.count == shape.count,
                  zip(record.offsets, zip(shape, chunk)).allSatisfy({ o, dc in o >= 0 && o < dc.0 && o % dc.1 == 0 }) else {
                throw FormatProblem("chunk at \(record.offsets) is not a chunk of shape \(chunk) inside \(shape)")
            }
            guard seen.insert(record.offsets).inserted else { throw FormatProblem("chunk at \(record.offsets) is stored twice") }
            let stored = try read(record.address, count: record.size, "chunk at \(record.offsets) (address \(record.address))", metadata: false).bytes
            let data = try unfilter(stored, dataset.filters, mask: record.mask, size: chunkBytes, elementSize: elementSize)
            Self.place(data, at: record.offsets, chunk: chunk, shape: shape, elementSize: elementSize, into: &out)
        }
        return out
    }

    /// Copies the part of a chunk that lies inside the dataset into `out`, one run along the last dimension at a time.
    static func place(_ data: [UInt8], at offsets: [Int], chunk: [Int], shape: [Int], elementSize: Int, into out: inout [UInt8]) {
        let rank = shape.count
        var outStride = [Int](repeating: elementSize, count: rank), chunkStride = outStride
        for d in stride(from: rank - 2, through: 0, by: -1) {
            outStride[d] = outStride[d + 1] * shape[d + 1]
            chunkStride[d] = chunkStride[d + 1] * chunk[d + 1]
        }
        let extent = (0..<rank).map { min(chunk[$0], shape[$0] - offsets[$0]) }
        let run = extent[rank - 1] * elementSize
        var i = [Int](repeating: 0, count: rank)             // i[rank - 1] stays 0
        while true {
            var src = 0, dst = 0
            for d in 0..<rank {
                src += i[d] * chunkStride[d]
                dst += (offsets[d] + i[d]) * outStride[d]
            }
            out.replaceSubrange(dst ..< dst + run, with: data[src ..< src + run])
            var d = rank - 2
            while d >= 0 {
                i[d] += 1
                if i[d] < extent[d] { break }
                i[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }

    /// The chunks an index lists.
    private func chunkRecords(_ index: HDF5Dataset.ChunkIndex, rank: Int, grid: [Int], chunk: [Int], chunkBytes: Int,
                              filtered: Bool) throws(FormatProblem) -> [ChunkRecord] {
        let gridCount = grid.reduce(1, *)
        /// The first element of the chunk with row-major number `linear`.
        func offsets(_ linear: Int) -> [Int] {
            var rest = linear, result = [Int](repeating: 0, count: rank)
            for d in stride(from: rank - 1, through: 0, by: -1) {
                result[d] = rest % grid[d] * chunk[d]
                rest /= grid[d]
            }
            return result
        }
        var records: [ChunkRecord] = []
        switch index {
        case .btree1(let root):
            guard let root else { return [] }
            let keySize = 8 + 8 * (rank + 1)
            try walkBTree1(at: root, type: 1, keySize: keySize) { (key: [UInt8], child: UInt64) throws(FormatProblem) in
                var k = HDF5Bytes(key, offsetSize: superblock.offsetSize, lengthSize: superblock.lengthSize, what: "chunk key")
                let size = try k.u32()
                let mask = UInt32(try k.u32())
                var at: [Int] = []
                for _ in 0..<rank { at.append(try k.int(8, "chunk offset")) }
                guard records.count < gridCount else { throw FormatProblem("chunk B-tree lists more than \(gridCount) chunks") }
                records.append(ChunkRecord(offsets: at, address: child, size: size, mask: mask))
            }
        case .single(let address, let filtered):
            guard let address else { return [] }
            records.append(ChunkRecord(offsets: offsets(0), address: address, size: filtered?.size ?? chunkBytes, mask: filtered?.mask ?? 0))
        case .implicit(let address):
            guard let address else { return [] }
            guard !filtered else { throw FormatProblem("implicit chunk index with filters") }
            for linear in 0..<gridCount {
                guard let at = checkedProduct(linear, chunkBytes).flatMap({ checkedSum(Int(clamping: address), $0) }) else {
                    throw FormatProblem("implicit chunk addresses overflow")
                }
                records.append(ChunkRecord(offsets: offsets(linear), address: UInt64(at), size: chunkBytes, mask: 0))
            }
        case .fixedArray(let address):
            guard let address else { return [] }
            for (linear, entry) in try fixedArrayEntries(at: address, count: gridCount, filtered: filtered) {
                records.append(ChunkRecord(offsets: offsets(linear), address: entry.address, size: entry.size ?? chunkBytes,
                                           mask: entry.mask))
            }
        }
        return records
    }

    /// The entries of a fixed array chunk index (HDF5 specification III.H): header "FAHD" (version, client 0 for
    /// unfiltered or 1 for filtered chunks, entry size, page bits, entry count, data block address, checksum) and
    /// data block "FADB" (version, client, header address, entries). Paged data blocks (over 2^page bits entries)
    /// are not supported. Entries with the undefined address (chunks never written) are left out.
    private func fixedArrayEntries(at address: UInt64, count: Int, filtered: Bool)
        throws(FormatProblem) -> [(Int, (address: UInt64, size: Int?, mask: UInt32))] {
        let o = superblock.offsetSize, what = "fixed array index at address \(address)"
        var h = try read(address, count: 8 + superblock.lengthSize + o + 4, what)
        try h.signature("FAHD")
        try h.skip(1)
        let client = try h.u8()
        let entrySize = Int(try h.u8())
        let pageBits = Int(try h.u8())
        let entries = try h.length("entry count")
        guard let block = try h.address() else { return [] }
        guard client == (filtered ? 1 : 0), entries <= count else {
            throw FormatProblem("\(what) lists \(entries) chunks of kind \(client) for \(count) \(filtered ? "filtered" : "unfiltered") chunks")
        }
        guard pageBits >= 63 || entries <= 1 << pageBits else { throw FormatProblem("\(what): paged fixed arrays are not supported") }
        let sizeWidth = entrySize - o - 4
        guard filtered ? (1...8).contains(sizeWidth) : entrySize == o else { throw FormatProblem("\(what) has entries of \(entrySize) bytes") }
        let blockWhat = "fixed array data block at address \(block)"
        var b = try read(block, count: 6 + o + entries * entrySize, blockWhat)
        try b.signature("FADB")
        try b.skip(2 + o)
        var result: [(Int, (address: UInt64, size: Int?, mask: UInt32))] = []
        for linear in 0..<entries {
            let chunkAddress = try b.address()
            var size: Int?, mask: UInt32 = 0
            if filtered {
                size = try b.int(sizeWidth, "chunk size")
                mask = UInt32(try b.u32())
            }
            if let chunkAddress { result.append((linear, (chunkAddress, size, mask))) }
        }
        return result
    }
}
