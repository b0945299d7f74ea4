/// A dataset's shape, element type, storage and filters, from its object header.
struct HDF5Dataset {
    /// Where the values are (data layout message, HDF5 specification IV.A.2.i, versions 3 and 4).
    enum Layout {
        /// Inside the object header.
        case compact([UInt8])
        /// One block; nil address: never written (all fill value, zero).
        case contiguous(address: UInt64?, size: Int)
        /// Chunks of `chunk` elements per dimension, found through `index`.
        case chunked(chunk: [Int], index: ChunkIndex)
    }

    /// How a chunked dataset's chunks are found.
    enum ChunkIndex {
        /// A version 1 B-tree (layout version 3).
        case btree1(UInt64?)
        /// One chunk; its stored size and filter mask when filtered.
        case single(UInt64?, filtered: (size: Int, mask: UInt32)?)
        /// Unfiltered chunks back to back in row-major chunk order.
        case implicit(UInt64?)
        /// A fixed array ("FAHD") of chunk addresses.
        case fixedArray(UInt64?)
    }

    /// One filter of the pipeline, applied in reverse order on reading.
    struct Filter {
        static let deflate = 1, shuffle = 2, fletcher32 = 3
        let id: Int
        let values: [Int]
    }

    let shape: [Int]
    let count: Int
    let type: HDF5Datatype
    let layout: Layout
    let filters: [Filter]
    /// The value of elements never written (fill value message), `type.size` bytes; nil: zero.
    let fill: [UInt8]?

    /// `count` elements of the fill value.
    func filled(_ count: Int) -> [UInt8] {
        guard let fill, fill.contains(where: { $0 != 0 }) else { return [UInt8](repeating: 0, count: count * type.size) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * type.size)
        for _ in 0..<count { bytes.append(contentsOf: fill) }
        return bytes
    }
}

extension HDF5File {
    /// The dataset whose object header is at `address`.
    func dataset(at address: UInt64) throws(FormatProblem) -> HDF5Dataset {
        let header = try objectHeader(at: address)
        guard let layoutMessage = try header.message(HDF5Message.layout, "layout") else { throw FormatProblem("is not a dataset") }
        guard let spaceMessage = try header.message(HDF5Message.dataspace, "dataspace"),
              let typeMessage = try header.message(HDF5Message.datatype, "datatype") else {
            throw FormatProblem("dataset lacks its shape or type")
        }
        if header.messages.contains(where: { $0.type == HDF5Message.externalFiles }) {
            throw FormatProblem("dataset keeps its data outside the file (external storage), which is not read")
        }
        let space = try HDF5Dataspace(spaceMessage.body, lengthSize: superblock.lengthSize)
        let type = try HDF5Datatype(typeMessage.body, offsetSize: superblock.offsetSize, lengthSize: superblock.lengthSize)
        let filters = try header.message(HDF5Message.filters, "filter pipeline").map { m throws(FormatProblem) in try decodeFilters(m.body) } ?? []
        return HDF5Dataset(shape: space.dims ?? [], count: space.count, type: type,
                           layout: try decodeLayout(layoutMessage.body, rank: space.dims?.count ?? 0, elementSize: type.size),
                           filters: filters, fill: try fillValue(header, size: type.size))
    }

    /// The fill value message (IV.A.2.f): version 1 and 2 give allocation and write times, a "defined" byte, then
    /// (version 1 always, version 2 when defined) a size and the value; version 3 a flags byte (bit 5: defined).
    /// The older fill value message (0x04) is just a size and the value.
    private func fillValue(_ header: HDF5ObjectHeader, size: Int) throws(FormatProblem) -> [UInt8]? {
        var value: [UInt8] = []
        if let message = try header.message(0x05, "fill value") {
            var b = HDF5Bytes(message.body, offsetSize: superblock.offsetSize, lengthSize: superblock.lengthSize, what: "fill value message")
            let version = try b.u8()
            var defined: Bool
            switch version {
            case 1, 2:
                try b.skip(2)
                defined = try b.u8() != 0 || version == 1
            case 3:
                defined = try b.u8() & 0x20 != 0
            default:
                throw FormatProblem("fill value message version \(version) is not supported")
            }
            if defined { value = try b.take(try b.u32()) }
        } else if let message = try header.message(0x04, "fill value") {
            var b = HDF5Bytes(message.body, offsetSize: superblock.offsetSize, lengthSize: superblock.lengthSize, what: "fill value message")
            value = try b.take(try b.u32())
        }
        if value.isEmpty { return nil }
        guard value.count == size else { throw FormatProblem("fill value of \(value.count) bytes for elements of \(size)") }
        return value
    }

