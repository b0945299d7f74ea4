import CZlib
import SafeIO

/// The members of a zip archive, read from its central directory (PKWARE's APPNOTE.TXT, version 6.3.x: 4.3.12
/// central directory header, 4.3.16 end of central directory record, 4.3.14-15 the zip64 end record and locator,
/// 4.5.3 the zip64 extra field, 4.3.7 the local file header).
///
/// Every offset and size from the file is checked against the file's real length with overflow-checked sums
/// before a byte is read. Members may be stored (method 0, what `torch.save` writes, 64-byte aligned) or
/// deflated (method 8, raw deflate undone with zlib); encrypted, split or otherwise compressed archives are refused.
struct ZipArchive {
    struct Member {
        let name: String
        /// 0 stored, 8 deflated.
        let method: UInt16
        let crc: UInt32
        let compressedSize: Int
        let size: Int
        /// Where the member's bytes start (after its local header), checked so that `dataOffset + compressedSize`
        /// lies within the file.
        let dataOffset: Int
    }

    /// A problem with the archive itself; `truncated` when it points past the end of the file.
    typealias Problem = FormatProblem

    /// Members beyond this are refused (a torch state dict has one per storage plus four; VGG19 with its classifier 42).
    static let maxMembers = 100_000
    /// Deflate expands at most 1032 times (zlib's technical details), so a larger claimed size is a lie.
    static let maxDeflateRatio = 1032

    let file: InputFile
    /// The members by name, in central-directory order.
    let members: [Member]

