/// A problem found while decoding a weight file's structure (an HDF5 object, a zip archive), before the file is
/// attached to it: `HDF5File` and `TorchCheckpoint` turn it into a one-line `WeightsError`.
struct FormatProblem: Error {
    /// What is wrong, e.g. "object header at byte 96: message 3 runs past its block".
    let message: String
    /// Whether the structure reaches past the end of the file (a `.truncated` error rather than `.corrupt`).
    let truncated: Bool

    init(_ message: String, truncated: Bool = false) {
        self.message = message
        self.truncated = truncated
    }
}

/// A bounded little-endian cursor over bytes read from an HDF5 file.
///
/// Every read checks that it stays inside `bytes` and throws `FormatProblem` naming `what` otherwise, so a field
/// of any value from the file can be passed to it. Offsets ("addresses") and lengths have the widths the
/// superblock declares (`offsetSize`, `lengthSize`: 2, 4 or 8 bytes).
struct HDF5Bytes {
    let bytes: [UInt8]
    /// The position of the next read, `0...bytes.count`.
    private(set) var at: Int
    let offsetSize: Int
    let lengthSize: Int
    /// The structure being decoded, for messages ("symbol table node at byte 680").
    let what: String

    init(_ bytes: [UInt8], offsetSize: Int, lengthSize: Int, what: String, at: Int = 0) {
        self.bytes = bytes
        self.at = min(max(at, 0), bytes.count)
        self.offsetSize = offsetSize
        self.lengthSize = lengthSize
        self.what = what
    }

    var remaining: Int { bytes.count - at }

    /// Fails unless `count` more bytes are available.
    func need(_ count: Int) throws(FormatProblem) {
        guard count >= 0, count <= remaining else {
            throw FormatProblem("\(what) ends early (needs \(count) bytes at \(at), has \(remaining))")
        }
    }

    mutating func skip(_ count: Int) throws(FormatProblem) {
        try need(count)
        at += count
    }

    /// Moves to `position` (`0...bytes.count`).
    mutating func seek(_ position: Int) throws(FormatProblem) {
        guard position >= 0, position <= bytes.count else { throw FormatProblem("\(what): position \(position) is outside it") }
        at = position
    }

    mutating func u8() throws(FormatProblem) -> UInt8 {
        try need(1)
        defer { at += 1 }
        return bytes[at]
    }

    mutating func u16() throws(FormatProblem) -> Int { Int(try uint(2)) }
    mutating func u32() throws(FormatProblem) -> Int { Int(try uint(4)) }

    /// An unsigned little-endian integer of `count` bytes (0...8).
    mutating func uint(_ count: Int) throws(FormatProblem) -> UInt64 {
        guard count <= 8 else { throw FormatProblem("\(what): a \(count)-byte integer field is not supported") }
        try need(count)
        var value: UInt64 = 0
        for i in 0..<count { value |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        at += count
        return value
    }

    /// An unsigned integer of `count` bytes that must fit an `Int` (sizes, counts, lengths).
    mutating func int(_ count: Int, _ field: String) throws(FormatProblem) -> Int {
        let value = try uint(count)
        guard value <= UInt64(Int.max) else { throw FormatProblem("\(what): \(field) \(value) is not plausible") }
        return Int(value)
    }

    /// A file address, or nil for the undefined address (all bits set).
    mutating func address() throws(FormatProblem) -> UInt64? {
        let value = try uint(offsetSize)
        let undefined = offsetSize == 8 ? UInt64.max : (UInt64(1) << (8 * UInt64(offsetSize))) - 1
        return value == undefined ? nil : value
    }

    /// A length field (`lengthSize` bytes) that must fit an `Int`.
    mutating func length(_ field: String) throws(FormatProblem) -> Int {
        try int(lengthSize, field)
    }

    /// The next `count` bytes.
    mutating func take(_ count: Int) throws(FormatProblem) -> [UInt8] {
        try need(count)
        defer { at += count }
        return Array(bytes[at ..< at + count])
    }

    /// Checks a 4-byte signature such as "TREE".
    mutating func signature(_ text: String) throws(FormatProblem) {
        let expected = Array(text.utf8)
        guard try take(expected.count) == expected else { throw FormatProblem("\(what) lacks its \"\(text)\" signature") }
    }
}

/// `a * b` or nil on overflow or a negative factor.
func checkedProduct(_ a: Int, _ b: Int) -> Int? {
    guard a >= 0, b >= 0 else { return nil }
    let (value, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? nil : value
}

/// `a + b` or nil on overflow.
func checkedSum(_ a: Int, _ b: Int) -> Int? {
    let (value, overflow) = a.addingReportingOverflow(b)
    return overflow ? nil : value
}
