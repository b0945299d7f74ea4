/// 2x2 max-pooling with stride 2 and Keras 'valid' padding, as between VGG blocks
/// (Simonyan & Zisserman, ICLR 2015). Output `(H / 2, W / 2, C)` (floor: an odd last row or
/// column is dropped). The forward pass stores, for each output element, which of the four
/// window positions won, as one byte `2 dy + dx`; the backward pass routes each gradient
/// through it (Caffe's `pooling_layer`, with a byte where Caffe keeps an index).
///
/// Tie rule: the FIRST maximum in row-major window order wins, `(0,0), (0,1), (1,0), (1,1)`
/// (a later element must be strictly greater to replace it). A NaN never wins unless it is first.
public enum MaxPool2x2 {
    /// Forward pass.
    ///
    /// - Parameters:
    ///   - input: `(H, W, C)`.
    ///   - output: `(H / 2, W / 2, C)`; overwritten (reallocated only if its size differs).
    ///   - argmax: `(H / 2, W / 2, C)` winning window positions `2 dy + dx`; overwritten.
    public static func forward(_ input: Tensor, into output: inout Tensor, argmax: inout [UInt8]) {
        let (h, w, c) = (input.height, input.width, input.channels)
        output.reshapeForOutput(height: h / 2, width: w / 2, channels: c)
        if argmax.count != output.count { argmax = [UInt8](repeating: 0, count: output.count) }
        input.data.withUnsafeBufferPointer { src in
            output.data.withUnsafeMutableBufferPointer { dst in
                argmax.withUnsafeMutableBufferPointer { idx in
                    forward(src.baseAddress!, height: h, width: w, channels: c, into: dst.baseAddress!, argmax: idx.baseAddress)
                }
            }
        }
    }

    /// Forward pass on raw buffers: `src (H, W, C)` into `dst (H / 2, W / 2, C)`, and the winners
    /// into `argmax (H / 2, W / 2, C)` unless it is nil. Rows are shared among the cores.
    public static func forward(_ src: UnsafePointer<Float>, height h: Int, width w: Int, channels c: Int,
                               into dst: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<UInt8>?) {
        let (oh, ow) = (h / 2, w / 2)
        nonisolated(unsafe) let (out, idx) = (dst, argmax)
        parallelFor(oh, parts: GEMM.threadCount, minimumPerPart: max(1, minimumValuesPerPart / max(1, ow * c))) { rows in
            for oy in rows {
                for ox in 0 ..< ow {
                    let i00 = ((2 * oy) * w + 2 * ox) * c
                    let (i01, i10) = (i00 + c, i00 + w * c)
                    let i11 = i10 + c
                    let o = (oy * ow + ox) * c
                    for ch in 0 ..< c {
                        var best = src[i00 + ch], at: UInt8 = 0
                        if src[i01 + ch] > best { best = src[i01 + ch]; at = 1 }
                        if src[i10 + ch] > best { best = src[i10 + ch]; at = 2 }
                        if src[i11 + ch] > best { best = src[i11 + ch]; at = 3 }
                        out[o + ch] = best
                        idx?[o + ch] = at
                    }
                }
            }
        }
    }

    /// Backward pass: routes each output gradient to the input element that won.
    ///
    /// - Parameters:
    ///   - outputGradient: `(H / 2, W / 2, C)`.
    ///   - argmax: from the forward pass on an input of shape `(height, width, C)`.
    ///   - inputGradient: `(height, width, C)`; OVERWRITTEN (zero except at the winners;
    ///     the dropped odd row/column gets zero).
    public static func backward(_ outputGradient: Tensor, argmax: [UInt8], height: Int, width: Int,
                                into inputGradient: inout Tensor) {
        let c = outputGradient.channels
        precondition(argmax.count == outputGradient.count, "MaxPool2x2.backward: argmax does not match the gradient")
        precondition(outputGradient.height == height / 2 && outputGradient.width == width / 2,
                     "MaxPool2x2.backward: gradient shape does not match the input size")
        inputGradient.reshapeForOutput(height: height, width: width, channels: c)
        outputGradient.data.withUnsafeBufferPointer { dout in
            argmax.withUnsafeBufferPointer { idx in
                inputGradient.data.withUnsafeMutableBufferPointer { din in
                    backward(dout.baseAddress!, argmax: idx.baseAddress!, height: height, width: width, channels: c,
                             into: din.baseAddress!)
                }
            }
        }
    }

    /// Backward pass on raw buffers: `dout (H / 2, W / 2, C)` through `argmax` into
    /// `din (H, W, C)`, which is OVERWRITTEN. Rows are shared among the cores.
    public static func backward(_ dout: UnsafePointer<Float>, argmax: UnsafePointer<UInt8>, height h: Int, width w: Int,
                                channels c: Int, into din: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (h / 2, w / 2)
        nonisolated(unsafe) let d = din
        parallelFor(h, parts: GEMM.threadCount, minimumPerPart: max(2, minimumValuesPerPart / max(1, w * c))) { rows in
            for y in rows {
                let row = d + y * w * c
                if y >= 2 * oh {  // the dropped odd row
                    row.update(repeating: 0, count: w * c)
                    continue
                }
                let (oy, dy) = (y / 2, UInt8(y % 2))
                for ox in 0 ..< ow {
                    let o = (oy * ow + ox) * c
                    let left = row + 2 * ox * c, right = left + c
                    for ch in 0 ..< c {
                        let (g, at) = (dout[o + ch], argmax[o + ch])
                        left[ch] = at == 2 * dy ? g : 0
                        right[ch] = at == 2 * dy + 1 ? g : 0
                    }
                }
                if w > 2 * ow { (row + 2 * ow * c).update(repeating: 0, count: c) }  // the dropped odd column
            }
        }
    }
}
