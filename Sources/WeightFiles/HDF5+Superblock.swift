import SafeIO

/// The HDF5 superblock: where the file's structures are and how wide its addresses and lengths are.
///
/// Versions 0 and 1 (written by HDF5 1.6-1.10 by default, and so by h5py and Keras): widths, B-tree constants,
/// then the base, free-space, end-of-file and driver addresses and the root group's symbol table entry.
/// Versions 2 and 3 (h5py with `libver="latest"`): widths, then the base, extension, end-of-file and root object
/// header addresses and a checksum. The superblock sits at byte 0 or after a user block of 512, 1024, 2048 ...
/// bytes; its signature is `\x89HDF\r\n\x1a\n`.
struct HDF5Superblock {
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The user-block sizes searched for the signature (the loader's own sniffing checks the same places).
    static let searchedOffsets = [0, 512, 1024, 2048]

    let version: Int
    /// Bytes in an address and in a length field: 2, 4 or 8.
    let offsetSize: Int
    let lengthSize: Int
    /// The byte all addresses are relative to.
    let base: Int
    /// The root group's object header address.
    let rootAddress: UInt64

    init(_ input: InputFile) throws(FormatProblem) {
        var found: Int?
        for offset in Self.searchedOffsets where offset + 8 <= input.size {
            if (try? input.read(offset: offset, count: 8)) == Self.signature { found = offset; break }
        }
        guard let start = found else { throw FormatProblem("not an HDF5 file") }
        let head: [UInt8]
        do { head = try input.read(offset: start, count: min(input.size - start, 128)) } catch {
            throw FormatProblem("cannot read the superblock: \(error.problem)")
        }
        var b = HDF5Bytes(head, offsetSize: 8, lengthSize: 8, what: "superblock", at: 8)
        version = Int(try b.u8())
        var offsetSize = 0, lengthSize = 0
        switch version {
        case 0, 1:
            try b.skip(4)                                   // free-space, root symbol table, reserved, shared header versions
            offsetSize = Int(try b.u8())
            lengthSize = Int(try b.u8())
            try b.skip(1 + 2 + 2 + 4)                       // reserved, group leaf / internal node K, consistency flags
            if version == 1 { try b.skip(2 + 2) }           // indexed storage internal node K, reserved
        case 2, 3:
            offsetSize = Int(try b.u8())
            lengthSize = Int(try b.u8())
            try b.skip(1)                                   // consistency flags
        default:
            throw FormatProblem("HDF5 superblock version \(version) is not supported (0 to 3 are)")
        }
        guard [2, 4, 8].contains(offsetSize), [2, 4, 8].contains(lengthSize) else {
            throw FormatProblem("superblock gives \(offsetSize)-byte addresses and \(lengthSize)-byte lengths (2, 4 or 8 expected)")
        }
        self.offsetSize = offsetSize
        self.lengthSize = lengthSize
        var s = HDF5Bytes(head, offsetSize: offsetSize, lengthSize: lengthSize, what: "superblock", at: b.at)
        let base = try s.address() ?? 0
        guard base <= UInt64(input.size) else { throw FormatProblem("superblock base address \(base) lies past the end of the file") }
        self.base = Int(base)
        let endOfFile: UInt64?
        if version < 2 {
            _ = try s.address()                             // free-space info
            endOfFile = try s.address()
            _ = try s.address()                             // driver information block
            try s.skip(offsetSize)                          // root entry: link name offset
            guard let root = try s.address() else { throw FormatProblem("superblock has no root group") }
            rootAddress = root
        } else {
            _ = try s.address()                             // superblock extension
            endOfFile = try s.address()
            guard let root = try s.address() else { throw FormatProblem("superblock has no root group") }
            rootAddress = root
        }
        if let endOfFile, endOfFile <= UInt64(Int.max), let end = checkedSum(self.base, Int(endOfFile)), end > input.size {
            throw FormatProblem("truncated HDF5 file (its superblock records \(end) bytes, the file has \(input.size))", truncated: true)
        }
    }
}
