/// Global heap collections (HDF5 specification III.E), where variable-length strings live: "GCOL", version 1,
/// 3 reserved bytes, the collection size, then objects, each a header (index u16, reference count u16, 4 reserved
/// bytes, size) and its data padded to 8 bytes; object 0 is the free space and ends the list. Every object must
/// fit its collection, and the collection the file.
struct HDF5GlobalHeap {
    let bytes: [UInt8]
    /// Object index -> its data's byte range in `bytes`.
    let objects: [Int: Range<Int>]
}

extension HDF5File {
    /// The data of object `index` in the collection at `address`.
    func globalHeapObject(collection address: UInt64, index: Int) throws(FormatProblem) -> ArraySlice<UInt8> {
        let heap = try globalHeap(at: address)
        guard let range = heap.objects[index] else {
            throw FormatProblem("global heap at address \(address) has no object \(index)")
        }
        return heap.bytes[range]
    }

    private func globalHeap(at address: UInt64) throws(FormatProblem) -> HDF5GlobalHeap {
        if let cached = globalHeaps[address] { return cached }
        let what = "global heap at address \(address)"
        let l = superblock.lengthSize
        var head = try read(address, count: 8 + l, what)
        try head.signature("GCOL")
        let version = try head.u8()
        guard version == 1 else { throw FormatProblem("\(what) has version \(version)") }
        try head.skip(3)
        let size = try head.length("collection size")
        guard size >= 8 + l else { throw FormatProblem("\(what) has size \(size)") }
        var b = try read(address, count: size, what)
        try b.skip(8 + l)
        var objects: [Int: Range<Int>] = [:]
        let header = 8 + l
        while b.remaining >= header {
            let index = try b.u16()
            try b.skip(2 + 4)
            let length = try b.length("object size")
            if index == 0 { break }
            guard length <= b.remaining else { throw FormatProblem("\(what): object \(index) of \(length) bytes does not fit the collection") }
            objects[index] = b.at ..< b.at + length
            try b.skip(min(b.remaining, length + (8 - length % 8) % 8))
        }
        let heap = HDF5GlobalHeap(bytes: b.bytes, objects: objects)
        globalHeaps[address] = heap
        return heap
    }
}
