import XCTest
import Imaging
import NeuralCore
@testable import Visualization

final class GridSheetTests: XCTestCase {
    func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> [UInt8] {
        let i = (y * image.width + x) * 3
        return Array(image.pixels[i..<(i + 3)])
    }

    func bytes(_ c: (UInt8, UInt8, UInt8)) -> [UInt8] { [c.0, c.1, c.2] }

    func testFortyTilesInEightColumnsMakeFiveRows() {
        let layout = GridSheet.layout(tileCount: 40, columns: 8, tileWidth: 32, tileHeight: 24, padding: 4)
        XCTAssertEqual(layout.gridRows, 5)
        XCTAssertEqual(layout.width, 4 + 8 * (32 + 4))
        XCTAssertEqual(layout.height, 4 + 5 * (24 + 4))
        XCTAssertEqual(layout.tileOrigin(9, columns: 8).x, 4 + 36)
        XCTAssertEqual(layout.tileOrigin(9, columns: 8).y, 4 + 28)
        XCTAssertEqual(GridSheet.layout(tileCount: 41, columns: 8, tileWidth: 32, tileHeight: 24, padding: 4).gridRows, 6)
    }

    /// A (6, 8, 48) tensor whose channel c is c + (y * 8 + x) * 0.1 * (c + 1), except channel 5 which is constant.
    func fakeActivations() -> Tensor {
        var t = Tensor(height: 6, width: 8, channels: 48)
        for y in 0..<6 {
            for x in 0..<8 {
                for c in 0..<48 { t[y, x, c] = c == 5 ? 3 : Float(c) + Float(y * 8 + x) * 0.1 * Float(c + 1) }
            }
        }
        return t
    }

    func testFeatureGridSizeAndPerTileNormalisation() throws {
        let image = try FeatureMapGrid.render(tensor: fakeActivations(), count: 40, columns: 8, colormap: .gray,
                                              tileSize: 32)
        // Tiles 32 x 24 (aspect 8:6), padding 4.
        let layout = GridSheet.layout(tileCount: 40, columns: 8, tileWidth: 32, tileHeight: 24, padding: 4)
        XCTAssertEqual(image.width, layout.width)
        XCTAssertEqual(image.height, layout.height)
        for c in [0, 7, 39] where c != 5 {
            let o = layout.tileOrigin(c, columns: 8)
            // Each map's minimum is at (0, 0) and maximum at (7, 5): colormap(0) and colormap(1).
            XCTAssertEqual(pixel(image, o.x, o.y), bytes(Colormap.gray.color(at: 0)), "tile \(c) min")
            XCTAssertEqual(pixel(image, o.x + 31, o.y + 23), bytes(Colormap.gray.color(at: 1)), "tile \(c) max")
        }
        let o = layout.tileOrigin(5, columns: 8)
        XCTAssertEqual(pixel(image, o.x + 10, o.y + 10), [128, 128, 128], "constant map is mid grey")
    }

    func testPerTileMinMaxWithViridis() throws {
        let tiles = [GridSheet.Tile(rows: 2, cols: 2, values: [-5, 0, 1, 7]),
                     GridSheet.Tile(rows: 2, cols: 2, values: [100, 300, 200, 250])]
        var sheet = GridSheet(tiles: tiles, columns: 2, tileWidth: 4, tileHeight: 4, colormap: .viridis)
        sheet.padding = 2
        let image = try sheet.render()
        XCTAssertEqual(pixel(image, 2, 2), bytes(Colormap.viridis.color(at: 0)))
        XCTAssertEqual(pixel(image, 2 + 3, 2 + 3), bytes(Colormap.viridis.color(at: 1)))
        XCTAssertEqual(pixel(image, 8, 2), bytes(Colormap.viridis.color(at: 0)))
        XCTAssertEqual(pixel(image, 8 + 3, 2), bytes(Colormap.viridis.color(at: 1)))
    }

    func testSharedRangeSpansAllTiles() {
        let tiles = [GridSheet.Tile(rows: 1, cols: 2, values: [0, 1]), GridSheet.Tile(rows: 1, cols: 2, values: [2, 4])]
        var sheet = GridSheet(tiles: tiles, columns: 2, tileWidth: 2, tileHeight: 1, colormap: .gray)
        sheet.normalization = .shared(nil)
        let maps = sheet.mappings()
        XCTAssertEqual(maps[0].position(0), 0)
        XCTAssertEqual(maps[1].position(4), 1)
        XCTAssertEqual(maps[0].position(1), 0.25, accuracy: 1e-12)
    }

    func testLogScaleFloorsZeros() {
        // floor = 1e-6 x 100 = 1e-4, so the range is log10: -4 ... 2.
        let m = ValueMapping.fitting([0, 1, 10, 100], scale: .log)
        XCTAssertEqual(m.lo, -4, accuracy: 1e-5)
        XCTAssertEqual(m.hi, 2, accuracy: 1e-5)
        XCTAssertEqual(m.position(10), 5.0 / 6.0, accuracy: 1e-6)
        XCTAssertEqual(m.position(0), 0)
        XCTAssertEqual(m.ticks().map(\.label), ["1e-4", "0.01", "1", "100"])
    }

    func testConstantAndNonFiniteValuesMapToTheMiddle() {
        let m = ValueMapping.fitting([2, 2, .nan, .infinity], scale: .linear)
        XCTAssertEqual(m.position(2), 0.5)
        XCTAssertEqual(m.position(.nan), 0.5)
    }

    func testNiceTicks() {
        XCTAssertEqual(TickFormat.niceTicks(0, 1, target: 6), [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        XCTAssertEqual(TickFormat.niceTicks(-3, 17, target: 5), [0, 5, 10, 15])
        XCTAssertEqual(TickFormat.string(1.5e-5), "1.5e-5")
        XCTAssertEqual(TickFormat.string(250000), "2.5e5")
        XCTAssertEqual(TickFormat.string(0.25), "0.25")
    }
}
