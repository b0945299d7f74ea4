// The content and style losses of one layer with their gradient written over the layer's
// features, so that an evaluation needs no feature-sized buffer beyond the network's own
// (see `VGGNetwork.gradient(_:at:replacingOutputsWithGradients:)`). Formulas in Losses.swift:
//   E_l = ¼ Σ (G − A)²,  G = Fᵀ F / (C M)   →   dE_l/dF = F (G − A) / (C M)
//   L_c = Σ (F − P)² / (2 C M)              →   dL_c/dF = (F − P) / (C M)
// One implementation serves whole images and tiles (StyleObjective+Tiles.swift): the gradient is written inside a
// window of the output (a whole image's window is all of it) from a kernel K made of the whole image's G.
import NeuralCore

/// Scratch reused across evaluations: the Gram matrix and a block of gradient rows.
final class LayerLossScratch {
    var gram: [Float] = []
    var rows: [Float] = []
    /// A block of feature rows scaled by a region's mask and their product (`GuidedGram.addGradient`), with regions only.
    var masked: [Float] = []
    /// Floats per block of the in-place gradient: 4 MiB (2²⁰ floats, 16384 rows of 64 channels), enough rows for
    /// the GEMM to run near its peak while the block stays in the last-level cache.
    static let blockFloats = 1 << 20
}

enum LayerLoss {
    /// Replaces a layer's Gram matrix G (C, C; as many values as `target`) by the gradient kernel
    /// K = scale · (G − A) / (C M), with `n` = C M, and returns E_l = ¼ Σ (G − A)².
    static func replaceGramWithKernel(_ g: UnsafeMutablePointer<Float>, target: [Float], scale: Float, n: Float) -> Double {
        var style = 0.0
        for i in 0 ..< target.count {
            let d = g[i] - target[i]
            style += Double(d) * Double(d)
            g[i] = d * scale / n
        }
        return 0.25 * style
    }

    /// The Gram matrix of a whole image's features, `G = Fᵀ F / n`, made into the kernel
    /// `K = scale · (G − A) / n` in `scratch.gram` (its first C² values).
    /// - Parameters:
    ///   - features: F, (H, W, C).
    ///   - target: A, (C, C).
    ///   - n: C M.
    /// - Returns: E_l = ¼ Σ (G − A)².
    static func replaceScratchWithKernel(of features: Tensor, target: [Float], scale: Float, n: Float,
                                         scratch: LayerLossScratch) -> Double {
        let c = features.channels, m = features.height * features.width
        precondition(target.count == c * c, "style target must be (C, C)")
        if scratch.gram.count < c * c { scratch.gram = [Float](repeating: 0, count: c * c) }
        return features.data.withUnsafeBufferPointer { f in
            scratch.gram.withUnsafeMutableBufferPointer { g in
                Gram.matrix(f.baseAddress!, rows: m, channels: c, scale: 1 / n, into: g.baseAddress!)
                return replaceGramWithKernel(g.baseAddress!, target: target, scale: scale, n: n)
            }
        }
    }

