/// An 8-bit RGB image: what every decoder produces and every encoder takes.
public struct RGBImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// pixels is (H, W, 3), row-major, interleaved R, G, B.
    public var pixels: [UInt8]

    /// A black image.
    public init(width: Int, height: Int) {
        precondition(width >= 0 && height >= 0, "negative image size")
        self.width = width
        self.height = height
        self.pixels = [UInt8](repeating: 0, count: width * height * 3)
    }

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "pixel data does not match \(width)x\(height)x3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
