/// A float32 feature map for one image, channels-last: `(H, W, C)`.
///
/// The layout is fixed here for the whole project: element `(y, x, c)` is at
/// `(y * width + x) * channels + c`. It matches Keras' kernels `(3, 3, Cin, Cout)`
/// and the tutorial's `layer[:, :, i]`.
public struct Tensor: Sendable, Equatable {
    public var height: Int
    public var width: Int
    public var channels: Int
    /// data is (H, W, C), row-major.
    public var data: [Float]

    /// A tensor of zeros.
    public init(height: Int, width: Int, channels: Int) {
        precondition(height >= 0 && width >= 0 && channels >= 0, "negative tensor shape")
        self.height = height
        self.width = width
        self.channels = channels
        self.data = [Float](repeating: 0, count: height * width * channels)
    }

    /// A tensor over existing data; `data.count` must be `height * width * channels`.
    public init(height: Int, width: Int, channels: Int, data: [Float]) {
        precondition(data.count == height * width * channels, "tensor data does not match its shape")
        self.height = height
        self.width = width
        self.channels = channels
        self.data = data
    }

    /// Number of elements, `H * W * C`.
    public var count: Int { height * width * channels }

    /// The shape as `(H, W, C)`.
    public var shape: (height: Int, width: Int, channels: Int) { (height, width, channels) }

    /// Element `(y, x, c)`.
    @inlinable
    public subscript(y: Int, x: Int, c: Int) -> Float {
        get { data[(y * width + x) * channels + c] }
        set { data[(y * width + x) * channels + c] = newValue }
    }
}
