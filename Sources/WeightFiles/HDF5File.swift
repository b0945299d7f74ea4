import SafeIO

/// A read-only HDF5 file, decoded in Swift: exactly what the Keras weight readers need (groups, string attributes,
/// dataset shapes, float reads), and nothing that could read outside the file or run without bound.
///
/// Supported (HDF5 file format specification 3.0, <https://docs.hdfgroup.org/hdf5/develop/_f_m_t3.html>):
/// superblocks 0-3; object headers 1 and 2 with continuation blocks; old-style groups (symbol table: v1 B-tree,
/// symbol nodes, local heap) and new-style groups (link messages, or dense links in a fractal heap indexed by a
/// v2 B-tree); dataspaces; IEEE float32/float64 of either byte order; fixed- and variable-length strings (global
/// heap); contiguous, compact and chunked storage (v1 B-tree index, or single-chunk, implicit and fixed-array
/// indexes), with the deflate, shuffle and Fletcher-32 filters; attributes stored in the object header.
/// Refused with an error: soft and external links (not followed), external data files, virtual datasets, shared
/// messages, dense attribute storage, other types and filters.
///
/// Every address and length is checked against the file's real size with overflow-checked arithmetic before it is
/// read, every walk keeps a visited set, and these limits cap what a file can make the reader do:
/// - `maxRank` 32 dimensions (HDF5's own limit); `maxElements` 2^28 elements per dataset read (1 GiB of float32,
///   above VGG19's largest layer, 2^26.6);
/// - `maxLinks` 100 000 links per group, `maxPathComponents` 64 per path;
/// - `maxAttributeStrings` 65 536 strings and `maxAttributeBytes` 64 MiB per string attribute;
/// - `maxHeaderMessages` 4 096 messages and `maxHeaderBlocks` 256 blocks per object header;
/// - `maxChunks` 2^20 chunks per dataset; `maxTreeDepth` 32 levels in any B-tree;
/// - `maxMetadataBytes` 1 GiB of structure (not dataset values) read per file, which ends any walk that a
///   file could otherwise make long by pointing many structures at the same bytes.
/// Keras weight files stay far below each: VGG19 has 26 layers, 4 dimensions, 38 datasets.
/// Every failure is a `WeightsError` naming the file (`.truncated` when a structure reaches past its end, else
/// `.corrupt` or `.unsupported`), one line.
final class HDF5File {
    /// What is found at a path.
    enum ObjectKind: Sendable { case absent, group, dataset, other }

    static let maxRank = 32
    static let maxElements = 1 << 28
    static let maxLinks = 100_000
    static let maxPathComponents = 64
    static let maxAttributeStrings = 1 << 16
    static let maxAttributeBytes = 64 << 20
    static let maxHeaderMessages = 4096
    static let maxHeaderBlocks = 256
    static let maxChunks = 1 << 20
    static let maxTreeDepth = 32
    static let maxMetadataBytes = 1 << 30

    /// The path as given when opening.
    let path: String
    /// The file as the user named it, for messages.
    let name: String
    let input: InputFile
    let superblock: HDF5Superblock
    /// Structure bytes read so far (see `maxMetadataBytes`).
    var metadataBytes = 0
    /// Decoded object headers and group links, by address.
    var headers: [UInt64: HDF5ObjectHeader] = [:]
    var groupLinks: [UInt64: [String: HDF5Link]] = [:]
    /// Global heap collections (variable-length strings), by address.
    var globalHeaps: [UInt64: HDF5GlobalHeap] = [:]

    /// Opens `path` and reads its superblock.
    init(path: String, name: String? = nil) throws(WeightsError) {
        self.path = path
        self.name = name ?? path
        input = try InputFile.weights(path, name: name ?? path)
        do { superblock = try HDF5Superblock(input) } catch {
            throw WeightsError(error.truncated ? .truncated : .corrupt, file: name ?? path, error.message)
        }
    }

    // ---- what the Keras readers call ------------------------------------------------------

    /// Whether a group, a dataset or nothing is at `object`; a missing intermediate group gives `.absent`, a soft or
    /// external link on the path `.other` (links are not followed out of the tree or the file).
    func kind(of object: String) throws(WeightsError) -> ObjectKind {
        try guarded(object) { () throws(FormatProblem) in
            guard case .object(let address) = try resolve(object) else {
                return try resolve(object) == .absent ? .absent : .other
            }
            let header = try objectHeader(at: address)
            if header.isGroup { return .group }
            if header.isDataset { return .dataset }
            return .other
        }
    }

