import Foundation
import Imaging
import NeuralCore
import StyleTransfer
import Visualization

/// JPEG of a picture tensor, for the live view.
enum RGBImageJPEG {
    /// Quality of the live view's picture: small and quick to encode; the written file is PNG or JPEG 92 as the run says.
    static let quality = 85
    static func encode(_ image: RGBImage) throws -> [UInt8] { try image.encodeJPEG(quality: quality) }
}

/// Looks inside a run: the style layers' Gram matrices of the style images beside those of the current picture, with
/// their difference (as `stylize gram --compare` draws them), and a layer's first 40 feature maps (the tutorial's
/// 5x8 grid).
///
/// It runs on its own network over the run's weights, on the server's thread and only when a page asks, so the
/// optimizer's network and buffers are never touched. One drawing at a time (`lock`).
public final class StudioInspector: @unchecked Sendable {   // the network and the cache are used under `lock`
    private let lock = NSLock()
    private let network: VGGNetwork
    private let styles: [RGBImage]
    private let blend: [Double]
    private let styleScale: Double
    /// The style layers in use, in the network's order.
    public let layers: [String]
    /// The blended style Grams at one picture size (the style's size follows the picture's).
    private var styleGrams: (edge: Int, grams: [String: [Float]])?
    /// The last Gram sheet, its PNG (encoded once), its number among the sheets drawn, when it was drawn and how
    /// long that took.
    private var lastSheet: (image: RGBImage, png: [UInt8]?, number: Int, drawn: Date, seconds: TimeInterval)?

    /// The share of the time automatic refreshes may draw Gram sheets: one is drawn anew only when the last took at
    /// most this share of the time since it was drawn (a sheet takes about the same time at any picture size, its
    /// heatmaps being of the Gram matrices, so a small, fast run would otherwise spend a sixth of its time on them).
    public static let automaticTimeShare = 0.01

    /// Feature maps in the grid: the tutorial's 5 rows of 8.
    public static let gridMaps = 40
    public static let gridColumns = 8
    /// Side of each drawn Gram matrix in the heatmap sheet.
    static let heatmapSide = 160

    /// - Parameters:
    ///   - network: a network of its own (not the optimizer's), over the run's weights.
    ///   - styles: the style images as read; `blend` their weights (normalised here); `styleScale` their size
    ///     against the picture's longest edge.
    public init(network: VGGNetwork, styles: [RGBImage], blend: [Double], styleScale: Double, layers: [String]) {
        self.network = network
        self.styles = styles
        let sum = blend.reduce(0, +)
        self.blend = blend.map { sum > 0 ? $0 / sum : 1 / Double(blend.count) }
        self.styleScale = styleScale
        self.layers = layers
    }

    /// Every layer of the network the grid can show.
    public var featureLayers: [String] { network.architecture.lossLayerNames }

    /// The Gram sheet of `picture` as PNG: per style layer the style's Gram, the picture's and their difference, one
    /// row each; with the sheet's key: the same key for the same sheet, whose PNG is encoded once (an automatic
    /// refresh that gets the last sheet again costs nothing, and a page that has it need not fetch it:
    /// `GET /api/grams.png?auto=1&have=KEY`).
    /// - Parameters:
    ///   - picture: (H, W, 3) in 0...255.
    ///   - fresh: false for an automatic refresh, which gets the last sheet again while drawing a new one would take
    ///     more than `automaticTimeShare` of the time.
    public func gramSheetPNG(of picture: Tensor, fresh: Bool = true) throws -> (png: [UInt8], key: String) {
        lock.lock(); defer { lock.unlock() }
        let sheet = try sheetLocked(picture, fresh: fresh)
        let png = sheet.png ?? sheet.image.encodePNG()
        lastSheet?.png = png
        return (png, String(sheet.number))
    }

    private func sheetLocked(_ picture: Tensor, fresh: Bool) throws -> (image: RGBImage, png: [UInt8]?, number: Int) {
        if !fresh, let last = lastSheet, last.seconds > Self.automaticTimeShare * Date().timeIntervalSince(last.drawn) {
            return (last.image, last.png, last.number)
        }
        let started = Date()
        let sheet = try drawSheetLocked(picture)
        let number = (lastSheet?.number ?? 0) + 1
        lastSheet = (sheet, nil, number, Date(), Date().timeIntervalSince(started))
        return (sheet, nil, number)
    }

    private func drawSheetLocked(_ picture: Tensor) throws -> RGBImage {
        let edge = max(picture.width, picture.height)
        let target = styleGramsLocked(edge: edge)
        let outputs = network.forward(network.weights.preprocessing.apply(picture), outputs: layers)
        var rows: [RGBImage] = []
        for layer in layers {
            let f = outputs[layer]!
            let mine = Gram.matrix(f)
            rows.append(try Heatmap.compare(target[layer]!, mine, n: f.channels, names: ("style", "current"),
                                            title: Heatmap.title(layer: layer, n: f.channels), displaySize: Self.heatmapSide))
        }
        return try ContactSheet.compose(rows, columns: 1)
    }

    /// The first 40 feature maps of `layer` for `picture`, 8 to a row.
    /// - Throws: `StudioError.badRequest` for a layer the network does not have.
    public func featureGrid(of picture: Tensor, layer: String) throws -> RGBImage {
        guard featureLayers.contains(layer) else {
            throw StudioError.badRequest("layer \(layer) is not a layer of this network (\(featureLayers.joined(separator: ", ")))")
        }
        lock.lock(); defer { lock.unlock() }
        let f = network.forward(network.weights.preprocessing.apply(picture), outputs: [layer])[layer]!
        let shown = min(Self.gridMaps, f.channels)
        return try FeatureMapGrid.render(tensor: f, count: shown, columns: Self.gridColumns, tileSize: 64,
                                         title: "\(layer): channels 0-\(shown - 1) of \(f.channels), \(f.height)x\(f.width)")
    }

    /// The style images' Grams blended as the objective's target, with the styles fitted to `styleScale` × `edge`.
    private func styleGramsLocked(edge: Int) -> [String: [Float]] {
        if let styleGrams, styleGrams.edge == edge { return styleGrams.grams }
        var blended: [String: [Float]] = [:]
        for (style, weight) in zip(styles, blend) {
            let fitted = style.resized(longestEdge: max(16, Int((Double(edge) * styleScale).rounded())))
            let outputs = network.forward(network.weights.preprocessing.apply(Tensor(fitted)), outputs: layers)
            for layer in layers {
                let g = Gram.matrix(outputs[layer]!)
                var sum = blended[layer] ?? [Float](repeating: 0, count: g.count)
                for i in 0..<g.count { sum[i] += Float(weight) * g[i] }
                blended[layer] = sum
            }
        }
        styleGrams = (edge, blended)
        return blended
    }
}
