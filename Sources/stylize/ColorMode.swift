import ArgumentParser
import StyleTransfer

/// `--color`: whose colours the result has (Gatys et al. 2017, section 5).
enum ColorMode: String, ExpressibleByArgument, CaseIterable {
    /// The paintings' colours (the default).
    case style
    /// The photo's, as `--original-colors`: the luminance is optimised under the photo's chroma, the paintings'
    /// luminance matched to the photo's (LuminanceTransfer.swift).
    case keep
    /// The paintings' colours matched to the photo's mean and covariance before the transfer (PCA square root).
    case match
    /// As `match`, with the Cholesky square root (for comparisons).
    case matchCholesky = "match-cholesky"

    /// The request's settings for this mode.
    func apply(to request: inout RunRequest) {
        switch self {
        case .style: break
        case .keep: request.originalColors = true
        case .match: request.colorMatch = .pca
        case .matchCholesky: request.colorMatch = .cholesky
        }
    }
}
