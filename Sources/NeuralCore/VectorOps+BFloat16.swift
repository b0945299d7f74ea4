import COpenBLAS
// Vectors stored as bfloat16: the upper 16 bits of a Float (sign, the full 8-bit exponent, 7 stored mantissa bits),
// so the range is Float's and the relative precision 2^-8. Encoding rounds to nearest even; decoding is a shift.
// The L-BFGS history keeps its pairs this way at half the memory of Float (LBFGS+History.swift).

extension VectorOps {
    /// `v` rounded to the nearest bfloat16 (ties to even), in place, still as Floats; NaN and infinities stay.
    public static func roundToBFloat16(_ v: UnsafeMutableBufferPointer<Float>) {
        guard let p = v.baseAddress else { return }
        forEachPart(v.count) { range in
            for i in range { p[i] = Float(bitPattern: UInt32(bfloat16(p[i])) << 16) }
        }
    }

    /// `out[i] = bfloat16(v[i])`, rounded to nearest even.
    public static func encodeBFloat16(_ v: UnsafeBufferPointer<Float>, into out: UnsafeMutablePointer<UInt16>) {
        guard let p = v.baseAddress else { return }
        forEachPart(v.count) { range in
            for i in range { out[i] = bfloat16(p[i]) }
        }
    }

    @inline(__always)
    static func bfloat16(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }   // stays a NaN
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// `count` bfloat16 values from `source` as Floats into `out`.
    @inline(__always)
    static func decodeBFloat16(_ source: UnsafePointer<UInt16>, count: Int, into out: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 16 <= count {
            let h = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<UInt16>.self)
            let w = SIMD16<UInt32>(truncatingIfNeeded: h) &<< 16
            UnsafeMutableRawPointer(out + i).storeBytes(of: w, as: SIMD16<UInt32>.self)
            i += 16
        }
        while i < count { out[i] = Float(bitPattern: UInt32(source[i]) << 16); i += 1 }
    }

    /// `y = scale (y + alpha x)`, then returns `z . y`, with x and z stored as bfloat16 (`update`'s twin for the
    /// compact L-BFGS history). One pass of SIMD over 16 values at a time: x and z are decoded in registers, y is
    /// read and written once, and the products are summed in Float within blocks of `block` values, in Double
    /// across them (as `sdot` per block does).
    /// - Complexity: 2n multiply-adds (3n when scale is not 1), one read of x, y, z and one write of y.
    @discardableResult
    public static func update(_ y: UnsafeMutableBufferPointer<Float>, adding alpha: Float, timesBFloat16 x: UnsafePointer<UInt16>,
                              scale: Float = 1, thenDotWithBFloat16 z: UnsafePointer<UInt16>?) -> Double {
        guard let py = y.baseAddress else { return 0 }
        return reduce(y.count) { range in
            blocks(range) { start, count in
                var sum = SIMD16<Float>()
                var i = start
                let end = start + count
                while i + 16 <= end {
                    var v = UnsafeRawPointer(py + i).loadUnaligned(as: SIMD16<Float>.self)
                    if alpha != 0 { v = v + alpha * decode16(x + i) }
                    if scale != 1 { v = scale * v }
                    UnsafeMutableRawPointer(py + i).storeBytes(of: v, as: SIMD16<Float>.self)
                    if let z { sum = sum + decode16(z + i) * v }
                    i += 16
                }
                var tail: Float = 0
                while i < end {
                    var v = py[i]
                    if alpha != 0 { v += alpha * Float(bitPattern: UInt32(x[i]) << 16) }
                    if scale != 1 { v *= scale }
                    py[i] = v
                    if let z { tail += Float(bitPattern: UInt32(z[i]) << 16) * v }
                    i += 1
                }
                return Double(sum.sum() + tail)
            }
        }
    }

    /// 16 bfloat16 values as Floats.
    @inline(__always)
    static func decode16(_ p: UnsafePointer<UInt16>) -> SIMD16<Float> {
        let h = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt16>.self)
        return unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: h) &<< 16, to: SIMD16<Float>.self)
    }

    /// `a . b` with b stored as bfloat16.
    public static func dot(_ a: UnsafeBufferPointer<Float>, bfloat16 b: UnsafePointer<UInt16>) -> Double {
        guard let pa = a.baseAddress else { return 0 }
        return reduce(a.count) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: block) { scratch in
                blocks(range) { start, count in
                    decodeBFloat16(b + start, count: count, into: scratch.baseAddress!)
                    return Double(cblas_sdot(Int32(count), pa + start, 1, scratch.baseAddress!, 1))
                }
            }
        }
    }
}
