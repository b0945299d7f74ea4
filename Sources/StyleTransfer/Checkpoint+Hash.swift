import Imaging
import NeuralCore

/// The step of FNV-1a, 64 bits (Fowler, Noll, Vo; http://www.isthe.com/chongo/tech/comp/fnv/): h = (h XOR x) · prime,
/// from the offset basis. `Fingerprint` feeds it 64-bit words, `BatchFingerprint` bytes.
enum FNV1a {
    static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325   // 14695981039346656037
    static let prime: UInt64 = 0x0000_0100_0000_01B3         // 1099511628211

    @inline(__always)
    static func mix(_ h: UInt64, _ x: UInt64) -> UInt64 { (h ^ x) &* prime }

    /// A 64-bit value as 16 lowercase hexadecimal digits: how fingerprints are written (JSON numbers lose integers
    /// above 2^53).
    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// A 64-bit fingerprint of bytes (FNV-1a over 64-bit words, then a SplitMix64 finaliser): enough to notice that
/// weights, an input image or a checkpoint changed by accident, not a defence against a forged file.
public struct Fingerprint: Sendable, Equatable {
    public private(set) var value = FNV1a.offsetBasis

    public init() {}

    /// Adds bytes: eight at a time, the tail (and the count, so that lengths matter) last.
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var h = value
        let words = bytes.count / 8
        for i in 0 ..< words {
            h = FNV1a.mix(h, bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian)
        }
        for i in (8 * words) ..< bytes.count { h = FNV1a.mix(h, UInt64(bytes[i])) }
        h = FNV1a.mix(h, UInt64(bytes.count))
        value = h
    }

    public mutating func add(_ bytes: [UInt8]) { bytes.withUnsafeBytes { add($0) } }
    public mutating func add(_ floats: [Float]) { floats.withUnsafeBytes { add($0) } }
    public mutating func add(_ text: String) { add(Array(text.utf8)) }
    public mutating func add(_ number: Int) { withUnsafeBytes(of: Int64(number).littleEndian) { add($0) } }

    /// The fingerprint, mixed so that close inputs give far apart values (SplitMix64's finaliser).
    public var digest: UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The weights' values (every kernel and bias, with the architecture and preprocessing), whatever file they came
    /// from.
    public static func of(_ weights: VGGWeights) -> UInt64 {
        var f = Fingerprint()
        f.add(weights.architecture.name)
        f.add(weights.preprocessing.rawValue)
        for conv in weights.convolutions {
            f.add(conv.kernel)
            f.add(conv.bias)
        }
        return f.digest
    }

    /// The decoded pixels and sizes of a run's inputs, in the plan's order.
    public static func of(_ inputs: RunInputs) -> UInt64 {
        var f = Fingerprint()
        // The masks after the images, so that a run without regions keeps the fingerprint it always had.
        let masks = (inputs.contentMask.map { [$0] } ?? []) + inputs.styleMasks.compactMap { $0 }
        for image in [inputs.content] + inputs.styles + (inputs.initialization.map { [$0] } ?? []) + masks {
            f.add(image.width)
            f.add(image.height)
            f.add(image.pixels)
        }
        return f.digest
    }
}
