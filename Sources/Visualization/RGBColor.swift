/// An 8-bit RGB colour.
public struct RGBColor: Sendable, Equatable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public static let black = RGBColor(0, 0, 0)
    public static let white = RGBColor(255, 255, 255)
    /// Text grey for secondary labels.
    public static let darkGray = RGBColor(64, 64, 64)
    /// Axis and grid grey.
    public static let lightGray = RGBColor(200, 200, 200)
}
