/// The classic spelling of VGG layer names (Caffe and Torch neural-style: `relu4_2`, `conv1_1`, `pool3`)
/// as aliases of the Keras names this project uses.

extension VGGArchitecture {
    /// The Keras name of a layer given in either spelling: `reluB_N` and `convB_N` -> `blockB_convN` (Keras'
    /// convolution output already has its ReLU applied), `poolB` -> `blockB_pool`. Any other name is returned
    /// unchanged, so that the caller's check names it as given.
    public static func kerasName(_ name: String) -> String {
        func digits(_ s: Substring) -> Int? { s.allSatisfy(\.isASCII) ? Int(s) : nil }
        for prefix in ["relu", "conv"] where name.hasPrefix(prefix) {
            let parts = name.dropFirst(prefix.count).split(separator: "_", omittingEmptySubsequences: false)
            if parts.count == 2, let b = digits(parts[0]), let n = digits(parts[1]) { return "block\(b)_conv\(n)" }
        }
        if name.hasPrefix("pool"), let b = digits(name.dropFirst(4)) { return "block\(b)_pool" }
        return name
    }

    /// The layers a loss or an inspection command may use (convolutions and pools, no `input_1`), for messages:
    /// "block1_conv1, block1_conv2, block1_pool, ...".
    public var lossLayerNames: [String] { steps.map(\.name) }
}
