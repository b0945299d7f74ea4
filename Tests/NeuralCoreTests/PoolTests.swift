import XCTest
@testable import NeuralCore

/// `MaxPool2x2` held to the direct reference `MaxPool2x2.naive` / `naiveBackward` (exact:
/// pooling only selects values), plus the documented tie rule and odd-size flooring.
final class PoolTests: XCTestCase {
    func testForwardAndBackwardMatchNaive() {
        for (n, shape) in [(1, 1, 2), (2, 2, 1), (7, 5, 3), (8, 6, 4), (3, 9, 2)].enumerated() {
            let x = TestData.tensor(shape.0, shape.1, shape.2, seed: UInt64(30 + n))
            var y = TestData.tensor(1, 1, 1, seed: 0), argmax: [UInt8] = []
            MaxPool2x2.forward(x, into: &y, argmax: &argmax)
            assertClose(y, MaxPool2x2.naive(x), tolerance: 0, "pool forward \(shape)")
            let dy = TestData.tensor(shape.0 / 2, shape.1 / 2, shape.2, seed: UInt64(40 + n))
            var dx = TestData.tensor(shape.0, shape.1, shape.2, seed: 77)  // garbage: backward overwrites
            MaxPool2x2.backward(dy, argmax: argmax, height: shape.0, width: shape.1, into: &dx)
            assertClose(dx, MaxPool2x2.naiveBackward(x, outputGradient: dy), tolerance: 0, "pool backward \(shape)")
        }
    }

    /// Ties: the first maximum in row-major window order gets the gradient.
    func testTieRuleFirstMaximumWins() {
        // One channel, 2x2 window; each case lists the window and the expected winner.
        let cases: [([Float], Int)] = [([1, 1, 1, 1], 0), ([0, 2, 2, 0], 1), ([0, 0, 3, 3], 2), ([-1, -2, -1, -1], 0)]
        for (window, winner) in cases {
            let x = Tensor(height: 2, width: 2, channels: 1, data: window)
            var y = Tensor(height: 0, width: 0, channels: 0), argmax: [UInt8] = []
            MaxPool2x2.forward(x, into: &y, argmax: &argmax)
            XCTAssertEqual(Int(argmax[0]), winner, "window \(window)")
            let reference = MaxPool2x2.naiveBackward(x, outputGradient: Tensor(height: 1, width: 1, channels: 1, data: [1]))
            XCTAssertEqual(reference.data[winner], 1, "naive tie rule, window \(window)")
        }
    }

    /// 'valid' padding floors odd sizes: a 5x3 input gives 2x1 and the last row/column gets no gradient.
    func testOddSizesFloor() {
        let x = TestData.tensor(5, 3, 2, seed: 8)
        var y = Tensor(height: 0, width: 0, channels: 0), argmax: [UInt8] = []
        MaxPool2x2.forward(x, into: &y, argmax: &argmax)
        XCTAssertEqual(y.height, 2)
        XCTAssertEqual(y.width, 1)
        var dx = Tensor(height: 0, width: 0, channels: 0)
        MaxPool2x2.backward(Tensor(height: 2, width: 1, channels: 2, data: [1, 1, 1, 1]), argmax: argmax,
                            height: 5, width: 3, into: &dx)
        for yy in 0 ..< 5 {
            for xx in 0 ..< 3 where yy == 4 || xx == 2 {
                XCTAssertEqual(dx[yy, xx, 0], 0)
                XCTAssertEqual(dx[yy, xx, 1], 0)
            }
        }
        XCTAssertEqual(dx.data.reduce(0, +), 4)
    }
}
