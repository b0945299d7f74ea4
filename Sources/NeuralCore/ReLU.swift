/// Rectified linear unit, `max(0, x)`. The forward pass is fused into `Conv3x3.forward`;
/// this file holds the standalone forward and the backward through the stored output.
public enum ReLU {
    /// `x = max(0, x)` in place. `x` is any shape.
    public static func forward(_ x: inout Tensor) {
        x.data.withUnsafeMutableBufferPointer { p in
            for i in 0 ..< p.count { p[i] = max(p[i], 0) }
        }
    }

    /// Backward through the mask of the stored output: `gradient[i] = 0` where `output[i] <= 0`.
    ///
    /// At the kink (`output == 0`) the gradient is taken as 0, as TensorFlow's `ReluGrad` does.
    /// - Parameters:
    ///   - output: the ReLU's output (post-activation), any shape.
    ///   - gradient: same shape; d(loss)/d(output) on entry, d(loss)/d(input) on return
    ///     (masked IN PLACE).
    public static func backward(output: Tensor, gradient: inout Tensor) {
        precondition(output.count == gradient.count, "ReLU.backward: output and gradient differ in size")
        output.data.withUnsafeBufferPointer { y in
            gradient.data.withUnsafeMutableBufferPointer { g in
                for i in 0 ..< g.count where !(y[i] > 0) { g[i] = 0 }
            }
        }
    }

    /// 64-bit words of a mask over `count` elements.
    public static func maskWords(_ count: Int) -> Int { (count + 63) / 64 }

    /// The ReLU's mask as bits, all that backward needs of a layer's output: bit `i % 64` of
    /// word `i / 64` is set where `output[i] > 0`.
    /// - Parameters:
    ///   - output: the post-ReLU output, `count` elements.
    ///   - bits: `maskWords(count)` words; overwritten.
    public static func mask(_ output: UnsafePointer<Float>, count: Int, into bits: UnsafeMutablePointer<UInt64>) {
        let words = maskWords(count)
        nonisolated(unsafe) let b = bits
        parallelFor(words, parts: GEMM.threadCount, minimumPerPart: minimumMaskWordsPerPart) { range in
            for word in range {
                let first = word * 64
                guard first + 64 <= count else {  // the last, partial word
                    var value: UInt64 = 0
                    for j in 0 ..< count - first where output[first + j] > 0 { value |= 1 << UInt64(j) }
                    b[word] = value
                    continue
                }
                var value: UInt64 = 0
                for chunk in 0 ..< 8 {
                    let v = UnsafeRawPointer(output + first + 8 * chunk).loadUnaligned(as: SIMD8<Float>.self)
                    let byte = SIMD8<Int32>(repeating: 0).replacing(with: bitValues32, where: v .> 0).wrappedSum()
                    value |= UInt64(byte) << UInt64(8 * chunk)
                }
                b[word] = value
            }
        }
    }

    /// `1, 2, 4, ..., 128`: lane `k` of an 8-lane chunk is bit `k` of its byte.
    private static let bitValues32 = SIMD8<Int32>(1, 2, 4, 8, 16, 32, 64, 128)

    /// For each mask byte, eight lanes of all ones (bit set) or zeros (bit clear): ANDed with eight floats'
    /// bits, it applies that byte of the mask (here, and in Winograd's fused input transform).
    static let laneMasks: [SIMD8<UInt32>] = (0 ..< 256).map { byte in
        var lanes = SIMD8<UInt32>()
        for k in 0 ..< 8 where byte & (1 << k) != 0 { lanes[k] = .max }
        return lanes
    }

    /// Backward through a stored mask: `gradient[i] = 0` where bit `i` is clear (IN PLACE).
    /// At the kink (`output == 0`) the gradient is 0, as in `backward(output:gradient:)`.
    public static func backward(mask bits: UnsafePointer<UInt64>, gradient: UnsafeMutablePointer<Float>, count: Int) {
        nonisolated(unsafe) let g = gradient
        parallelFor(maskWords(count), parts: GEMM.threadCount, minimumPerPart: minimumMaskWordsPerPart) { range in
            for word in range {
                let first = word * 64
                let value = bits[word]
                if value == .max { continue }
                guard first + 64 <= count else {
                    for j in 0 ..< count - first where value & (1 << UInt64(j)) == 0 { g[first + j] = 0 }
                    continue
                }
                for chunk in 0 ..< 8 {
                    let byte = Int(truncatingIfNeeded: (value >> UInt64(8 * chunk)) & 0xff)
                    let p = UnsafeMutableRawPointer(g + first + 8 * chunk)
                    let v = p.loadUnaligned(as: SIMD8<UInt32>.self)
                    p.storeBytes(of: v & laneMasks[byte], as: SIMD8<UInt32>.self)
                }
            }
        }
    }
}