    init(_ file: InputFile) throws(Problem) {
        self.file = file
        let size = file.size
        // The end record is 22 bytes plus a comment of at most 65535: search the last 65557 bytes for its signature.
        guard size >= 22 else { throw Problem("too short for a zip archive (\(size) bytes)", truncated: true) }
        let tailStart = max(0, size - 65_557)
        let tail = try Self.read(file, tailStart, size - tailStart)
        guard let eocd = stride(from: tail.count - 22, through: 0, by: -1).first(where: { Self.u32(tail, $0) == 0x0605_4B50 }) else {
            throw Problem("no zip end of central directory record (the file is cut short or not a zip archive)", truncated: true)
        }
        var count = Int(Self.u16(tail, eocd + 10))
        var directorySize = Int(Self.u32(tail, eocd + 12)), directoryOffset = Int(Self.u32(tail, eocd + 16))
        guard Self.u16(tail, eocd + 4) == 0, Self.u16(tail, eocd + 6) == 0 else { throw Problem("split (multi-disk) zip archives are not supported") }
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // Zip64: the locator sits just before the end record and gives the zip64 end record's offset.
            guard eocd >= 20, Self.u32(tail, eocd - 20) == 0x0706_4B50 else { throw Problem("zip64 sizes without a zip64 locator") }
            let recordOffset = try Self.offset(Self.u64(tail, eocd - 12), size, 56)
            let record = try Self.read(file, recordOffset, 56)
            guard Self.u32(record, 0) == 0x0606_4B50 else { throw Problem("zip64 end of central directory record lacks its signature") }
            count = try Self.offset(Self.u64(record, 32), Int.max, 0)
            directorySize = try Self.offset(Self.u64(record, 40), size, 0)
            directoryOffset = try Self.offset(Self.u64(record, 48), size, directorySize)
        }
        guard count <= Self.maxMembers else { throw Problem("zip archive lists \(count) members, more than \(Self.maxMembers)") }
        let (directoryEnd, overflow) = directoryOffset.addingReportingOverflow(directorySize)
        guard !overflow, directoryEnd <= size else {
            throw Problem("zip central directory at \(directoryOffset) (\(directorySize) bytes) reaches past the end of the file (\(size) bytes)", truncated: true)
        }
        let directory = try Self.read(file, directoryOffset, directorySize)
        var members: [Member] = []
        var at = 0
        for _ in 0..<count {
            guard at + 46 <= directory.count, Self.u32(directory, at) == 0x0201_4B50 else {
                throw Problem("zip central directory entry \(members.count) is damaged")
            }
            let flags = Self.u16(directory, at + 8), method = Self.u16(directory, at + 10)
            let nameLength = Int(Self.u16(directory, at + 28)), extraLength = Int(Self.u16(directory, at + 30))
            let commentLength = Int(Self.u16(directory, at + 32))
            let next = at + 46 + nameLength + extraLength + commentLength
            guard next <= directory.count else { throw Problem("zip central directory entry \(members.count) runs past the directory") }
            let name = String(decoding: directory[(at + 46) ..< (at + 46 + nameLength)], as: UTF8.self)
            guard flags & 1 == 0 else { throw Problem("zip member \(name) is encrypted") }
            guard method == 0 || method == 8 else { throw Problem("zip member \(name) uses compression method \(method); only stored and deflated members are read") }
            var compressed = UInt64(Self.u32(directory, at + 20)), uncompressed = UInt64(Self.u32(directory, at + 24))
            var local = UInt64(Self.u32(directory, at + 42))
            // Zip64 extra field (id 1): the 8-byte values of exactly the fields that are 0xFFFFFFFF, in this order.
            var e = at + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = Self.u16(directory, e), length = Int(Self.u16(directory, e + 2))
                guard e + 4 + length <= extraEnd else { break }
                if id == 1 {
                    var f = e + 4
                    for field in [0, 1, 2] {
                        let value = [uncompressed, compressed, local][field]
                        guard value == 0xFFFF_FFFF else { continue }
                        guard f + 8 <= e + 4 + length else { throw Problem("zip member \(name): zip64 extra field too short") }
                        let wide = Self.u64(directory, f)
                        if field == 0 { uncompressed = wide } else if field == 1 { compressed = wide } else { local = wide }
                        f += 8
                    }
                }
                e += 4 + length
            }
            let compressedSize = try Self.offset(compressed, size, 0), localOffset = try Self.offset(local, size, 30)
            let header = try Self.read(file, localOffset, 30)
            guard Self.u32(header, 0) == 0x0403_4B50 else { throw Problem("zip member \(name): local header at \(localOffset) lacks its signature") }
            let dataOffset = localOffset + 30 + Int(Self.u16(header, 26)) + Int(Self.u16(header, 28))
            let (dataEnd, over) = dataOffset.addingReportingOverflow(compressedSize)
            guard !over, dataEnd <= size else {
                throw Problem("zip member \(name) (\(compressedSize) bytes at \(dataOffset)) reaches past the end of the file (\(size) bytes)", truncated: true)
            }
            let memberSize = try Self.offset(uncompressed, Int.max, 0)
            guard method == 8 || memberSize == compressedSize else { throw Problem("stored zip member \(name) has two sizes, \(memberSize) and \(compressedSize)") }
            guard method == 0 || memberSize / Self.maxDeflateRatio <= compressedSize && memberSize <= InputLimits.weightsBytes else {
                throw Problem("deflated zip member \(name) claims \(memberSize) bytes from \(compressedSize)")
            }
            members.append(Member(name: name, method: method, crc: Self.u32(directory, at + 16), compressedSize: compressedSize,
                                  size: memberSize, dataOffset: dataOffset))
            at = next
        }
        self.members = members
    }

    /// `count` bytes of `member` from `offset` (offset and count within its uncompressed size); a stored member is
    /// read in place, a deflated one is inflated whole. Reading a whole member checks its CRC-32.
    func read(_ member: Member, offset: Int = 0, count: Int? = nil) throws(Problem) -> [UInt8] {
        let count = count ?? member.size - offset
        guard offset >= 0, count >= 0, offset <= member.size, count <= member.size - offset else {
            throw Problem("zip member \(member.name) holds \(member.size) bytes, not \(offset) + \(count)", truncated: true)
        }
        if member.method == 8 {
            let whole = try Self.inflate(try Self.read(file, member.dataOffset, member.compressedSize), size: member.size, name: member.name)
            try Self.checkCRC(whole, member)
            return offset == 0 && count == member.size ? whole : Array(whole[offset ..< offset + count])
        }
        let data = try Self.read(file, member.dataOffset + offset, count)
        if count == member.size { try Self.checkCRC(data, member) }
        return data
    }

    static func checkCRC(_ data: [UInt8], _ member: Member) throws(Problem) {
        guard crc32(data) == member.crc else { throw Problem("zip member \(member.name) fails its CRC-32 check (the file is damaged)") }
    }

    /// The CRC-32 of `data` (zlib's, as zip stores it).
    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: uLong = 0
        data.withUnsafeBufferPointer { b in
            var at = 0
            repeat {
                let n = min(b.count - at, 1 << 30)
                crc = CZlib.crc32(crc, b.baseAddress.map { $0 + at }, uInt(n))
                at += n
            } while at < b.count
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// Raw deflate (RFC 1951, no zlib header: windowBits -15) that must give exactly `size` bytes.
    static func inflate(_ input: [UInt8], size: Int, name: String) throws(Problem) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var input = input
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Problem("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var status = Z_OK
        var produced = 0
        input.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                stream.next_in = i.baseAddress
                stream.next_out = o.baseAddress
                var inLeft = i.count, outLeft = o.count
                // zlib counts in 32 bits: hand it at most 1 GiB at a time; it ends with Z_STREAM_END, or with
                // Z_BUF_ERROR once it can make no progress (input used up, or output full).
                repeat {
                    if stream.avail_in == 0 { let n = min(inLeft, 1 << 30); stream.avail_in = uInt(n); inLeft -= n }
                    if stream.avail_out == 0 { let n = min(outLeft, 1 << 30); stream.avail_out = uInt(n); outLeft -= n }
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                } while status == Z_OK
                produced = o.count - outLeft - Int(stream.avail_out)
            }
        }
        guard status == Z_STREAM_END, produced == size else {
            throw Problem(status == Z_STREAM_END || status == Z_BUF_ERROR
                          ? "deflated zip member \(name) does not inflate to its \(size) bytes"
                          : "deflated zip member \(name) is damaged (zlib error \(status))")
        }
        return out
    }

    // ---- little-endian fields and checked reads --------------------------------------------------

    static func u16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    static func u32(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(u16(b, i)) | UInt32(u16(b, i + 2)) << 16 }
    static func u64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(u32(b, i)) | UInt64(u32(b, i + 4)) << 32 }

    /// `value` as an offset at which `room` more bytes still fit within `limit`.
    static func offset(_ value: UInt64, _ limit: Int, _ room: Int) throws(Problem) -> Int {
        guard value <= UInt64(Int.max), Int(value) <= limit - room else {
            throw Problem("zip offset or size \(value) reaches past the end of the file (\(limit) bytes)", truncated: true)
        }
        return Int(value)
    }

    static func read(_ file: InputFile, _ offset: Int, _ count: Int) throws(Problem) -> [UInt8] {
        do { return try file.read(offset: offset, count: count) } catch {
            throw Problem(error.problem, truncated: true)
        }
    }
}
