import Foundation

extension VGGWeights {
    /// Seeded random VGG weights (He et al., "Delving Deep into Rectifiers", ICCV 2015): every kernel
    /// element is normal with std `sqrt(2 / (9 * Cin))`, biases are zero.
    ///
    /// The sequence is fixed so other tools can rebuild it (Tests/NeuralCoreTests/Fixtures/make_keras_reference.py
    /// does, in Python): one `SplitMix64(seed:)` for the whole network, convolutions in order, kernel elements in
    /// `(3, 3, Cin, Cout)` row-major order, each `Float(nextNormal() * std)` computed in Double.
    public static func random(architecture: VGGArchitecture, seed: UInt64, preprocessing: Preprocessing = .caffe) -> VGGWeights {
        var rng = SplitMix64(seed: seed)
        var convolutions: [ConvWeights] = []
        for conv in architecture.convolutions {
            let std = (2.0 / Double(9 * conv.inChannels)).squareRoot()
            var kernel = [Float](repeating: 0, count: 9 * conv.inChannels * conv.outChannels)
            kernel.withUnsafeMutableBufferPointer { k in
                for i in 0..<k.count { k[i] = Float(rng.nextNormal() * std) }
            }
            convolutions.append(ConvWeights(name: conv.name, inChannels: conv.inChannels, outChannels: conv.outChannels,
                                            kernel: kernel, bias: [Float](repeating: 0, count: conv.outChannels)))
        }
        return VGGWeights(architecture: architecture, preprocessing: preprocessing, convolutions: convolutions,
                          source: "random:\(seed) (\(architecture.name.uppercased()), He-normal)")
    }
}