    /// Replaces a layer's output by the gradient of the layer's terms inside `window`,
    /// `F · K + Σ_r m_r ⊙ F K_r + contentScale · (F − P)`, and zero outside it.
    ///
    /// The rows of the window go through the GEMM in blocks of `blockFloats / C` positions (a block may hold
    /// columns outside the window: they are zero, and so is their product).
    /// - Parameters:
    ///   - features: F, (H, W, C); OVERWRITTEN with the gradient.
    ///   - window: where the terms lie, and where the whole image's content target lies relative to it.
    ///   - kernel: K (C, C) from the whole image's G (`replaceGramWithKernel`), or nil without a style term; only
    ///     its first C² values are read.
    ///   - guided: the regions' kernels and masks (GuidedGram.swift), each adding `m_r(p) F_p K_r`; none without regions.
    ///   - contentTarget: P, the whole image's content target, or nil without a content term.
    ///   - contentScale: the factor of `F − P`, 1 / (C M) of the whole image times the term's weight.
    /// - Returns: Σ (F − P)² over the window (0 without a content term).
    static func replaceWithGradient(_ features: inout Tensor, window: TileGrid.Window, kernel: [Float]?,
                                    guided: [GuidedKernel] = [],
                                    contentTarget: Tensor?, contentScale: Float, scratch: LayerLossScratch,
                                    blockFloats: Int = LayerLossScratch.blockFloats) -> Double {
        zeroOutside(&features, window)
        let (w, c) = (features.width, features.channels)
        if let kernel { precondition(kernel.count >= c * c, "style kernel must be (C, C)") }
        let block = max(1, blockFloats / max(1, c))
        let styled = kernel != nil || !guided.isEmpty
        if styled, scratch.rows.count < block * c { scratch.rows = [Float](repeating: 0, count: block * c) }
        if !guided.isEmpty, scratch.masked.count < 2 * block * c { scratch.masked = [Float](repeating: 0, count: 2 * block * c) }
        // Whole rows whose target rows follow each other (a whole image): one run of positions per block.
        let wholeRows = window.columns == 0 ..< w && (contentTarget.map { $0.width == w && window.columnOffset == 0 } ?? true)
        let (firstColumn, endColumn) = (window.columns.lowerBound, window.columns.upperBound)
        var content = 0.0
        features.data.withUnsafeMutableBufferPointer { f in
            scratch.rows.withUnsafeMutableBufferPointer { temp in
              scratch.masked.withUnsafeMutableBufferPointer { masked in
                var first = window.rows.lowerBound * w
                while first < window.rows.upperBound * w {
                    let end = min(first + block, window.rows.upperBound * w)
                    let fb = f.baseAddress! + first * c
                    // out: where the block's gradient goes before it replaces F (F is read by the content part).
                    let out = styled ? temp.baseAddress! : fb
                    if let kernel {
                        kernel.withUnsafeBufferPointer { k in
                            GEMM.multiply(m: end - first, n: c, k: c, a: fb, lda: c, b: k.baseAddress!, ldb: c, c: out, ldc: c)
                        }
                    } else if styled {
                        out.update(repeating: 0, count: (end - first) * c)
                    }
                    // Each region's m_r(p) F_p K_r (GuidedGram.swift), added.
                    for g in guided {
                        GuidedGram.addGradient(fb, first: first, count: end - first, width: w, channels: c, window: window,
                                               guided: g, masked: masked.baseAddress!, into: out)
                    }
                    var blockSum = 0.0
                    if let contentTarget {
                        contentTarget.data.withUnsafeBufferPointer { p in
                            var start = first
                            while start < end {
                                let y = start / w
                                let from = wholeRows ? start : max(start, y * w + firstColumn)
                                let to = wholeRows ? end : min(end, y * w + endColumn)
                                if from < to {
                                    let target = p.baseAddress! + ((y + window.rowOffset) * contentTarget.width + from - y * w + window.columnOffset) * c
                                    let offset = (from - first) * c
                                    addContentGradient(fb + offset, target: target, into: out + offset, count: (to - from) * c,
                                                       scale: contentScale, accumulate: styled, sum: &blockSum)
                                }
                                start = wholeRows ? end : (y + 1) * w
                            }
                        }
                    } else if !styled {
                        fb.update(repeating: 0, count: (end - first) * c)
                    }
                    if styled { fb.update(from: out, count: (end - first) * c) }
                    content += blockSum
                    first = end
                }
              }
            }
        }
        return content
    }

    /// `out = scale · (F − P)`, or `out += scale · (F − P)` with `accumulate`, over `count` values, adding
    /// Σ (F − P)² to `sum`. `out` may be `f` itself.
    @inline(__always)
    private static func addContentGradient(_ f: UnsafePointer<Float>, target p: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                                           count: Int, scale: Float, accumulate: Bool, sum: inout Double) {
        for i in 0 ..< count {
            let d = f[i] - p[i]
            sum += Double(d * d)
            out[i] = accumulate ? out[i] + scale * d : scale * d
        }
    }

    /// Zeroes a layer's output `(h, w, C)` outside `window`'s rows and columns.
    static func zeroOutside(_ features: inout Tensor, _ window: TileGrid.Window) {
        let (rows, columns) = (window.rows, window.columns)
        let (w, c) = (features.width, features.channels)
        features.data.withUnsafeMutableBufferPointer { f in
            guard let base = f.baseAddress else { return }
            base.update(repeating: 0, count: rows.lowerBound * w * c)
            if columns != 0 ..< w {
                for y in rows {
                    base.advanced(by: y * w * c).update(repeating: 0, count: columns.lowerBound * c)
                    base.advanced(by: (y * w + columns.upperBound) * c).update(repeating: 0, count: (w - columns.upperBound) * c)
                }
            }
            base.advanced(by: rows.upperBound * w * c).update(repeating: 0, count: (features.height - rows.upperBound) * w * c)
        }
    }
}
