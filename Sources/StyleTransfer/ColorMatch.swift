// Colour control by histogram matching (Gatys, Ecker, Bethge, Hertzmann & Shechtman, "Controlling Perceptual
// Factors in Neural Style Transfer", CVPR 2017, section 5.1): before the transfer, the style image's RGB values are
// mapped linearly so that their mean and covariance are the photo's,
//   x' = A (x − μ_s) + μ_c,   A Σ_s Aᵀ = Σ_c,
// with A from either square root of the covariances:
//   Cholesky:  A = L_c L_s⁻¹                  (Σ = L Lᵀ, L lower triangular)
//   PCA:       A = Σ_c^½ Σ_s^−½               (symmetric square roots by the eigen-decomposition, Jacobi rotations)
// Both give the same mean and covariance; they differ by a rotation of the colours. The PCA square root is the
// symmetric one, the smallest change of the colours (it is the map closest to the identity among those that give
// Σ_c), while the Cholesky factor depends on the order R, G, B and can turn hues that the photo lacks into others.
import Foundation
import Imaging
import NeuralCore

/// How the style images' colours are made the photo's before the transfer.
public enum ColorMatch: String, Sendable, Equatable, Codable, CaseIterable {
    /// A = L_c L_s⁻¹.
    case cholesky
    /// A = Σ_c^½ Σ_s^−½ (the default of `--color match`).
    case pca
}

/// The mean and the covariance of an image's RGB values, in Double.
public struct ColorStatistics: Sendable, Equatable {
    public var mean: [Double]
    /// (3, 3), row-major.
    public var covariance: [Double]

    public init(_ image: RGBImage) { self.init(count: image.pixels.count / 3) { Double(image.pixels[$0]) } }

    /// Of an RGB tensor `(H, W, 3)`.
    public init(_ image: Tensor) {
        self = image.data.withUnsafeBufferPointer { ColorStatistics($0.baseAddress!, pixels: image.height * image.width) }
    }

    /// Of `pixels` RGB values, three per pixel.
    init(_ values: UnsafePointer<Float>, pixels: Int) { self.init(count: pixels) { Double(values[$0]) } }

    /// Of `n` pixels whose value `i` (three per pixel) is `value(i)`.
    private init(count n: Int, value: (Int) -> Double) {
        var mean = [Double](repeating: 0, count: 3), cov = [Double](repeating: 0, count: 9)
        for i in 0 ..< n { for k in 0 ..< 3 { mean[k] += value(3 * i + k) } }
        mean = mean.map { $0 / Double(max(1, n)) }
        for i in 0 ..< n {
            for a in 0 ..< 3 {
                let da = value(3 * i + a) - mean[a]
                for b in 0 ..< 3 { cov[a * 3 + b] += da * (value(3 * i + b) - mean[b]) }
            }
        }
        self.mean = mean
        self.covariance = cov.map { $0 / Double(max(1, n)) }
    }
}

extension ColorMatch {
    /// A floor added to the covariances' diagonals (grey levels squared) so that a flat or grey image (a singular
    /// covariance) still has a square root and an inverse: a standard deviation of 1/4 of a grey level, invisible.
    static let covarianceFloor = 1.0 / 16

    /// The map that gives `style`'s colours `photo`'s mean and covariance.
    public func transform(from style: RGBImage, to photo: RGBImage) -> ColorTransform {
        let s = ColorStatistics(style), c = ColorStatistics(photo)
        return ColorTransform(matrix: matrix(from: s.covariance, to: c.covariance), from: s.mean, to: c.mean)
    }

    /// A (3, 3) with `A Σ_s Aᵀ = Σ_c`.
    func matrix(from styleCovariance: [Double], to photoCovariance: [Double]) -> [Double] {
        var (ss, cc) = (styleCovariance, photoCovariance)
        for k in 0 ..< 3 { ss[k * 4] += Self.covarianceFloor; cc[k * 4] += Self.covarianceFloor }
        switch self {
        case .cholesky:
            return Matrix3.product(Matrix3.cholesky(cc), Matrix3.inverseLower(Matrix3.cholesky(ss)))
        case .pca:
            return Matrix3.product(Matrix3.symmetricPower(cc, 0.5), Matrix3.symmetricPower(ss, -0.5))
        }
    }
}

