/// Random VGG weights for tests and benchmarks: He-normal kernels (He et al., "Delving Deep
/// into Rectifiers", ICCV 2015: std `sqrt(2 / fan_in)`, `fan_in = 9 * Cin`), zero biases.
extension VGGWeights {
    /// Seeded random weights; the same seed gives the same weights.
    ///
    /// Kernels `(3, 3, Cin, Cout)` are drawn in row-major order, layer after layer, from one
    /// `SplitMix64(seed)`, each `Float(nextNormal() * std)` computed in Double; the sequence is fixed so
    /// that Tests/WeightFilesTests/Fixtures/make_keras_reference.py rebuilds the same weights in Python.
    /// Pieces of the sequence are drawn at once on every core, each from the generator moved to its start (every
    /// value takes two draws), so the values are those of the one sequence.
    public static func random(architecture: VGGArchitecture, seed: UInt64,
                              preprocessing: Preprocessing = .caffe) -> VGGWeights {
        var drawn: UInt64 = 0   // draws before the current layer
        let convolutions = architecture.convolutions.map { conv -> ConvWeights in
            let std = (2.0 / Double(9 * conv.inChannels)).squareRoot()
            var kernel = [Float](repeating: 0, count: 9 * conv.inChannels * conv.outChannels)
            let start = drawn
            kernel.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let k = buffer   // the pieces write disjoint ranges
                parallelFor(k.count, parts: VectorOps.parts, minimumPerPart: minimumValuesPerPart) { range in
                    var rng = SplitMix64(seed: seed, skipping: start + 2 * UInt64(range.lowerBound))
                    for i in range { k[i] = Float(rng.nextNormal() * std) }
                }
            }
            drawn += 2 * UInt64(kernel.count)
            return ConvWeights(name: conv.name, inChannels: conv.inChannels, outChannels: conv.outChannels,
                               kernel: kernel, bias: [Float](repeating: 0, count: conv.outChannels))
        }
        return VGGWeights(architecture: architecture, preprocessing: preprocessing,
                          convolutions: convolutions, source: "random:\(seed)")
    }
}
