/// Scratch memory for the banded im2col / col2im of `Conv3x3`, reused across calls.
///
/// A band is `B` consecutive output rows; its column matrix is `(B * W, 9 * Cin)`. The band
/// height is the largest `B <= H` whose column matrix fits in `scratchLimitBytes`, but at
/// least one row, so the scratch holds at most
/// `max(scratchLimitBytes / 4, W * 9 * Cin)` floats (one row of a 512-wide, 512-channel
/// layer is 9.4 MB). The network owns one workspace and passes it to every convolution.
public final class ConvWorkspace {
    /// Upper bound for the column buffer in bytes (exceeded only when a single row needs more).
    public let scratchLimitBytes: Int
    /// The column buffer; it grows to the largest band seen and never shrinks.
    var columns: [Float] = []

    /// Threads for the passes around the GEMMs (im2col, col2im, bias + ReLU); the GEMMs
    /// themselves are threaded by OpenBLAS (`GEMM.threadCount`).
    public var workers: Int

    /// - Parameters:
    ///   - scratchLimitBytes: bound for the column buffer, 4 MiB by default.
    ///   - workers: threads for im2col / col2im / bias; OpenBLAS' thread count by default.
    public init(scratchLimitBytes: Int = 4 << 20, workers: Int? = nil) {
        precondition(scratchLimitBytes > 0, "scratch limit must be positive")
        self.scratchLimitBytes = scratchLimitBytes
        self.workers = max(1, workers ?? GEMM.threadCount)
    }

    /// Bytes the column buffer currently holds.
    public var scratchBytes: Int { columns.count * MemoryLayout<Float>.stride }

    /// Rows per band for an image of the given width and input channels.
    public func bandHeight(height: Int, width: Int, inChannels: Int) -> Int {
        let rowFloats = max(1, width * 9 * inChannels)
        return max(1, min(height, scratchLimitBytes / MemoryLayout<Float>.stride / rowFloats))
    }

    /// Grows the column buffer to at least `count` floats.
    func reserve(_ count: Int) {
        if columns.count < count {
            columns = [Float](repeating: 0, count: count)
        }
    }
}

extension Tensor {
    /// Gives the tensor the shape `(H, W, C)`, reallocating only when the element count changes.
    /// The contents are unspecified afterwards.
    mutating func reshapeForOutput(height: Int, width: Int, channels: Int) {
        if data.count == height * width * channels {
            self.height = height
            self.width = width
            self.channels = channels
        } else {
            self = Tensor(height: height, width: width, channels: channels)
        }
    }
}
