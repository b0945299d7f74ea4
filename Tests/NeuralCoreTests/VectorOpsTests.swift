import XCTest
@testable import NeuralCore

/// The BLAS / two-core vector operations held to their plain-loop twins (`VectorOps+Naive.swift`, Double sums).
/// Lengths cover the empty vector, a partial block, several blocks, and vectors long enough to be cut into
/// pieces run on both cores (>= 2 * minimumPerPart).
final class VectorOpsTests: XCTestCase {
    let lengths = [0, 1, 7, VectorOps.block + 3, 2 * VectorOps.minimumPerPart + 4099]

    func random(_ n: Int, seed: UInt64, scale: Double = 1) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0 ..< n).map { _ in Float(scale * rng.nextNormal()) }
    }

    /// Dot products: Float within a block of 8192 terms, Double across blocks; the bound is 1e-6 of sum |a_i b_i|.
    func testDotAndUpdateMatchNaive() {
        for (k, n) in lengths.enumerated() {
            let a = random(n, seed: UInt64(k)), b = random(n, seed: UInt64(100 + k)), z = random(n, seed: UInt64(200 + k))
            let magnitude = zip(a, b).map { Double(abs($0 * $1)) }.reduce(0, +) + 1e-30
            let fast = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { VectorOps.dot(pa, $0) } }
            let naive = VectorOps.dotNaive(a, b)
            XCTAssertLessThanOrEqual(abs(fast - naive) / magnitude, 1e-6, "dot n=\(n): \(fast) vs \(naive)")

            for (alpha, scale) in [(Float(0.5), Float(1)), (-2, -1), (0, 3)] {
                var yFast = b, yNaive = b
                let dFast = yFast.withUnsafeMutableBufferPointer { y in
                    a.withUnsafeBufferPointer { x in z.withUnsafeBufferPointer { VectorOps.update(y, adding: alpha, times: x, scale: scale, thenDotWith: $0) } }
                }
                let dNaive = VectorOps.updateNaive(&yNaive, adding: alpha, times: a, scale: scale, thenDotWith: z)
                let worst = zip(yFast, yNaive).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, 1e-6, "update n=\(n) alpha=\(alpha) scale=\(scale): worst element difference \(worst)")
                let dMagnitude = zip(z, yNaive).map { Double(abs($0 * $1)) }.reduce(0, +) + 1e-30
                XCTAssertLessThanOrEqual(abs(dFast - dNaive) / dMagnitude, 1e-6, "update's dot n=\(n): \(dFast) vs \(dNaive)")
            }
        }
    }

    /// combine, copy and maxAbs are exact (no sums): equal to the loops bit for bit.
    func testCombineCopyMaxAbsAreExact() {
        for (k, n) in lengths.enumerated() {
            let p = random(n, seed: UInt64(300 + k)), q = random(n, seed: UInt64(400 + k), scale: 30)
            var out = [Float](repeating: 7, count: n)
            out.withUnsafeMutableBufferPointer { o in
                p.withUnsafeBufferPointer { pp in q.withUnsafeBufferPointer { VectorOps.combine(o, 2, pp, -0.25, $0) } }
            }
            XCTAssertEqual(out, p.indices.map { 2 * p[$0] + -0.25 * q[$0] }, "combine n=\(n)")
            out.withUnsafeMutableBufferPointer { o in q.withUnsafeBufferPointer { VectorOps.copy(o, $0) } }
            XCTAssertEqual(out, q, "copy n=\(n)")
            XCTAssertEqual(q.withUnsafeBufferPointer { VectorOps.maxAbs($0) }, VectorOps.maxAbsNaive(q), "maxAbs n=\(n)")
        }
    }

    /// The box operations against their loops, with many elements on or beyond the bounds [-1, 1].
    func testBoxOperationsMatchNaive() {
        let (lower, upper): (Float, Float) = (-1, 1)
        for (k, n) in lengths.enumerated() {
            // x: a third on each bound, the rest inside; g and d of both signs.
            let x = random(n, seed: UInt64(500 + k)).enumerated().map { i, v in i % 3 == 0 ? lower : i % 3 == 1 ? upper : max(-0.9, min(0.9, v)) }
            let g = random(n, seed: UInt64(600 + k)), d = random(n, seed: UInt64(700 + k))
            var point = [Float](repeating: 0, count: n), path = point
            point.withUnsafeMutableBufferPointer { o in path.withUnsafeMutableBufferPointer { pa in
                x.withUnsafeBufferPointer { px in d.withUnsafeBufferPointer {
                    VectorOps.projectedStep(o, path: pa, x: px, step: 0.7, direction: $0, lower: lower, upper: upper)
                } }
            } }
            let naive = VectorOps.projectedStepNaive(x: x, step: 0.7, direction: d, lower: lower, upper: upper)
            XCTAssertEqual(point, naive.point, "projectedStep point n=\(n)")
            XCTAssertEqual(path, naive.path, "projectedStep path n=\(n)")
            XCTAssertTrue(point.allSatisfy { $0 >= lower && $0 <= upper }, "projected point inside the box")

            var projected = d.map { 3 * $0 }
            projected.withUnsafeMutableBufferPointer { VectorOps.project($0, lower: lower, upper: upper) }
            XCTAssertEqual(projected, d.map { min(max(3 * $0, lower), upper) }, "project n=\(n)")

            let held = x.indices.map { (x[$0] <= lower && g[$0] > 0) || (x[$0] >= upper && g[$0] < 0) }
            var free = [Float](repeating: 9, count: n)
            free.withUnsafeMutableBufferPointer { o in
                g.withUnsafeBufferPointer { pg in x.withUnsafeBufferPointer { VectorOps.freeGradient(o, gradient: pg, x: $0, lower: lower, upper: upper) } }
            }
            XCTAssertEqual(free, g.indices.map { held[$0] ? 0 : g[$0] }, "freeGradient n=\(n)")
            let norm = g.withUnsafeBufferPointer { pg in x.withUnsafeBufferPointer { VectorOps.freeGradientMaxAbs(gradient: pg, x: $0, lower: lower, upper: upper) } }
            XCTAssertEqual(norm, VectorOps.freeGradientMaxAbsNaive(gradient: g, x: x, lower: lower, upper: upper), "freeGradientMaxAbs n=\(n)")

            // clipDirection: zero where held or pointing out of the box; g . d can only fall.
            var clipped = d
            clipped.withUnsafeMutableBufferPointer { o in
                g.withUnsafeBufferPointer { pg in x.withUnsafeBufferPointer { VectorOps.clipDirection(o, gradient: pg, x: $0, lower: lower, upper: upper) } }
            }
            for i in 0 ..< n {
                let outward = (x[i] <= lower && d[i] < 0) || (x[i] >= upper && d[i] > 0)
                XCTAssertEqual(clipped[i], held[i] || outward ? 0 : d[i], "clipDirection n=\(n) at \(i)")
            }
            XCTAssertLessThanOrEqual(VectorOps.dotNaive(g, clipped) - VectorOps.dotNaive(g, d.indices.map { held[$0] ? 0 : d[$0] }), 1e-9)
        }
    }
}