/// `x' = A (x − μ_s) + μ_c` on RGB values, in float: a style image enters the network as floats, so its matched
/// colours are neither rounded nor clamped to 8 bits (clamping alone took up to 30% off the covariance of a painting
/// matched to building.jpg).
public struct ColorTransform: Sendable, Equatable {
    /// A, (3, 3) row-major; μ_s and μ_c.
    public var matrix: [Double]
    public var from: [Double]
    public var to: [Double]

    /// Maps every pixel of `image` `(H, W, 3)` in place.
    public func apply(_ image: inout Tensor) {
        let a = matrix.map { Float($0) }, s = from.map { Float($0) }, c = to.map { Float($0) }
        image.data.withUnsafeMutableBufferPointer { p in
            for i in 0 ..< p.count / 3 {
                let (r, g, b) = (p[3 * i] - s[0], p[3 * i + 1] - s[1], p[3 * i + 2] - s[2])
                for k in 0 ..< 3 { p[3 * i + k] = c[k] + a[3 * k] * r + a[3 * k + 1] * g + a[3 * k + 2] * b }
            }
        }
    }
}

/// 3x3 row-major matrices, in Double: what colour matching needs.
enum Matrix3 {
    static func product(_ a: [Double], _ b: [Double]) -> [Double] {
        var c = [Double](repeating: 0, count: 9)
        for i in 0 ..< 3 {
            for j in 0 ..< 3 {
                var sum = 0.0
                for k in 0 ..< 3 { sum += a[i * 3 + k] * b[k * 3 + j] }
                c[i * 3 + j] = sum
            }
        }
        return c
    }

    static func transpose(_ a: [Double]) -> [Double] { [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]] }

    /// L, lower triangular with L Lᵀ = a, for a symmetric positive definite `a`.
    static func cholesky(_ a: [Double]) -> [Double] {
        var l = [Double](repeating: 0, count: 9)
        for i in 0 ..< 3 {
            for j in 0 ... i {
                var sum = a[i * 3 + j]
                for k in 0 ..< j { sum -= l[i * 3 + k] * l[j * 3 + k] }
                l[i * 3 + j] = i == j ? max(sum, 1e-12).squareRoot() : sum / l[j * 3 + j]
            }
        }
        return l
    }

    /// The inverse of a lower triangular matrix, by forward substitution.
    static func inverseLower(_ l: [Double]) -> [Double] {
        var inv = [Double](repeating: 0, count: 9)
        for j in 0 ..< 3 {
            for i in j ..< 3 {
                var sum = i == j ? 1.0 : 0.0
                for k in j ..< i { sum -= l[i * 3 + k] * inv[k * 3 + j] }
                inv[i * 3 + j] = sum / l[i * 3 + i]
            }
        }
        return inv
    }

    /// `a^p` of a symmetric positive definite matrix: V diag(λ^p) Vᵀ from cyclic Jacobi rotations (Golub & Van
    /// Loan, section 8.5), to off-diagonal 1e-12 of the norm.
    static func symmetricPower(_ a: [Double], _ p: Double) -> [Double] {
        var m = a, v: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
        let norm = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for _ in 0 ..< 50 {
            let off = m[1] * m[1] + m[2] * m[2] + m[5] * m[5]
            if off.squareRoot() <= 1e-12 * norm { break }
            for (i, j) in [(0, 1), (0, 2), (1, 2)] where m[i * 3 + j] != 0 {
                // The rotation in the (i, j) plane that zeroes m_ij.
                let theta = (m[j * 3 + j] - m[i * 3 + i]) / (2 * m[i * 3 + j])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                var r: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
                r[i * 3 + i] = c; r[j * 3 + j] = c; r[i * 3 + j] = s; r[j * 3 + i] = -s
                m = product(transpose(r), product(m, r))
                v = product(v, r)
            }
        }
        var d = [Double](repeating: 0, count: 9)
        for k in 0 ..< 3 { d[k * 4] = Foundation.pow(max(m[k * 4], 1e-12), p) }
        return product(v, product(d, transpose(v)))
    }
}
