import XCTest
@testable import Visualization

/// Reference numbers from matplotlib 3.11.2, produced by:
///
///     import matplotlib, numpy as np
///     for name in ['viridis', 'magma', 'coolwarm']:
///         cm = matplotlib.colormaps[name]
///         for t in [0.0, 128/255, 1.0]:
///             print(name, t, [float(v) for v in cm(t)[:3]])
///     # t = 0.5 lies halfway between table entries 127 and 128; linear interpolation of the published data:
///     import matplotlib._cm_listed as l, matplotlib._cm as c
///     d = np.array(l._viridis_data); print([float(np.interp(0.5, np.linspace(0, 1, 256), d[:, k])) for k in range(3)])
///     d = c._coolwarm_data; print([float(np.interp(0.3, [p[0] for p in d[k]], [p[1] for p in d[k]]))
///                                  for k in ['red', 'green', 'blue']])
final class ColormapTests: XCTestCase {
    let reference: [(Colormap, Double, (Double, Double, Double))] = [
        (.viridis, 0.0, (0.267004, 0.004874, 0.329415)),
        (.viridis, 128.0 / 255, (0.127568, 0.566949, 0.550556)),
        (.viridis, 1.0, (0.993248, 0.906157, 0.143936)),
        (.viridis, 0.5, (0.1281485, 0.565107, 0.5508925)),
        (.magma, 0.0, (0.001462, 0.000466, 0.013866)),
        (.magma, 128.0 / 255, (0.716387, 0.214982, 0.47529)),
        (.magma, 1.0, (0.987053, 0.991438, 0.749504)),
        (.magma, 0.5, (0.7131745, 0.2138895, 0.4762455)),
        (.coolwarm, 0.0, (0.2298057, 0.298717966, 0.753683153)),
        (.coolwarm, 128.0 / 255, (0.8674276350862745, 0.864376599772549, 0.8626024620196079)),
        (.coolwarm, 1.0, (0.705673158, 0.01555616, 0.150232812)),
        (.coolwarm, 0.5, (0.865395197, 0.86541021, 0.865395561)),
        (.coolwarm, 0.3, (0.6220105914, 0.746219611, 0.9988251922)),
    ]

    func testValuesMatchMatplotlib() {
        var worst = 0.0
        var worstCase = ""
        for (map, t, want) in reference {
            let got = map.rgb(at: t)
            let d = max(abs(got.r - want.0), abs(got.g - want.1), abs(got.b - want.2))
            if d > worst { worst = d; worstCase = "\(map) at \(t): got \(got), want \(want)" }
        }
        XCTAssertLessThan(worst, 1e-9, "worst difference \(worst): \(worstCase)")
    }

    func testBytesRoundToNearest() {
        // viridis(0) = (0.267004, 0.004874, 0.329415) x 255 = (68.09, 1.24, 84.00).
        let c = Colormap.viridis.color(at: 0)
        XCTAssertEqual([c.0, c.1, c.2], [68, 1, 84])
        let g = Colormap.gray.color(at: 0.5)
        XCTAssertEqual([g.0, g.1, g.2], [128, 128, 128])
    }

    func testClampsOutOfRangeAndNaN() {
        for map in Colormap.allCases {
            XCTAssertTrue(map.color(at: -3) == map.color(at: 0), "\(map) below 0")
            XCTAssertTrue(map.color(at: 7) == map.color(at: 1), "\(map) above 1")
            XCTAssertTrue(map.color(at: .nan) == map.color(at: 0), "\(map) NaN")
        }
    }

    func testRawNamesForTheCommandLine() {
        XCTAssertEqual(Colormap.allCases.map(\.rawValue), ["gray", "viridis", "magma", "coolwarm"])
        XCTAssertEqual(Colormap(rawValue: "magma"), .magma)
    }

    func testGeneratedTablesAreSortedAndComplete() {
        XCTAssertEqual(ColormapData.viridis.count, 256)
        XCTAssertEqual(ColormapData.magma.count, 256)
        XCTAssertEqual(ColormapData.coolwarm.count, 33)
        for table in [ColormapData.viridis, ColormapData.magma, ColormapData.coolwarm] {
            XCTAssertEqual(table.first?.0, 0)
            XCTAssertEqual(table.last?.0, 1)
            for i in 1..<table.count { XCTAssertLessThan(table[i - 1].0, table[i].0) }
        }
    }
}
