import COpenBLAS
import Dispatch
import Foundation

/// Level-1 vector operations on long Float vectors (an optimizer's variables, gradients and history), on
/// OpenBLAS (`sdot`, `saxpy`, `sscal`) and on both cores.
///
/// A vector is cut into `parts` contiguous pieces run at once (`DispatchQueue.concurrentPerform`); each piece
/// is walked in blocks of `block` elements small enough to stay in L1 between the calls of a fused operation.
/// Dot products are Float within a block (OpenBLAS' SIMD lanes, a few hundred terms each) and Double across
/// blocks and pieces, so their error does not grow with the length of the vector. Pieces are summed in a fixed
/// order, so a result does not depend on thread timing.
///
/// Every operation has a plain-loop twin in `VectorOps+Naive.swift` (Double accumulation) that the tests hold
/// it to.
public enum VectorOps {
    /// Pieces a long vector is cut into: one per core.
    public static let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 16))
    /// Vectors shorter than `parts * minimumPerPart` run in the calling thread: waking a second thread costs
    /// about as much as 32k multiply-adds.
    static let minimumPerPart = 1 << 15
    /// Elements per block: three blocks of 8192 Floats (96 KiB) stay in L2 between the calls of a fused operation;
    /// larger blocks than L1 halve the calls into OpenBLAS, measured 15% faster than 2048 (optimizer-bench).
    static let block = 8192

    /// `a . b`, Float products summed in Double across blocks.
    /// - Complexity: n multiply-adds, one read of each vector.
    public static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Double {
        precondition(a.count == b.count, "dot of vectors of different lengths")
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
        return reduce(a.count) { range in
            blocks(range) { start, count in Double(cblas_sdot(Int32(count), pa + start, 1, pb + start, 1)) }
        }
    }

    /// `y = scale (y + alpha x)`, then returns `z . y` (z may be x or y). One step of the two-loop recursion in one
    /// pass: each block of y is updated and dotted while it is in L1.
    /// - Complexity: 2n multiply-adds (3n when scale is not 1), one read of x, y, z and one write of y.
    @discardableResult
    public static func update(_ y: UnsafeMutableBufferPointer<Float>, adding alpha: Float, times x: UnsafeBufferPointer<Float>,
                              scale: Float = 1, thenDotWith z: UnsafeBufferPointer<Float>?) -> Double {
        precondition(x.count == y.count && (z == nil || z!.count == y.count), "update of vectors of different lengths")
        guard let px = x.baseAddress, let py = y.baseAddress else { return 0 }
        let pz = z?.baseAddress
        return reduce(y.count) { range in
            blocks(range) { start, count in
                let n = Int32(count)
                if alpha != 0 { cblas_saxpy(n, alpha, px + start, 1, py + start, 1) }
                if scale != 1 { cblas_sscal(n, scale, py + start, 1) }
                guard let pz else { return 0 }
                return Double(cblas_sdot(n, pz + start, 1, py + start, 1))
            }
        }
    }

    /// `out = a p + b q` (out may be p or q).
    /// - Complexity: n elements, one read of p and q, one write of out.
    public static func combine(_ out: UnsafeMutableBufferPointer<Float>, _ a: Float, _ p: UnsafeBufferPointer<Float>,
                               _ b: Float, _ q: UnsafeBufferPointer<Float>) {
        precondition(out.count == p.count && out.count == q.count, "combine of vectors of different lengths")
        guard let po = out.baseAddress, let pp = p.baseAddress, let pq = q.baseAddress else { return }
        forEachPart(out.count) { range in
            for i in range { po[i] = a * pp[i] + b * pq[i] }
        }
    }

    /// `out = src`.
    public static func copy(_ out: UnsafeMutableBufferPointer<Float>, _ src: UnsafeBufferPointer<Float>) {
        precondition(out.count == src.count, "copy between vectors of different lengths")
        guard let po = out.baseAddress, let ps = src.baseAddress else { return }
        forEachPart(out.count) { range in
            (po + range.lowerBound).update(from: ps + range.lowerBound, count: range.count)
        }
    }

    /// `max_i |v_i|` (0 for an empty vector). NaN elements are ignored: check finiteness separately.
    public static func maxAbs(_ v: UnsafeBufferPointer<Float>) -> Float {
        guard let p = v.baseAddress else { return 0 }
        return Float(reduce(v.count, combine: { max($0, $1) }) { range in
            var m0: Float = 0, m1: Float = 0, m2: Float = 0, m3: Float = 0
            var i = range.lowerBound
            while i + 4 <= range.upperBound {
                m0 = max(m0, abs(p[i])); m1 = max(m1, abs(p[i + 1])); m2 = max(m2, abs(p[i + 2])); m3 = max(m3, abs(p[i + 3]))
                i += 4
            }
            while i < range.upperBound { m0 = max(m0, abs(p[i])); i += 1 }
            return Double(max(max(m0, m1), max(m2, m3)))
        })
    }

    // MARK: - Parallel pieces

    /// Runs `body` on `parts` contiguous pieces of `0 ..< count` at once (one piece when the vector is short).
    /// `body` must write only inside its own piece.
    public static func forEachPart(_ count: Int, _ body: (Range<Int>) -> Void) {
        let k = min(parts, count / minimumPerPart)
        guard k > 1 else { return body(0 ..< count) }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let work = body   // pieces write disjoint memory (the caller's contract)
            DispatchQueue.concurrentPerform(iterations: k) { i in work(count * i / k ..< count * (i + 1) / k) }
        }
    }

    /// Runs `partial` on the pieces of `0 ..< count` at once and combines the results in piece order.
    static func reduce(_ count: Int, combine: (Double, Double) -> Double = (+), _ partial: (Range<Int>) -> Double) -> Double {
        let k = min(parts, count / minimumPerPart)
        guard k > 1 else { return partial(0 ..< count) }
        var results = [Double](repeating: 0, count: k)
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out       // piece i writes only out[i]
            withoutActuallyEscaping(partial) { partial in
                nonisolated(unsafe) let work = partial
                DispatchQueue.concurrentPerform(iterations: k) { i in out[i] = work(count * i / k ..< count * (i + 1) / k) }
            }
        }
        return results.dropFirst().reduce(results[0], combine)
    }

    /// Walks `range` in blocks of `block` elements, summing `body(start, count)` in Double.
    @inline(__always)
    static func blocks(_ range: Range<Int>, _ body: (_ start: Int, _ count: Int) -> Double) -> Double {
        var sum = 0.0, start = range.lowerBound
        while start < range.upperBound {
            let count = min(block, range.upperBound - start)
            sum += body(start, count)
            start += count
        }
        return sum
    }
}
