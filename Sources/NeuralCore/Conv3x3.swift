/// 3x3 'same' convolution with bias and optional fused ReLU, as in every VGG layer
/// (Simonyan & Zisserman, ICLR 2015), computed as im2col + one GEMM per band of rows
/// (Chellapilla et al., "High Performance Convolutional Neural Networks for Document
/// Processing", 2006; Caffe's `conv_layer.cpp`). Weights are frozen: only the input gradient
/// is ever computed.
///
/// Layout: input `(H, W, Cin)`, kernel `(3, 3, Cin, Cout)` (Keras), output `(H, W, Cout)`.
/// A column-matrix row for output pixel `(y, x)` is the 3x3 neighbourhood in `(ky, kx, ci)`
/// order, zero outside the image, so the kernel is directly the `(9 * Cin, Cout)` matrix.
public enum Conv3x3 {
    /// Forward pass: `output = relu?(conv(input, kernel) + bias)`.
    ///
    /// - Parameters:
    ///   - input: `(H, W, Cin)`.
    ///   - weights: kernel `(3, 3, Cin, Cout)`, bias `(Cout)`.
    ///   - relu: apply `max(0, .)` after the bias (Keras VGG layers have `activation='relu'`).
    ///   - output: `(H, W, Cout)`; overwritten, reshaped (reallocated only if its size differs).
    ///   - workspace: column scratch, see `ConvWorkspace` for its bound.
    /// - Complexity: `2 * H * W * 9 * Cin * Cout` flops in the GEMMs.
    public static func forward(_ input: Tensor, weights: ConvWeights, relu: Bool = true,
                               into output: inout Tensor, workspace: ConvWorkspace) {
        let cout = weights.outChannels
        precondition(input.channels == weights.inChannels, "\(weights.name): input has \(input.channels) channels, kernel expects \(weights.inChannels)")
        output.reshapeForOutput(height: input.height, width: input.width, channels: cout)
        input.data.withUnsafeBufferPointer { src in
            output.data.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                forward(s, height: input.height, width: input.width, weights: weights, relu: relu, into: d, workspace: workspace)
            }
        }
    }

    /// Forward pass on raw buffers: `src (H, W, Cin)` into `dst (H, W, Cout)`, overwritten.
    public static func forward(_ src: UnsafePointer<Float>, height h: Int, width w: Int, weights: ConvWeights,
                               relu: Bool = true, into dst: UnsafeMutablePointer<Float>, workspace: ConvWorkspace) {
        let (cin, cout) = (weights.inChannels, weights.outChannels)
        if h == 0 || w == 0 { return }
        let band = workspace.bandHeight(height: h, width: w, inChannels: cin)
        let k = 9 * cin
        workspace.reserve(band * w * k)
        let workers = workspace.workers
        let minimumRows = max(1, minimumValuesPerPart / (w * k))  // split only when each piece has work
        weights.kernel.withUnsafeBufferPointer { kernel in
            weights.bias.withUnsafeBufferPointer { bias in
                workspace.columns.withUnsafeMutableBufferPointer { col in
                    var y0 = 0
                    while y0 < h {
                        let rows = min(band, h - y0)
                        let (c, b) = (col.baseAddress!, bias.baseAddress!)
                        parallelFor(rows, parts: workers, minimumPerPart: minimumRows) { r in
                            im2col(src, height: h, width: w, channels: cin, firstRow: y0 + r.lowerBound,
                                   rows: r.count, columns: c + r.lowerBound * w * k)
                        }
                        let out = dst + y0 * w * cout
                        // out (rows*W, Cout) = col (rows*W, 9*Cin) * kernel (9*Cin, Cout)
                        GEMM.multiply(m: rows * w, n: cout, k: k,
                                      a: c, lda: k,
                                      b: kernel.baseAddress!, ldb: cout,
                                      c: out, ldc: cout)
                        parallelFor(rows * w, parts: workers, minimumPerPart: biasPositionsPerPart(channels: cout)) { p in
                            addBias(out + p.lowerBound * cout, pixels: p.count, bias: b, channels: cout, relu: relu)
                        }
                        y0 += rows
                    }
                }
            }
        }
    }

    /// Forward pass into a new tensor; see `forward(_:weights:relu:into:workspace:)`.
    public static func forward(_ input: Tensor, weights: ConvWeights, relu: Bool = true,
                               workspace: ConvWorkspace) -> Tensor {
        var output = Tensor(height: 0, width: 0, channels: 0)
        forward(input, weights: weights, relu: relu, into: &output, workspace: workspace)
        return output
    }

    /// Input gradient: `dinput = col2im(doutput * kernel^T)`, one transposed GEMM per band.
    ///
    /// The ReLU is not included: mask `doutput` first with `ReLU.backward`.
    /// - Parameters:
    ///   - outputGradient: `(H, W, Cout)`, d(loss)/d(pre-activation output).
    ///   - weights: kernel `(3, 3, Cin, Cout)`; the bias does not enter the input gradient.
    ///   - inputGradient: `(H, W, Cin)`; OVERWRITTEN (zeroed, then the bands accumulate into it).
    ///   - workspace: column scratch.
    /// - Complexity: `2 * H * W * 9 * Cin * Cout` flops in the GEMMs.
    public static func backward(_ outputGradient: Tensor, weights: ConvWeights,
                                into inputGradient: inout Tensor, workspace: ConvWorkspace) {
        precondition(outputGradient.channels == weights.outChannels, "\(weights.name): gradient has \(outputGradient.channels) channels, kernel gives \(weights.outChannels)")
        inputGradient.reshapeForOutput(height: outputGradient.height, width: outputGradient.width, channels: weights.inChannels)
        outputGradient.data.withUnsafeBufferPointer { dout in
            inputGradient.data.withUnsafeMutableBufferPointer { din in
                guard let g = dout.baseAddress, let d = din.baseAddress else { return }
                backward(g, height: outputGradient.height, width: outputGradient.width, weights: weights,
                         into: d, workspace: workspace)
            }
        }
    }

    /// Input gradient on raw buffers: `dout (H, W, Cout)` into `din (H, W, Cin)`, OVERWRITTEN, or added to with
    /// `accumulate`.
    public static func backward(_ dout: UnsafePointer<Float>, height h: Int, width w: Int, weights: ConvWeights,
                                accumulate: Bool = false, into din: UnsafeMutablePointer<Float>, workspace: ConvWorkspace) {
        let (cin, cout) = (weights.inChannels, weights.outChannels)
        if h == 0 || w == 0 { return }
        let band = workspace.bandHeight(height: h, width: w, inChannels: cin)
        let k = 9 * cin
        workspace.reserve(band * w * k)
        let workers = workspace.workers
        let minimumRows = max(1, minimumValuesPerPart / (w * k))
        if !accumulate { din.update(repeating: 0, count: h * w * cin) }
        nonisolated(unsafe) let d = din
        weights.kernel.withUnsafeBufferPointer { kernel in
            workspace.columns.withUnsafeMutableBufferPointer { col in
                var y0 = 0
                while y0 < h {
                    let rows = min(band, h - y0)
                    // dcol (rows*W, 9*Cin) = dout (rows*W, Cout) * kernel^T (Cout, 9*Cin)
                    GEMM.multiply(transposeB: true, m: rows * w, n: k, k: cout,
                                  a: dout + y0 * w * cout, lda: cout,
                                  b: kernel.baseAddress!, ldb: cout,
                                  c: col.baseAddress!, ldc: k)
                    // Input rows y0-1 ... y0+rows receive this band; each piece owns its rows.
                    let first = max(0, y0 - 1), last = min(h, y0 + rows + 1)
                    let c = col.baseAddress!
                    parallelFor(last - first, parts: workers, minimumPerPart: minimumRows) { r in
                        col2im(c, height: h, width: w, channels: cin, firstRow: y0, rows: rows,
                               inputRows: first + r.lowerBound ..< first + r.upperBound, into: d)
                    }
                    y0 += rows
                }
            }
        }
    }

    /// Fills the column matrix `(rows * W, 9 * Cin)` of output rows `firstRow ..< firstRow + rows`.
    ///
    /// For each pixel and kernel row `ky`, the three horizontal neighbours are contiguous in
    /// the input, so each is one copy of `3 * Cin` floats (two copies plus zeros at the edges).
    @inline(__always)
    static func im2col(_ src: UnsafePointer<Float>, height h: Int, width w: Int, channels c: Int,
                       firstRow: Int, rows: Int, columns col: UnsafeMutablePointer<Float>) {
        let rowLength = 9 * c
        let span = 3 * c
        for y in firstRow ..< firstRow + rows {
            let pixelBase = col + (y - firstRow) * w * rowLength
            for ky in 0 ..< 3 {
                let yy = y + ky - 1
                var dst = pixelBase + ky * span
                if yy < 0 || yy >= h {
                    for _ in 0 ..< w {
                        dst.update(repeating: 0, count: span)
                        dst += rowLength
                    }
                    continue
                }
                let srcRow = src + yy * w * c
                if w == 1 {
                    dst.update(repeating: 0, count: c)
                    (dst + c).update(from: srcRow, count: c)
                    (dst + 2 * c).update(repeating: 0, count: c)
                    continue
                }
                // x = 0: left neighbour is padding.
                dst.update(repeating: 0, count: c)
                (dst + c).update(from: srcRow, count: 2 * c)
                dst += rowLength
                // 0 < x < W - 1: the whole neighbourhood row is inside.
                var s = srcRow
                for _ in 1 ..< w - 1 {
                    dst.update(from: s, count: span)
                    dst += rowLength
                    s += c
                }
                // x = W - 1: right neighbour is padding.
                dst.update(from: s, count: 2 * c)
                (dst + 2 * c).update(repeating: 0, count: c)
            }
        }
    }

    /// Adds the column matrix of output rows `firstRow ..< firstRow + rows` back onto rows
    /// `inputRows` of the input gradient `(H, W, Cin)` (accumulates; the caller zeroes it first).
    /// Gathering by destination row lets pieces with disjoint `inputRows` run concurrently.
    @inline(__always)
    static func col2im(_ col: UnsafePointer<Float>, height h: Int, width w: Int, channels c: Int,
                       firstRow: Int, rows: Int, inputRows: Range<Int>, into din: UnsafeMutablePointer<Float>) {
        let rowLength = 9 * c
        let span = 3 * c
        for yy in inputRows {
            let dstRow = din + yy * w * c
            for ky in 0 ..< 3 {
                let y = yy - ky + 1  // output row whose kernel row ky reads input row yy
                if y < firstRow || y >= firstRow + rows { continue }
                var s = col + (y - firstRow) * w * rowLength + ky * span
                if w == 1 {
                    add(s + c, into: dstRow, count: c)
                    continue
                }
                add(s + c, into: dstRow, count: 2 * c)
                s += rowLength
                var d = dstRow
                for _ in 1 ..< w - 1 {
                    add(s, into: d, count: span)
                    s += rowLength
                    d += c
                }
                add(s, into: d, count: 2 * c)
            }
        }
    }

    /// `dst[i] += src[i]` for `i < count`.
    @inline(__always)
    static func add(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0 ..< count { dst[i] += src[i] }
    }

    /// `out[p, c] = relu?(out[p, c] + bias[c])` over `pixels` rows of `channels`.
    @inline(__always)
    static func addBias(_ out: UnsafeMutablePointer<Float>, pixels: Int, bias: UnsafePointer<Float>,
                        channels: Int, relu: Bool) {
        var row = out
        if relu {
            for _ in 0 ..< pixels {
                for c in 0 ..< channels { row[c] = max(row[c] + bias[c], 0) }
                row += channels
            }
        } else {
            for _ in 0 ..< pixels {
                for c in 0 ..< channels { row[c] += bias[c] }
                row += channels
            }
        }
    }
}
