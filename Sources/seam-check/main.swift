// seam-check: measures whether a picture made in tiles (`stylize --tile`) shows its tile borders. It compares, on the
// picture itself:
// - the image gradient across the borders (mean |I(p) − I(p−1)| between the two pixel rows or columns that meet at
//   a border) with the same across every other pair of neighbouring rows and columns;
// - the style loss (Σ_l Σ (G − A)² / Σ A² over the style layers, as the objective's style term at weight 1) of
//   windows centred on border crossings with that of windows centred inside the tiles;
// and writes a 100% crop around a border crossing, plain and with the borders marked, side by side, and (--jpeg) a
// JPEG copy of the picture for a web page.
//
// Usage: seam-check --image OUT.png --style STYLE.jpg --tile CORE [--style-scale 1] [--window 256]
//                   [--weights FILE] [--crop CROP.png] [--crop-size 384] [--jpeg COPY.jpg]
// CORE is the `--tile` of the run (the dry run prints it): the tile borders are recomputed with `TileGrid`.
import Foundation
import Imaging
import NeuralCore
import StyleTransfer
import WeightFiles

func fail(_ message: String) -> Never {
    FileHandle.standardError.write("seam-check: \(message)\n".data(using: .utf8)!)
    exit(2)
}

var arguments = [String: String]()
var i = 1
while i < CommandLine.arguments.count {
    let key = CommandLine.arguments[i]
    guard key.hasPrefix("--"), i + 1 < CommandLine.arguments.count else { fail("usage: seam-check --image OUT.png --style STYLE.jpg --tile CORE [--style-scale 1] [--window 256] [--weights FILE] [--crop CROP.png] [--crop-size 384]") }
    arguments[String(key.dropFirst(2))] = CommandLine.arguments[i + 1]
    i += 2
}
guard let imagePath = arguments["image"], let stylePath = arguments["style"], let core = arguments["tile"].flatMap(Int.init) else {
    fail("--image, --style and --tile are required")
}
let windowSize = arguments["window"].flatMap(Int.init) ?? 256
let styleScale = arguments["style-scale"].flatMap(Double.init) ?? 1
let cropSize = arguments["crop-size"].flatMap(Int.init) ?? 384

let image: RGBImage, styleFile: RGBImage
do {
    image = try RGBImage(contentsOf: imagePath)
    styleFile = try RGBImage(contentsOf: stylePath)
} catch { fail("\(error)") }
let weights: VGGWeights
do {
    weights = try WeightsLoader.resolve(arguments["weights"], projectRoot: WeightsLoader.findProjectRoot())
} catch { fail("\(error)") }
let network = VGGNetwork(weights: weights)
let styleLayers = Preset.defaultStyleLayers
let grid = TileGrid(height: image.height, width: image.width, core: core, architecture: weights.architecture, deepestLayer: "block5_conv2")
let rowBorders = Set(grid.tiles.map(\.core.y0).filter { $0 > 0 }).sorted()
let columnBorders = Set(grid.tiles.map(\.core.x0).filter { $0 > 0 }).sorted()
print("\(imagePath): \(image.width)x\(image.height), \(grid.tiles.count) tiles of \(grid.core) px (+ \(grid.halo) px halo); "
      + "borders at rows \(rowBorders), columns \(columnBorders)")
guard !rowBorders.isEmpty || !columnBorders.isEmpty else { fail("one tile covers the picture: nothing to check") }

func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(1, v.count)) }
func sd(_ v: [Double]) -> Double { let m = mean(v); return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, v.count - 1))).squareRoot() }

// 1. Image gradient across each pair of neighbouring columns (rows): the mean absolute step over the pair.
let (w, h) = (image.width, image.height)
@MainActor func pixel(_ y: Int, _ x: Int, _ c: Int) -> Double { Double(image.pixels[(y * w + x) * 3 + c]) }
var columnSteps = [Double](repeating: 0, count: w)   // columnSteps[x]: between x − 1 and x
for x in 1 ..< w {
    var sum = 0.0
    for y in 0 ..< h { for c in 0 ..< 3 { sum += abs(pixel(y, x, c) - pixel(y, x - 1, c)) } }
    columnSteps[x] = sum / Double(3 * h)
}
var rowSteps = [Double](repeating: 0, count: h)
for y in 1 ..< h {
    var sum = 0.0
    for x in 0 ..< w { for c in 0 ..< 3 { sum += abs(pixel(y, x, c) - pixel(y - 1, x, c)) } }
    rowSteps[y] = sum / Double(3 * w)
}
let borderSteps = columnBorders.map { columnSteps[$0] } + rowBorders.map { rowSteps[$0] }
let otherSteps = (1 ..< w).filter { !columnBorders.contains($0) }.map { columnSteps[$0] }
    + (1 ..< h).filter { !rowBorders.contains($0) }.map { rowSteps[$0] }
