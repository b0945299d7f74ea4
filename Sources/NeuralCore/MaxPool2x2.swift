/// 2x2 max-pooling with stride 2 and Keras 'valid' padding, as between VGG blocks
/// (Simonyan & Zisserman, ICLR 2015). Output `(H / 2, W / 2, C)` (floor: an odd last row or
/// column is dropped). The forward pass stores, for each output element, the flat index of
/// the input element that won; the backward pass scatters through it (Caffe's `pooling_layer`).
///
/// Tie rule: the FIRST maximum in row-major window order wins, `(0,0), (0,1), (1,0), (1,1)`
/// (a later element must be strictly greater to replace it). A NaN never wins unless it is first.
public enum MaxPool2x2 {
    /// Forward pass.
    ///
    /// - Parameters:
    ///   - input: `(H, W, C)`.
    ///   - output: `(H / 2, W / 2, C)`; overwritten (reallocated only if its size differs).
    ///   - argmax: `(H / 2, W / 2, C)` flat indices into `input.data`; overwritten.
    public static func forward(_ input: Tensor, into output: inout Tensor, argmax: inout [Int32]) {
        let (h, w, c) = (input.height, input.width, input.channels)
        let (oh, ow) = (h / 2, w / 2)
        precondition(h * w * c <= Int(Int32.max), "MaxPool2x2: tensor too large for 32-bit indices")
        output.reshapeForOutput(height: oh, width: ow, channels: c)
        if argmax.count != oh * ow * c { argmax = [Int32](repeating: 0, count: oh * ow * c) }
        input.data.withUnsafeBufferPointer { src in
            output.data.withUnsafeMutableBufferPointer { dst in
                argmax.withUnsafeMutableBufferPointer { idx in
                    for oy in 0 ..< oh {
                        for ox in 0 ..< ow {
                            let i00 = ((2 * oy) * w + 2 * ox) * c
                            let i01 = i00 + c
                            let i10 = i00 + w * c
                            let i11 = i10 + c
                            let o = (oy * ow + ox) * c
                            for ch in 0 ..< c {
                                var best = src[i00 + ch], at = i00 + ch
                                if src[i01 + ch] > best { best = src[i01 + ch]; at = i01 + ch }
                                if src[i10 + ch] > best { best = src[i10 + ch]; at = i10 + ch }
                                if src[i11 + ch] > best { best = src[i11 + ch]; at = i11 + ch }
                                dst[o + ch] = best
                                idx[o + ch] = Int32(truncatingIfNeeded: at)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Backward pass: scatters each output gradient to the input element that won.
    ///
    /// - Parameters:
    ///   - outputGradient: `(H / 2, W / 2, C)`.
    ///   - argmax: from the forward pass on an input of shape `(height, width, C)`.
    ///   - inputGradient: `(height, width, C)`; OVERWRITTEN (zero except at the winners;
    ///     the dropped odd row/column gets zero).
    public static func backward(_ outputGradient: Tensor, argmax: [Int32], height: Int, width: Int,
                                into inputGradient: inout Tensor) {
        let c = outputGradient.channels
        precondition(argmax.count == outputGradient.count, "MaxPool2x2.backward: argmax does not match the gradient")
        precondition(outputGradient.height == height / 2 && outputGradient.width == width / 2,
                     "MaxPool2x2.backward: gradient shape does not match the input size")
        inputGradient.reshapeForOutput(height: height, width: width, channels: c)
        outputGradient.data.withUnsafeBufferPointer { dout in
            argmax.withUnsafeBufferPointer { idx in
                inputGradient.data.withUnsafeMutableBufferPointer { din in
                    din.update(repeating: 0)
                    for i in 0 ..< dout.count { din[Int(idx[i])] += dout[i] }
                }
            }
        }
    }
}
