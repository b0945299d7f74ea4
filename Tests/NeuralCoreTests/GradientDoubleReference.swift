@testable import NeuralCore

/// A float64 forward pass of the VGG convolutional stack, written independently of the
/// library's kernels (direct loops), used as the finite-difference reference for
/// `VGGNetwork.backward`: in Double the rounding noise of `L(x + eps) - L(x - eps)` is
/// negligible, so eps can be small and kinks are rarely crossed.
struct DoubleVGG {
    let steps: [(name: String, step: VGGArchitecture.Step)]
    let kernels: [[Double]]
    let biases: [[Double]]
    let convolutions: [ConvWeights]

    init(_ weights: VGGWeights) {
        steps = weights.architecture.steps
        convolutions = weights.convolutions
        kernels = weights.convolutions.map { $0.kernel.map(Double.init) }
        biases = weights.convolutions.map { $0.bias.map(Double.init) }
    }

    /// Outputs `(H', W', C)` flattened, of the requested layers; x is `(h, w, 3)`.
    func forward(_ x: [Double], height: Int, width: Int, outputs: Set<String>) -> [String: [Double]] {
        var (h, w, c) = (height, width, 3)
        var current = x
        var result: [String: [Double]] = [:]
        for (name, step) in steps {
            if result.count == outputs.count { break }
            switch step {
            case .conv(let i):
                let cout = convolutions[i].outChannels
                current = conv(current, h, w, c, kernels[i], biases[i], cout)
                c = cout
            case .pool:
                current = pool(current, h, w, c)
                (h, w) = (h / 2, w / 2)
            }
            if outputs.contains(name) { result[name] = current }
        }
        return result
    }

    /// relu(conv3x3_same(x) + bias); x is (h, w, cin), kernel (3, 3, cin, cout).
    private func conv(_ x: [Double], _ h: Int, _ w: Int, _ cin: Int, _ kernel: [Double], _ bias: [Double], _ cout: Int) -> [Double] {
        var out = [Double](repeating: 0, count: h * w * cout)
        x.withUnsafeBufferPointer { x in
            kernel.withUnsafeBufferPointer { k in
                out.withUnsafeMutableBufferPointer { o in
                    for y in 0 ..< h {
                        for xx in 0 ..< w {
                            let op = o.baseAddress! + (y * w + xx) * cout
                            for co in 0 ..< cout { op[co] = bias[co] }
                            for ky in 0 ..< 3 {
                                let sy = y + ky - 1
                                if sy < 0 || sy >= h { continue }
                                for kx in 0 ..< 3 {
                                    let sx = xx + kx - 1
                                    if sx < 0 || sx >= w { continue }
                                    for ci in 0 ..< cin {
                                        let v = x[(sy * w + sx) * cin + ci]
                                        let kp = k.baseAddress! + ((ky * 3 + kx) * cin + ci) * cout
                                        for co in 0 ..< cout { op[co] += v * kp[co] }
                                    }
                                }
                            }
                            for co in 0 ..< cout { op[co] = max(op[co], 0) }
                        }
                    }
                }
            }
        }
        return out
    }

    /// 2x2 stride-2 max-pool, 'valid'; x is (h, w, c).
    private func pool(_ x: [Double], _ h: Int, _ w: Int, _ c: Int) -> [Double] {
        let (oh, ow) = (h / 2, w / 2)
        var out = [Double](repeating: 0, count: oh * ow * c)
        for oy in 0 ..< oh {
            for ox in 0 ..< ow {
                for ch in 0 ..< c {
                    var best = -Double.infinity
                    for dy in 0 ..< 2 {
                        for dx in 0 ..< 2 { best = max(best, x[((2 * oy + dy) * w + 2 * ox + dx) * c + ch]) }
                    }
                    out[(oy * ow + ox) * c + ch] = best
                }
            }
        }
        return out
    }
}
