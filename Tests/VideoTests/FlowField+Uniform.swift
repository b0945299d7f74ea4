@testable import Video

// Test scaffolding that the library itself never uses.
extension FlowField {
    /// The same displacement `(u, v)` at every pixel.
    static func uniform(width: Int, height: Int, u: Float, v: Float) -> FlowField {
        var f = FlowField(width: width, height: height)
        for p in 0 ..< width * height { f.data[2 * p] = u; f.data[2 * p + 1] = v }
        return f
    }
}
