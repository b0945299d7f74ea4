// The content and style losses of one layer with their gradient written over the layer's
// features, so that an evaluation needs no feature-sized buffer beyond the network's own
// (see `VGGNetwork.gradient(_:at:replacingOutputsWithGradients:)`). Formulas in Losses.swift:
//   E_l = ¼ Σ (G − A)²,  G = Fᵀ F / (C M)   →   dE_l/dF = F (G − A) / (C M)
//   L_c = Σ (F − P)² / (2 C M)              →   dL_c/dF = (F − P) / (C M)
import NeuralCore

/// Scratch reused across evaluations: the Gram matrix and a block of gradient rows.
final class LayerLossScratch {
    var gram: [Float] = []
    var rows: [Float] = []
    /// Rows per block of the in-place gradient: about 4 MiB of floats (16384 rows of 64 channels, enough rows for
    /// the GEMM to run near its peak), at least one row.
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

    /// Evaluates the losses at one layer and replaces `features` by the weighted gradient
    /// `styleScale · dE_l/dF + contentScale · dL_c/dF`.
    ///
    /// - Parameters:
    ///   - features: F, (H, W, C); OVERWRITTEN with the gradient.
    ///   - styleTarget: A, (C, C), or nil when the layer has no style term.
    ///   - contentTarget: P, (H, W, C), or nil when the layer has no content term.
    /// - Returns: the unweighted `E_l` and `L_c` (0 for an absent term).
    static func replaceWithGradient(_ features: inout Tensor, styleTarget: [Float]?, styleScale: Float,
                                    contentTarget: Tensor?, contentScale: Float,
                                    scratch: LayerLossScratch,
                                    blockFloats: Int = LayerLossScratch.blockFloats) -> (style: Double, content: Double) {
        let c = features.channels, m = features.height * features.width
        let n = Float(max(1, c * m))
        var style = 0.0, content = 0.0
        if let contentTarget { precondition(contentTarget.shape == features.shape, "content target shape differs from the features") }
        if let styleTarget {
            precondition(styleTarget.count == c * c, "style target must be (C, C)")
            if scratch.gram.count < c * c { scratch.gram = [Float](repeating: 0, count: c * c) }
            // K = styleScale · (G − A) / (C M), and E_l from G − A.
            features.data.withUnsafeBufferPointer { f in
                scratch.gram.withUnsafeMutableBufferPointer { g in
                    Gram.matrix(f.baseAddress!, rows: m, channels: c, scale: 1 / n, into: g.baseAddress!)
                    style = replaceGramWithKernel(g.baseAddress!, target: styleTarget, scale: styleScale, n: n)
                }
            }
        }
        let block = max(1, blockFloats / max(1, c))
        if styleTarget != nil, scratch.rows.count < block * c { scratch.rows = [Float](repeating: 0, count: block * c) }
        let cs = contentScale / n
        features.data.withUnsafeMutableBufferPointer { f in
            scratch.gram.withUnsafeBufferPointer { k in
                scratch.rows.withUnsafeMutableBufferPointer { temp in
                    var first = 0
                    while first < m {
                        let rows = min(block, m - first)
                        let fb = f.baseAddress! + first * c
                        var contentSum = 0.0
                        func contentPart(_ p: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
                            for i in 0 ..< rows * c {
                                let d = fb[i] - p[i]
                                contentSum += Double(d * d)
                                out[i] = accumulate ? out[i] + cs * d : cs * d
                            }
                        }
                        if styleTarget != nil {
                            // temp (rows, C) = F_block (rows, C) · K (C, C), then the content part, then back over F.
                            GEMM.multiply(m: rows, n: c, k: c, a: fb, lda: c, b: k.baseAddress!, ldb: c,
                                          c: temp.baseAddress!, ldc: c)
                            if let contentTarget {
                                contentTarget.data.withUnsafeBufferPointer { contentPart($0.baseAddress! + first * c, into: temp.baseAddress!, accumulate: true) }
                            }
                            fb.update(from: temp.baseAddress!, count: rows * c)
                        } else if let contentTarget {
                            contentTarget.data.withUnsafeBufferPointer { contentPart($0.baseAddress! + first * c, into: fb, accumulate: false) }
                        } else {
                            fb.update(repeating: 0, count: rows * c)
                        }
                        content += contentSum
                        first += rows
                    }
                }
            }
        }
        return (style, 0.5 * content / Double(n))
    }
}
