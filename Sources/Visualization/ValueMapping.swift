import Foundation

/// How values are spread over a colormap.
public enum ValueScale: String, CaseIterable, Sendable {
    /// t = (v - lo) / (hi - lo).
    case linear
    /// t = (log10 v' - log10 lo') / (log10 hi' - log10 lo') with v' = max(|v|, floor), where
    /// floor = `logFloorRatio` x the largest |v| of the range: values more than six decades below the largest
    /// (zeros included, as in Gram matrices of post-ReLU features) are drawn at the floor.
    case log

    /// The log-scale floor relative to the largest magnitude: 1e-6, i.e. six decades are shown.
    public static let logFloorRatio: Float = 1e-6
}

/// Which values set the colormap range of a tile.
public enum Normalization: Sendable, Equatable {
    /// Each tile's own min...max (a constant tile gets the middle colour).
    case perTile
    /// One range for all tiles: the given one, or nil for the min...max over all tiles.
    case shared(ClosedRange<Float>?)
}

/// A fitted map from values to colormap positions t in 0...1.
///
/// Non-finite values are ignored when fitting and drawn at t = 0.5; an empty or constant range maps to 0.5.
public struct ValueMapping: Sendable, Equatable {
    public let scale: ValueScale
    /// Magnitudes below this are raised to it before log10 (log scale only).
    public let floor: Float
    /// Range ends in the transformed domain (log10 for `.log`).
    public let lo: Float
    public let hi: Float

    /// The mapping whose range is the min...max of the finite `values`.
    public static func fitting<S: Sequence>(_ values: S, scale: ValueScale) -> ValueMapping where S.Element == Float {
        var minV = Float.infinity, maxV = -Float.infinity, maxAbs: Float = 0
        for v in values where v.isFinite {
            minV = min(minV, v)
            maxV = max(maxV, v)
            maxAbs = max(maxAbs, abs(v))
        }
        if minV > maxV { return ValueMapping(scale: scale, floor: 1, lo: 0, hi: 0) }
        switch scale {
        case .linear:
            return ValueMapping(scale: scale, floor: 0, lo: minV, hi: maxV)
        case .log:
            let floor = max(maxAbs * ValueScale.logFloorRatio, Float.leastNormalMagnitude)
            var lo = Float.infinity, hi = -Float.infinity
            for v in values where v.isFinite {
                let l = log10(max(abs(v), floor))
                lo = min(lo, l)
                hi = max(hi, l)
            }
            return ValueMapping(scale: scale, floor: floor, lo: lo, hi: hi)
        }
    }

    /// The mapping for a fixed value range (for `.log`, its ends' magnitudes).
    public static func fixed(_ range: ClosedRange<Float>, scale: ValueScale) -> ValueMapping {
        switch scale {
        case .linear:
            return ValueMapping(scale: scale, floor: 0, lo: range.lowerBound, hi: range.upperBound)
        case .log:
            let maxAbs = max(abs(range.lowerBound), abs(range.upperBound))
            let floor = max(maxAbs * ValueScale.logFloorRatio, Float.leastNormalMagnitude)
            let a = log10(max(abs(range.lowerBound), floor)), b = log10(max(abs(range.upperBound), floor))
            return ValueMapping(scale: scale, floor: floor, lo: min(a, b), hi: max(a, b))
        }
    }

    /// The value in the transformed domain (identity for linear, log10 of the floored magnitude for log).
    @inlinable
    public func transform(_ v: Float) -> Float {
        scale == .linear ? v : log10(max(abs(v), floor))
    }

    /// The colormap position of `v`, clamped to 0...1.
    @inlinable
    public func position(_ v: Float) -> Double {
        if !v.isFinite || !(hi > lo) { return 0.5 }
        let t = Double((transform(v) - lo) / (hi - lo))
        return min(max(t, 0), 1)
    }

    /// Colorbar ticks: (position in 0...1, label) for round values inside the range.
    public func ticks(target: Int = 5) -> [(position: Double, label: String)] {
        if !(hi > lo) { return [(0.5, TickFormat.string(Double(scale == .linear ? lo : pow(10, lo))))] }
        var out = [(position: Double, label: String)]()
        if scale == .log && hi - lo >= 2 {
            let first = Int(Double(lo).rounded(.up)), last = Int(Double(hi).rounded(.down))
            let stride = max(1, (last - first + target - 1) / target)
            for e in Swift.stride(from: first, through: last, by: stride) {
                out.append((Double((Float(e) - lo) / (hi - lo)), TickFormat.decade(e)))
            }
            return out
        }
        let a = Double(scale == .linear ? lo : pow(10, lo)), b = Double(scale == .linear ? hi : pow(10, hi))
        for v in TickFormat.niceTicks(a, b, target: target) {
            let p = Double((transform(Float(v)) - lo) / (hi - lo))
            if p >= -1e-6 && p <= 1 + 1e-6 { out.append((min(max(p, 0), 1), TickFormat.string(v))) }
        }
        return out
    }
}

/// Round tick values and their labels.
public enum TickFormat {
    /// Multiples of 1, 2 or 5 x 10^k in lo...hi, about `target` of them (Heckbert's "nice numbers").
    public static func niceTicks(_ lo: Double, _ hi: Double, target: Int = 5) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let step = niceStep(lo, hi, target: target)
        var out = [Double]()
        var k = (lo / step).rounded(.up)
        while k * step <= hi + step * 1e-9 {
            let v = k * step
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            k += 1
        }
        return out
    }

    /// The tick spacing for lo...hi: 1, 2 or 5 x 10^k, giving about `target` ticks.
    public static func niceStep(_ lo: Double, _ hi: Double, target: Int = 5) -> Double {
        let raw = (hi - lo) / Double(max(target - 1, 1))
        let mag = pow(10, (log10(raw)).rounded(.down))
        let f = raw / mag
        return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag
    }

    /// A short label: up to 4 significant digits, exponent without padding ("1.5e-05" becomes "1.5e-5").
    public static func string(_ v: Double) -> String {
        if v == 0 { return "0" }
        var s = String(format: "%.4g", v)
        s = s.replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e-0", with: "e-")
            .replacingOccurrences(of: "e+", with: "e")
        return s
    }

    /// The label of 10^e: "0.01", "0.1", "1", "10", "100", else "1e5" / "1e-5".
    public static func decade(_ e: Int) -> String {
        switch e {
        case -2: return "0.01"
        case -1: return "0.1"
        case 0: return "1"
        case 1: return "10"
        case 2: return "100"
        default: return "1e\(e)"
        }
    }
}
