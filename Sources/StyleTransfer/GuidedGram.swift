// Guided Gram matrices (Gatys, Ecker, Bethge, Hertzmann & Shechtman, "Controlling Perceptual Factors in Neural
// Style Transfer", CVPR 2017, eq. 4 with the "simple" guidance): a region r with soft mask m_r on a layer's grid has
//   G_r = Σ_p m_r(p) F_p F_pᵀ / (C · Σ_p m_r(p))          (F_p: the C features at position p)
//   E_r = ¼ Σ_ij (G_r − A_r)²_ij                            (A_r: the region's style target)
//   dE_r/dF_p = m_r(p) · (G_r − A_r) F_p / (C · Σ m_r)      (K_r F_p with K_r = (G_r − A_r) / (C Σ m_r))
// A mask of ones is the plain Gram matrix of Gram.swift. The sums run over a window of the layer's output (the
// whole output, or a tile's core), the mask being the whole image's, read at the window's offset.
import NeuralCore

/// A region's style kernel on one layer, `K_r = scale · (G_r − A_r) / (C Σ m_r)`, with the region's mask on the
/// layer's whole grid: the layer's gradient gains `m_r(p) · F_p K_r` at every position (`LayerLoss.replaceWithGradient`).
struct GuidedKernel {
    /// (C, C).
    var kernel: [Float]
    /// The whole image's layer grid.
    var mask: LayerMask
}

enum GuidedGram {
    /// `g (C, C) += Σ_{p in window} m(p) F_p F_pᵀ`, unnormalised, by the rows `sqrt(m(p)) F_p` of the positions whose
    /// mask is above 0, through `Gram.matrix` in blocks of `scratch`'s size.
    /// - Parameters:
    ///   - features: F, (h, w, C), a layer's output (a tile's or the whole image's).
    ///   - window: where the terms lie in `features`, and the offset to the whole image's output.
    ///   - mask: the whole image's mask at this layer.
    ///   - g: (C, C), accumulated into; both triangles.
    ///   - scratch: a block of rows, grown to at least `C` floats.
    static func accumulate(_ features: Tensor, window: TileGrid.Window, mask: LayerMask,
                           into g: UnsafeMutablePointer<Float>, scratch: inout [Float]) {
        let (w, c) = (features.width, features.channels)
        let block = max(1, LayerLossScratch.blockFloats / max(1, c))
        if scratch.count < block * c { scratch = [Float](repeating: 0, count: block * c) }
        features.data.withUnsafeBufferPointer { f in
            scratch.withUnsafeMutableBufferPointer { rows in
                var count = 0
                func flush() {
                    if count > 0 { Gram.matrix(rows.baseAddress!, rows: count, channels: c, scale: 1, into: g, accumulate: true) }
                    count = 0
                }
                for y in window.rows {
                    let maskRow = (y + window.rowOffset) * mask.width + window.columnOffset
                    for x in window.columns {
                        let m = mask.values[maskRow + x]
                        guard m > 0 else { continue }
                        let s = m.squareRoot()
                        let from = f.baseAddress! + (y * w + x) * c, to = rows.baseAddress! + count * c
                        for k in 0 ..< c { to[k] = s * from[k] }
                        count += 1
                        if count == block { flush() }
                    }
                }
                flush()
            }
        }
    }

    /// `out (n, C) += (m ⊙ F) K` for the `n` positions `first ..< first + n` of a layer output of width `w`. Only the
    /// positions whose mask is above 0 inside the window take part: their rows of F, scaled by their mask value, are
    /// gathered into `masked`, multiplied by K in one GEMM into the second half of `masked`, and added back to their
    /// rows of `out`. So the regions of a partition cost one product of the whole block between them, not one each.
    /// - Parameters:
    ///   - f: F at position `first`, (n, C).
    ///   - masked: (2n, C) scratch.
    static func addGradient(_ f: UnsafePointer<Float>, first: Int, count n: Int, width w: Int, channels c: Int,
                            window: TileGrid.Window, guided: GuidedKernel, masked: UnsafeMutablePointer<Float>,
                            into out: UnsafeMutablePointer<Float>) {
        let mask = guided.mask
        /// Calls `body(i, m)` for each position `i` of the block whose mask value m inside the window is above 0, in order.
        func forEachMasked(_ body: (_ i: Int, _ m: Float) -> Void) {
            var (y, x) = (first / w, first % w)
            for i in 0 ..< n {
                if window.rows.contains(y) && window.columns.contains(x) {
                    let m = mask.values[(y + window.rowOffset) * mask.width + x + window.columnOffset]
                    if m > 0 { body(i, m) }
                }
                x += 1
                if x == w { (x, y) = (0, y + 1) }
            }
        }
        var rows = 0
        forEachMasked { i, m in
            let to = masked + rows * c, from = f + i * c
            for k in 0 ..< c { to[k] = m * from[k] }
            rows += 1
        }
        guard rows > 0 else { return }
        let product = masked + n * c
        guided.kernel.withUnsafeBufferPointer { k in
            GEMM.multiply(m: rows, n: c, k: c, a: masked, lda: c, b: k.baseAddress!, ldb: c, c: product, ldc: c)
        }
        // The same positions in the same order, each adding its product row.
        var row = 0
        forEachMasked { i, _ in
            let from = product + row * c, to = out + i * c
            for k in 0 ..< c { to[k] += from[k] }
            row += 1
        }
    }

    /// Naive reference of the normalised guided Gram matrix, for tests: `Σ_p m(p) F_p F_pᵀ / (C Σ m)` in Double.
    /// - Parameters:
    ///   - features: (H, W, C).
    ///   - mask: (H, W).
    static func matrixNaive(_ features: Tensor, mask: LayerMask) -> [Float] {
        let c = features.channels, m = features.height * features.width
        precondition(mask.values.count == m, "mask and features on one grid")
        let mass = mask.mass
        var gram = [Float](repeating: 0, count: c * c)
        guard mass > 0 else { return gram }
        for i in 0 ..< c {
            for j in 0 ..< c {
                var sum = 0.0
                for p in 0 ..< m { sum += Double(mask.values[p]) * Double(features.data[p * c + i]) * Double(features.data[p * c + j]) }
                gram[i * c + j] = Float(sum / (Double(c) * mass))
            }
        }
        return gram
    }
}