/// bfloat16 storage: rounding against round-to-8-significant-bits done in Double (ties to even), and the compact
/// update/dot against the Float operations' plain-loop twins on the rounded values.
final class BFloat16VectorOpsTests: XCTestCase {
    static func roundTo8Bits(_ x: Double) -> Double {
        guard x != 0 else { return 0 }
        let q = pow(2, (log2(abs(x))).rounded(.down) - 7)
        return (x / q).rounded(.toNearestOrEven) * q
    }

    func testRoundingEncodingAndCompactUpdate() {
        let n = 2 * VectorOps.minimumPerPart + 4099
        var rng = SplitMix64(seed: 3)
        var values: [Float] = []
        for i in 0 ..< n {
            let magnitude: Double = pow(10, Double(i % 13) - 6)
            values.append(Float(rng.nextNormal() * magnitude))
        }
        let ties: [Float] = [1 + 1.0 / 256, 1 + 3.0 / 256, -0, 3e38]
        values += ties
        var rounded = values
        rounded.withUnsafeMutableBufferPointer { VectorOps.roundToBFloat16($0) }
        for (v, r) in zip(values, rounded) { XCTAssertEqual(Double(r), Self.roundTo8Bits(Double(v)), "\(v)") }
        XCTAssertEqual(rounded[n], 1, "a tie rounds to even")
        XCTAssertEqual(rounded[n + 1], 1 + 4.0 / 256, "a tie rounds to even")

        let count = n
        let x = Array(rounded.prefix(count)), z = x.reversed().map { $0 }
        var xs = [UInt16](repeating: 0, count: count), zs = xs
        x.withUnsafeBufferPointer { VectorOps.encodeBFloat16($0, into: &xs) }
        z.withUnsafeBufferPointer { VectorOps.encodeBFloat16($0, into: &zs) }
        var rng2 = SplitMix64(seed: 4)
        let y0 = (0 ..< count).map { _ in Float(rng2.nextNormal()) }
        var yFast = y0, yNaive = y0
        let dFast = yFast.withUnsafeMutableBufferPointer { VectorOps.update($0, adding: 0.5, timesBFloat16: xs, scale: -2, thenDotWithBFloat16: zs) }
        let dNaive = VectorOps.updateNaive(&yNaive, adding: 0.5, times: x, scale: -2, thenDotWith: z)
        let worst = zip(yFast, yNaive).map { abs($0 - $1) / (1 + abs($1)) }.max()!
        XCTAssertLessThanOrEqual(worst, 1e-6)
        let magnitude = zip(z, yNaive).map { Double(abs($0 * $1)) }.reduce(0, +)
        XCTAssertLessThanOrEqual(abs(dFast - dNaive) / magnitude, 1e-6)
        let dot = y0.withUnsafeBufferPointer { VectorOps.dot($0, bfloat16: xs) }
        var dotMagnitude = 0.0
        for i in 0 ..< count { dotMagnitude += Double(abs(y0[i] * x[i])) }
        XCTAssertEqual(dot, VectorOps.dotNaive(y0, x), accuracy: 1e-6 * dotMagnitude)
    }
}
