/// Direct-loop reference max-pool, kept in the library as the algorithmic reference that
/// `MaxPool2x2` is tested against. Same tie rule: first maximum in row-major window order.
extension MaxPool2x2 {
    /// Direct 2x2 stride-2 max-pool, 'valid' padding.
    ///
    /// - Parameter input: `(H, W, C)`.
    /// - Returns: `(H / 2, W / 2, C)`.
    public static func naive(_ input: Tensor) -> Tensor {
        var output = Tensor(height: input.height / 2, width: input.width / 2, channels: input.channels)
        for oy in 0 ..< output.height {
            for ox in 0 ..< output.width {
                for c in 0 ..< input.channels {
                    var best = input[2 * oy, 2 * ox, c]
                    for dy in 0 ..< 2 {
                        for dx in 0 ..< 2 where input[2 * oy + dy, 2 * ox + dx, c] > best {
                            best = input[2 * oy + dy, 2 * ox + dx, c]
                        }
                    }
                    output[oy, ox, c] = best
                }
            }
        }
        return output
    }

    /// Direct backward: each output gradient goes to the first maximum of its window.
    ///
    /// - Parameters:
    ///   - input: `(H, W, C)`, the forward input.
    ///   - outputGradient: `(H / 2, W / 2, C)`.
    /// - Returns: `(H, W, C)`.
    public static func naiveBackward(_ input: Tensor, outputGradient: Tensor) -> Tensor {
        var inputGradient = Tensor(height: input.height, width: input.width, channels: input.channels)
        for oy in 0 ..< outputGradient.height {
            for ox in 0 ..< outputGradient.width {
                for c in 0 ..< input.channels {
                    var (by, bx) = (2 * oy, 2 * ox)
                    for dy in 0 ..< 2 {
                        for dx in 0 ..< 2 where input[2 * oy + dy, 2 * ox + dx, c] > input[by, bx, c] {
                            (by, bx) = (2 * oy + dy, 2 * ox + dx)
                        }
                    }
                    inputGradient[by, bx, c] += outputGradient[oy, ox, c]
                }
            }
        }
        return inputGradient
    }
}