    private func decodeLayout(_ body: [UInt8], rank: Int, elementSize: Int) throws(FormatProblem) -> HDF5Dataset.Layout {
        var b = HDF5Bytes(body, offsetSize: superblock.offsetSize, lengthSize: superblock.lengthSize, what: "layout message")
        let version = try b.u8()
        guard version == 3 || version == 4 else {
            throw FormatProblem("layout message version \(version) is not supported (3 and 4 are)")
        }
        let layoutClass = try b.u8()
        switch layoutClass {
        case 0:
            return .compact(try b.take(try b.u16()))
        case 1:
            let address = try b.address()
            return .contiguous(address: address, size: try b.length("storage size"))
        case 2:
            var dims: [Int] = []
            let index: HDF5Dataset.ChunkIndex
            if version == 3 {
                let dimensionality = Int(try b.u8())
                let address = try b.address()
                for _ in 0..<dimensionality { dims.append(try b.u32()) }
                index = .btree1(address)
            } else {
                let flags = try b.u8()
                let dimensionality = Int(try b.u8())
                let width = Int(try b.u8())
                guard (1...8).contains(width) else { throw FormatProblem("layout message gives \(width)-byte chunk dimensions") }
                for _ in 0..<dimensionality { dims.append(try b.int(width, "chunk dimension")) }
                let indexType = try b.u8()
                switch indexType {
                case 1:
                    var filtered: (Int, UInt32)?
                    if flags & 0x02 != 0 { filtered = (try b.length("filtered chunk size"), UInt32(try b.u32())) }
                    index = .single(try b.address(), filtered: filtered)
                case 2: index = .implicit(try b.address())
                case 3:
                    try b.skip(1)                           // page bits
                    index = .fixedArray(try b.address())
                default:
                    let names = [4: "extensible array", 5: "version 2 B-tree"]
                    throw FormatProblem("chunk index \(names[Int(indexType)] ?? "type \(indexType)") is not supported (written for datasets that can grow)")
                }
            }
            guard dims.count == rank + 1, dims.last == elementSize else {
                throw FormatProblem("chunk dimensions \(dims) do not match rank \(rank) and element size \(elementSize)")
            }
            guard dims.dropLast().allSatisfy({ $0 > 0 }) else { throw FormatProblem("chunk dimensions \(dims) include 0") }
            return .chunked(chunk: Array(dims.dropLast()), index: index)
        case 3:
            throw FormatProblem("virtual datasets (values in other files) are not supported")
        default:
            throw FormatProblem("layout class \(layoutClass) is not supported")
        }
    }

    /// The filter pipeline message (IV.A.2.l): version 1 pads names and odd value lists to 8 bytes; version 2
    /// omits the names of the predefined filters (ids below 256).
    private func decodeFilters(_ body: [UInt8]) throws(FormatProblem) -> [HDF5Dataset.Filter] {
        var b = HDF5Bytes(body, offsetSize: superblock.offsetSize, lengthSize: superblock.lengthSize, what: "filter pipeline message")
        let version = try b.u8()
        guard version == 1 || version == 2 else { throw FormatProblem("filter pipeline version \(version) is not supported") }
        let count = Int(try b.u8())
        if version == 1 { try b.skip(6) }
        var filters: [HDF5Dataset.Filter] = []
        for _ in 0..<count {
            let id = try b.u16()
            let nameLength = version == 1 || id >= 256 ? try b.u16() : 0
            try b.skip(2)                                   // flags
            let valueCount = try b.u16()
            try b.skip(version == 1 ? (nameLength + 7) / 8 * 8 : nameLength)
            var values: [Int] = []
            for _ in 0..<valueCount { values.append(try b.u32()) }
            if version == 1 && valueCount % 2 == 1 { try b.skip(4) }
            guard [HDF5Dataset.Filter.deflate, HDF5Dataset.Filter.shuffle, HDF5Dataset.Filter.fletcher32].contains(id) else {
                let names = [4: "szip", 32001: "blosc", 32004: "lz4", 32008: "bitshuffle", 32015: "zstd"]
                throw FormatProblem("filter \(names[id].map { "\($0) (\(id))" } ?? "\(id)") is not supported (deflate, shuffle and fletcher32 are)")
            }
            filters.append(HDF5Dataset.Filter(id: id, values: values))
        }
        return filters
    }
}
