import SafeIO

/// A guard against two defects of the HDF5 library's global-heap reader, run before a file is opened.
///
/// Variable-length strings (Keras' `layer_names`, `weight_names` and `name` attributes) live in global heap
/// collections: "GCOL", version 1, 3 reserved bytes, the collection size (8 bytes), then objects, each a 16-byte
/// header (index u16, reference count u16, reserved u32, size u64) and its data padded to 8 bytes (HDF5 file
/// format specification, "Global Heap"). Object 0 is the free space, and its size includes its own header.
/// HDF5 1.10.8 (and h5py's 2.0.0) walk a collection by each object's size without checking it, the first time a
/// string stored there is read: a free-space object of size 0 makes the walk loop for ever
/// (Fuzz/regressions/hdf5/global_heap_free_space_size_0.h5), and a size near 2^64 wraps the walk backwards and
/// the read then runs outside the collection, a segmentation fault
/// (Fuzz/regressions/hdf5/global_heap_object_size_2pow64.h5). So every collection is walked here first and a file
/// with an object that does not fit its collection is refused. Files whose lengths are not 8 bytes are not checked.
enum HDF5GlobalHeaps {
    /// Collections above this size are not checked (writers make them 4 KiB to a few MiB).
    static let largestChecked = 256 << 20

    /// The offset of the first global heap collection in `file` with an object that does not fit it, or nil.
    /// - Complexity: one pass over the file in 4 MiB reads, plus one read of each collection found.
    static func firstDamagedCollection(in file: InputFile) throws(FileAccessError) -> Int? {
        let chunk = 4 << 20, magic: [UInt8] = Array("GCOL".utf8)
        var start = 0
        while start + 16 <= file.size {
            let bytes = try file.read(offset: start, count: min(chunk + 15, file.size - start))   // 15: a header across chunks
            var hits: [Int] = []
            bytes.withUnsafeBufferPointer { b in
                for at in 0..<min(chunk, b.count - 15)
                where b[at] == magic[0] && b[at + 1] == magic[1] && b[at + 2] == magic[2] && b[at + 3] == magic[3] {
                    hits.append(at)
                }
            }
            for hit in hits where bytes[hit + 4] == 1 {
                let size = Int(truncatingIfNeeded: littleEndian(bytes, hit + 8, 8))
                let begin = start + hit
                guard size >= 16, size <= largestChecked, size <= file.size - begin else { continue }
                if !isWellFormed(try file.read(offset: begin, count: size)) { return begin }
            }
            start += chunk
        }
        return nil
    }

    /// Whether every object of `collection` (header included) lies inside it: an object in use takes its header
    /// and its size rounded up to 8 bytes, the free space (object 0) its size, at least a header; fewer than 16
    /// bytes left at the end are free space, as HDF5 reads them.
    static func isWellFormed(_ collection: [UInt8]) -> Bool {
        var at = 16
        while at + 16 <= collection.count {
            let index = littleEndian(collection, at, 2), size = littleEndian(collection, at + 8, 8)
            let left = UInt64(collection.count - at)
            let step: UInt64
            if index > 0 {
                guard size <= left else { return false }
                step = 16 + (size + 7) & ~7   // size <= left < 2^63: no overflow
            } else {
                step = size
                guard step >= 16 else { return false }
            }
            guard step <= left else { return false }
            at += Int(step)
        }
        return true
    }

    private static func littleEndian(_ bytes: [UInt8], _ at: Int, _ count: Int) -> UInt64 {
        (0..<count).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }
}
