/// Rectified linear unit, `max(0, x)`. The forward pass is fused into `Conv3x3.forward`;
/// this file holds the standalone forward and the backward through the stored output.
public enum ReLU {
    /// `x = max(0, x)` in place. `x` is any shape.
    public static func forward(_ x: inout Tensor) {
        x.data.withUnsafeMutableBufferPointer { p in
            for i in 0 ..< p.count { p[i] = max(p[i], 0) }
        }
    }

    /// Backward through the mask of the stored output: `gradient[i] = 0` where `output[i] <= 0`.
    ///
    /// At the kink (`output == 0`) the gradient is taken as 0, as TensorFlow's `ReluGrad` does.
    /// - Parameters:
    ///   - output: the ReLU's output (post-activation), any shape.
    ///   - gradient: same shape; d(loss)/d(output) on entry, d(loss)/d(input) on return
    ///     (masked IN PLACE).
    public static func backward(output: Tensor, gradient: inout Tensor) {
        precondition(output.count == gradient.count, "ReLU.backward: output and gradient differ in size")
        output.data.withUnsafeBufferPointer { y in
            gradient.data.withUnsafeMutableBufferPointer { g in
                for i in 0 ..< g.count where !(y[i] > 0) { g[i] = 0 }
            }
        }
    }
}
