/// Direct-loop reference convolutions, kept in the library as the algorithmic reference that
/// the im2col + GEMM `Conv3x3` is tested against. Sums are accumulated in `Double`.
extension Conv3x3 {
    /// Direct 3x3 'same' convolution + bias (+ ReLU), seven nested loops.
    ///
    /// - Parameters:
    ///   - input: `(H, W, Cin)`.
    ///   - weights: kernel `(3, 3, Cin, Cout)`, bias `(Cout)`.
    /// - Returns: `(H, W, Cout)`.
    public static func naive(_ input: Tensor, weights: ConvWeights, relu: Bool = true) -> Tensor {
        let (h, w, cin) = (input.height, input.width, input.channels)
        let cout = weights.outChannels
        precondition(cin == weights.inChannels, "\(weights.name): channel mismatch")
        var output = Tensor(height: h, width: w, channels: cout)
        for y in 0 ..< h {
            for x in 0 ..< w {
                for co in 0 ..< cout {
                    var sum = Double(weights.bias[co])
                    for ky in 0 ..< 3 {
                        for kx in 0 ..< 3 {
                            let yy = y + ky - 1, xx = x + kx - 1
                            if yy < 0 || yy >= h || xx < 0 || xx >= w { continue }
                            for ci in 0 ..< cin {
                                let kv = weights.kernel[((ky * 3 + kx) * cin + ci) * cout + co]
                                sum += Double(input[yy, xx, ci]) * Double(kv)
                            }
                        }
                    }
                    output[y, x, co] = Float(relu ? max(sum, 0) : sum)
                }
            }
        }
        return output
    }

    /// Direct input gradient of the convolution (no ReLU): scatters each output gradient
    /// through the kernel, `dinput[y+ky-1, x+kx-1, ci] += doutput[y, x, co] * kernel[ky, kx, ci, co]`.
    ///
    /// - Parameter outputGradient: `(H, W, Cout)`.
    /// - Returns: `(H, W, Cin)`.
    public static func naiveBackward(_ outputGradient: Tensor, weights: ConvWeights) -> Tensor {
        let (h, w, cout) = (outputGradient.height, outputGradient.width, outputGradient.channels)
        let cin = weights.inChannels
        precondition(cout == weights.outChannels, "\(weights.name): channel mismatch")
        var sums = [Double](repeating: 0, count: h * w * cin)
        for y in 0 ..< h {
            for x in 0 ..< w {
                for ky in 0 ..< 3 {
                    for kx in 0 ..< 3 {
                        let yy = y + ky - 1, xx = x + kx - 1
                        if yy < 0 || yy >= h || xx < 0 || xx >= w { continue }
                        for ci in 0 ..< cin {
                            for co in 0 ..< cout {
                                let kv = weights.kernel[((ky * 3 + kx) * cin + ci) * cout + co]
                                sums[(yy * w + xx) * cin + ci] += Double(outputGradient[y, x, co]) * Double(kv)
                            }
                        }
                    }
                }
            }
        }
        return Tensor(height: h, width: w, channels: cin, data: sums.map { Float($0) })
    }
}
