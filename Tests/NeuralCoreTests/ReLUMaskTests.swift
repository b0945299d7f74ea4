import XCTest
@testable import NeuralCore

/// The ReLU mask bits against the float reference `ReLU.backward(output:gradient:)`, on lengths
/// that end inside a word and inside an 8-lane chunk, with zeros (the kink), negatives and NaN.
final class ReLUMaskTests: XCTestCase {
    func testMaskedBackwardMatchesFloatReference() {
        for count in [1, 7, 63, 64, 65, 130, 1000, 4099] {
            var rng = SplitMix64(seed: UInt64(count))
            let output = Tensor(height: 1, width: 1, channels: count, data: (0 ..< count).map { i in
                switch i % 5 {
                case 0: return 0
                case 1: return Float(rng.nextUniform() * 3)
                case 2: return -Float(rng.nextUniform())
                case 3: return i % 15 == 3 ? .nan : Float(rng.nextUniform())
                default: return Float(rng.nextUniform() - 0.5)
                }
            })
            let g = Tensor(height: 1, width: 1, channels: count, data: (0 ..< count).map { _ in Float(rng.nextUniform() - 0.5) })
            var reference = g
            ReLU.backward(output: output, gradient: &reference)
            var bits = [UInt64](repeating: .max, count: ReLU.maskWords(count))
            var masked = g
            output.data.withUnsafeBufferPointer { o in
                bits.withUnsafeMutableBufferPointer { ReLU.mask(o.baseAddress!, count: count, into: $0.baseAddress!) }
            }
            masked.data.withUnsafeMutableBufferPointer { m in
                bits.withUnsafeBufferPointer { ReLU.backward(mask: $0.baseAddress!, gradient: m.baseAddress!, count: count) }
            }
            XCTAssertEqual(masked, reference, "count \(count)")
        }
    }
}
