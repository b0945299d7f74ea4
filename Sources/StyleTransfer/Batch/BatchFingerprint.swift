/// A 64-bit fingerprint of everything that decides a batch item's output (input bytes, settings, weights), to tell
/// whether an existing output was made by the same plan.
///
/// FNV-1a over bytes (`FNV1a`). It detects changes; it is no defence against someone forging a collision. Each field is
/// followed by its length, so that ("ab", "c") and ("a", "bc") differ.
public struct BatchFingerprint: Sendable {
    public private(set) var value = FNV1a.offsetBasis

    public init() {}

    /// Adds bytes.
    public mutating func add(_ bytes: [UInt8]) {
        var h = value
        bytes.withUnsafeBufferPointer { buffer in
            for byte in buffer { h = FNV1a.mix(h, UInt64(byte)) }
        }
        value = h
        addLength(bytes.count)
    }

    /// Adds a string's UTF-8 bytes.
    public mutating func add(_ text: String) { add(Array(text.utf8)) }

    private mutating func addLength(_ n: Int) {
        var h = value
        for shift in stride(from: 0, to: 64, by: 8) { h = FNV1a.mix(h, (UInt64(n) >> UInt64(shift)) & 0xff) }
        value = h
    }

    /// 16 lowercase hex digits.
    public var hex: String { FNV1a.hex(value) }
}
