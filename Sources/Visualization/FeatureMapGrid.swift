import Imaging
import NeuralCore

/// Feature maps of one layer as a grid of images, each normalised to its own min...max.
///
/// The tutorial's picture: the first 40 maps of block1_conv1 as a 5 x 8 grid of grey images. A constant map
/// is drawn in the colormap's middle colour (mid grey), never NaN.
public enum FeatureMapGrid {
    /// Renders the first `count` channels of `tensor` (all when `count` exceeds C).
    /// - Parameters:
    ///   - tensor: activations (H, W, C).
    ///   - columns: tiles per row.
    ///   - tileSize: tile width in pixels; the height keeps the map's aspect ratio.
    ///   - labels: write the channel index under each tile.
    ///   - title: a line above the grid, e.g. "block1_conv1: channels 0-39".
    public static func render(tensor: Tensor, count: Int, columns: Int = 8, colormap: Colormap = .gray,
                              tileSize: Int = 96, labels: Bool = false, title: String? = nil) throws -> RGBImage {
        precondition(tensor.width > 0 && tensor.height > 0, "empty feature map")
        let tiles = (0..<min(count, tensor.channels)).map { c in
            GridSheet.Tile(rows: tensor.height, cols: tensor.width, values: channel(c, of: tensor), label: labels ? "\(c)" : nil)
        }
        let tileHeight = max(1, (tileSize * tensor.height + tensor.width / 2) / tensor.width)
        var sheet = GridSheet(tiles: tiles, columns: columns, tileWidth: tileSize, tileHeight: tileHeight,
                              colormap: colormap)
        sheet.title = title
        sheet.padding = 4
        return try sheet.render()
    }

    /// Channel `c` of a tensor (H, W, C) as an (H x W) row-major matrix: the tutorial's `layer[:, :, c]`.
    public static func channel(_ c: Int, of tensor: Tensor) -> [Float] {
        let n = tensor.height * tensor.width
        let stride = tensor.channels
        var out = [Float](repeating: 0, count: n)
        tensor.data.withUnsafeBufferPointer { src in
            for i in 0..<n { out[i] = src[i * stride + c] }
        }
        return out
    }
}