let (m, s) = (mean(otherSteps), sd(otherSteps))
print(String(format: "image gradient: across borders %.3f (each: %@), elsewhere %.3f ± %.3f (sd over %d lines); ratio %.3f, largest |z| %.2f",
             mean(borderSteps), borderSteps.map { String(format: "%.2f", $0) }.joined(separator: ", "), m, s, otherSteps.count,
             mean(borderSteps) / m, borderSteps.map { abs($0 - m) / max(s, 1e-9) }.max() ?? 0))

// 2. Style loss of windows on border crossings and inside tiles, against the style at the picture's scale.
let styleEdge = max(16, Int((Double(max(w, h)) * styleScale).rounded()))
let (sw, sh) = RGBImage.fittedSize(width: styleFile.width, height: styleFile.height, longestEdge: styleEdge)
let targets = StyleObjective.gramMatrices(network: network, image: Tensor(styleFile.resized(width: sw, height: sh)),
                                          layers: styleLayers, tileCore: core)
@MainActor func styleLoss(centerY: Int, centerX: Int) -> Double? {
    let half = windowSize / 2
    let (y0, x0) = (centerY - half, centerX - half)
    guard y0 >= 0, x0 >= 0, y0 + windowSize <= h, x0 + windowSize <= w else { return nil }
    var crop = Tensor(height: windowSize, width: windowSize, channels: 3)
    for y in 0 ..< windowSize { for x in 0 ..< windowSize { for c in 0 ..< 3 { crop[y, x, c] = Float(pixel(y0 + y, x0 + x, c)) } } }
    let grams = StyleObjective.gramMatrices(network: network, image: crop, layers: styleLayers, tileCore: nil)
    var total = 0.0
    for layer in styleLayers {
        let (g, a) = (grams[layer]!, targets[layer]!)
        let d = zip(g, a).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        total += d / max(1e-30, a.reduce(0.0) { $0 + Double($1) * Double($1) })
    }
    return total
}
var onBorders: [Double] = [], inside: [Double] = []
for tile in grid.tiles {
    let c = tile.core
    // A window centred on the tile's top-left border crossing (or on its left or top border), and one at its centre.
    if c.y0 > 0 || c.x0 > 0 {
        let cy = c.y0 > 0 ? c.y0 : (c.y0 + c.y1) / 2, cx = c.x0 > 0 ? c.x0 : (c.x0 + c.x1) / 2
        if let v = styleLoss(centerY: cy, centerX: cx) { onBorders.append(v) }
    }
    if let v = styleLoss(centerY: (c.y0 + c.y1) / 2, centerX: (c.x0 + c.x1) / 2) { inside.append(v) }
}
print(String(format: "style loss of %d px windows: on borders %.4f ± %.4f (%d windows), inside tiles %.4f ± %.4f (%d windows); ratio %.3f",
             windowSize, mean(onBorders), sd(onBorders), onBorders.count, mean(inside), sd(inside), inside.count,
             mean(onBorders) / mean(inside)))

// 3. The crop: around the first border crossing (or border), plain on the left, the borders marked on the right.
if let cropPath = arguments["crop"] {
    let cy = rowBorders.first ?? h / 2, cx = columnBorders.first ?? w / 2
    let size = min(cropSize, w, h)
    let y0 = min(max(0, cy - size / 2), h - size), x0 = min(max(0, cx - size / 2), w - size)
    let gap = 8
    var sheet = RGBImage(width: 2 * size + gap, height: size)
    for i in 0 ..< sheet.pixels.count { sheet.pixels[i] = 255 }
    for y in 0 ..< size {
        for x in 0 ..< size {
            for c in 0 ..< 3 {
                let v = image.pixels[((y0 + y) * w + x0 + x) * 3 + c]
                sheet.pixels[(y * sheet.width + x) * 3 + c] = v
                let marked = rowBorders.contains(y0 + y) || columnBorders.contains(x0 + x)
                sheet.pixels[(y * sheet.width + size + gap + x) * 3 + c] = marked ? (c == 0 ? 255 : 0) : v
            }
        }
    }
    do { try sheet.write(to: cropPath) } catch { fail("\(error)") }
    print("\(cropPath): \(size)x\(size) crop at rows \(y0)..<\(y0 + size), columns \(x0)..<\(x0 + size), borders marked on the right")
}

if let jpegPath = arguments["jpeg"] {
    do { try image.write(to: jpegPath) } catch { fail("\(error)") }
    print("\(jpegPath): the picture as JPEG")
}
