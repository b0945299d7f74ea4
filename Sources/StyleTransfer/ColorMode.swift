/// Whose colours the result has (Gatys et al. 2017, section 5): `--color` on the command line, the colour control
/// of the studio.
public enum ColorMode: String, Sendable, Codable, CaseIterable {
    /// The paintings' colours (the default).
    case style
    /// The photo's, as `--original-colors`: the luminance is optimised under the photo's chroma, the paintings'
    /// luminance matched to the photo's (LuminanceTransfer.swift).
    case keep
    /// The paintings' colours matched to the photo's mean and covariance before the transfer (PCA square root).
    case match
    /// As `match`, with the Cholesky square root (for comparisons).
    case matchCholesky = "match-cholesky"

    /// The mode of a plan.
    public init(_ plan: RunPlan) {
        switch plan.colorMatch {
        case .pca?: self = .match
        case .cholesky?: self = .matchCholesky
        case nil: self = plan.preset.originalColors ? .keep : .style
        }
    }

    /// The request's settings for this mode; `style` keeps the request's (and its preset's) `original_colors`.
    public func apply(to request: inout RunRequest) {
        switch self {
        case .style: break
        case .keep: request.originalColors = true
        case .match: request.colorMatch = .pca
        case .matchCholesky: request.colorMatch = .cholesky
        }
    }

    /// The request's settings for this mode alone: `style` also turns `original_colors` off.
    public func set(on request: inout RunRequest) {
        request.originalColors = self == .keep
        request.colorMatch = nil
        apply(to: &request)
    }
}