    /// The string (or string-array) attribute `attribute` of `object`, or nil when it has none. An empty
    /// non-string attribute (Keras writes an empty list as an empty float64 array) gives `[]`.
    func stringAttribute(_ attribute: String, of object: String = "/") throws(WeightsError) -> [String]? {
        try guarded(object) { () throws(FormatProblem) in
            let header = try objectHeader(at: try existing(object))
            guard let found = try header.attribute(named: attribute, in: self) else { return nil }
            return try strings(of: found)
        }
    }

    /// The names of the hard links in the group `object`, in name order.
    func children(of object: String) throws(WeightsError) -> [String] {
        try guarded(object) { () throws(FormatProblem) in
            try links(ofGroupAt: try existing(object)).compactMap { name, link in
                if case .hard = link { return name } else { return nil }
            }.sorted()
        }
    }

    /// The dimensions of the dataset `object`.
    func shape(of object: String) throws(WeightsError) -> [Int] {
        try guarded(object) { () throws(FormatProblem) in try dataset(at: try existing(object)).shape }
    }

    /// Where the object at `object` is stored: the same for every path (hard link) that leads to it.
    func address(of object: String) throws(WeightsError) -> UInt64 {
        try guarded(object) { () throws(FormatProblem) in try existing(object) }
    }

    /// The whole dataset `object`, converted to float32, in row-major order.
    func readFloats(_ object: String) throws(WeightsError) -> [Float] {
        try guarded(object) { () throws(FormatProblem) in try floats(of: try dataset(at: try existing(object))) }
    }

    // ---- shared plumbing ------------------------------------------------------------------

    /// Runs `body`, turning its `FormatProblem` into a `WeightsError` that names the file and the object.
    private func guarded<T>(_ object: String, _ body: () throws(FormatProblem) -> T) throws(WeightsError) -> T {
        do { return try body() } catch {
            let text = object.isEmpty || object == "/" ? error.message : "\(object): \(error.message)"
            throw WeightsError(error.truncated ? .truncated : .corrupt, file: name, text)
        }
    }

    /// `count` bytes at file address `address` (relative to the superblock's base address), as a cursor.
    /// - Parameter metadata: whether the bytes count against `maxMetadataBytes` (structure, not dataset values).
    func read(_ address: UInt64, count: Int, _ what: String, metadata: Bool = true) throws(FormatProblem) -> HDF5Bytes {
        let start = try absolute(address, count: count, what)
        if metadata {
            guard let total = checkedSum(metadataBytes, count), total <= Self.maxMetadataBytes else {
                throw FormatProblem("more than \(Self.maxMetadataBytes >> 20) MiB of HDF5 structure read; not a Keras weight file")
            }
            metadataBytes = total
        }
        do {
            return HDF5Bytes(try input.read(offset: start, count: count), offsetSize: superblock.offsetSize,
                             lengthSize: superblock.lengthSize, what: what)
        } catch {
            if case .truncated = error.kind { throw FormatProblem("\(what): \(error.problem)", truncated: true) }
            throw FormatProblem("\(what): \(error.problem)")
        }
    }

    /// The byte position in the file of `count` bytes at `address`, checked to lie inside the file.
    func absolute(_ address: UInt64, count: Int, _ what: String) throws(FormatProblem) -> Int {
        guard address <= UInt64(Int.max), let start = checkedSum(superblock.base, Int(address)), count >= 0,
              let end = checkedSum(start, count), end <= input.size else {
            throw FormatProblem("\(what) (\(count) bytes) lies past the end of the file (\(input.size) bytes)",
                              truncated: true)
        }
        return start
    }

    /// Reads the bytes up to `limit` at `address` that lie inside the file (for structures whose size is in them).
    func readPrefix(_ address: UInt64, limit: Int, _ what: String) throws(FormatProblem) -> HDF5Bytes {
        guard address <= UInt64(Int.max), let start = checkedSum(superblock.base, Int(address)), start < input.size else {
            throw FormatProblem("\(what) at address \(address) lies past the end of the file (\(input.size) bytes)", truncated: true)
        }
        return try read(address, count: min(limit, input.size - start), what)
    }
}
