// Colormaps from their published definitions (see scripts/gen_colormaps.py for where the tables come from):
//   viridis, magma: van der Walt & Smith, matplotlib's 256-entry listed tables.
//   coolwarm: Moreland, "Diverging Color Maps for Scientific Visualization" (2009), matplotlib's segment data.

/// A map from a scalar in 0...1 to a colour.
///
/// Between control points the colour is interpolated linearly in RGB. At `t = i / 255` the listed maps give
/// exactly matplotlib's entry `i`. The raw values are the names a command line accepts.
public enum Colormap: String, CaseIterable, Sendable {
    /// Black to white.
    case gray
    /// Perceptually uniform blue-green-yellow (matplotlib's default).
    case viridis
    /// Perceptually uniform black-purple-orange-white.
    case magma
    /// Diverging blue-white-red, for signed values symmetric around 0.
    case coolwarm

    /// The colour at `t` as components in 0...1; `t` is clamped to 0...1 and NaN maps to 0.
    public func rgb(at t: Double) -> (r: Double, g: Double, b: Double) {
        let s = t.isNaN ? 0 : min(max(t, 0), 1)
        switch self {
        case .gray: return (s, s, s)
        case .viridis: return Colormap.interpolate(ColormapData.viridis, s)
        case .magma: return Colormap.interpolate(ColormapData.magma, s)
        case .coolwarm: return Colormap.interpolate(ColormapData.coolwarm, s)
        }
    }

    /// The colour at `t` as 8-bit components, rounded to nearest; `t` is clamped to 0...1.
    public func color(at t: Double) -> (UInt8, UInt8, UInt8) {
        let c = rgb(at: t)
        return (Colormap.byte(c.r), Colormap.byte(c.g), Colormap.byte(c.b))
    }

    /// `count` colours sampled at `i / (count - 1)`: a lookup table for rendering many values.
    public func table(count: Int) -> [RGBColor] {
        precondition(count >= 2, "a colormap table needs at least 2 entries")
        return (0..<count).map { i in
            let c = color(at: Double(i) / Double(count - 1))
            return RGBColor(c.0, c.1, c.2)
        }
    }

    static func byte(_ v: Double) -> UInt8 {
        UInt8(min(max((v * 255).rounded(), 0), 255))
    }

    /// Linear interpolation in a table of (x, r, g, b) rows sorted by x, with x from 0 to 1.
    static func interpolate(_ points: [(Double, Double, Double, Double)], _ t: Double) -> (r: Double, g: Double, b: Double) {
        var lo = 0
        var hi = points.count - 1
        while hi - lo > 1 {  // invariant: points[lo].x <= t <= points[hi].x
            let mid = (lo + hi) / 2
            if points[mid].0 <= t { lo = mid } else { hi = mid }
        }
        let a = points[lo]
        let b = points[hi]
        let w = b.0 > a.0 ? (t - a.0) / (b.0 - a.0) : 0
        return (a.1 + w * (b.1 - a.1), a.2 + w * (b.2 - a.2), a.3 + w * (b.3 - a.3))
    }
}
