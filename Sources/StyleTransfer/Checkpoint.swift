import Foundation
import NeuralCore
import SafeIO

/// A run's plan and state at one step, in a file, so that `stylize resume` continues it exactly.
///
/// Format (version 1; every number little-endian):
/// ```
/// offset  size  content
/// 0       8     "STYLCKPT"
/// 8       4     format version (UInt32), 1
/// 12      4     header length L (UInt32), at most `maxHeaderBytes`
/// 16      L     header: UTF-8 JSON (`Checkpoint.Header`): the plan, the fingerprints of the weights and the
///               inputs, the thread count, the counters and scalars of the state, the progress history
/// 16+L    4·n·(4 + 2p)  Float32 vectors of n = the scale's width · height · 3 values: x, gradient, best,
///               best gradient, then s and y of each of the p history pairs, oldest first
/// end-8   8     fingerprint (`Fingerprint`) of the header and of each vector, in order
/// ```
/// The reader checks every size against the plan with checked arithmetic before reading a vector, and the file's
/// size against the sum.
public struct Checkpoint: Sendable {
    public static let magic = Array("STYLCKPT".utf8)
    public static let version: UInt32 = 1
    /// The header is the plan and a few hundred bytes per step of history: 64 MiB is far beyond any real run.
    public static let maxHeaderBytes = 64 << 20

    public var plan: RunPlan
    public var state: StylizerState
    /// `Fingerprint.of` the weights and of the inputs the run used.
    public var weights: UInt64
    public var inputs: UInt64
    /// The weights as the run named them (`--weights`; nil: the default search), and how it computed 3x3
    /// convolutions (`ConvAlgorithm` raw value): a resume uses the same, since either changes the numbers.
    public var weightsSpec: String?
    public var convolution: String
    /// Threads of the run that wrote it (`ProcessInfo.activeProcessorCount`): the same count resumes bit for bit.
    public var threads: Int

    public init(plan: RunPlan, state: StylizerState, weights: UInt64, inputs: UInt64, weightsSpec: String?,
                convolution: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.plan = plan
        self.state = state
        self.weights = weights
        self.inputs = inputs
        self.weightsSpec = weightsSpec
        self.convolution = convolution
        self.threads = threads
    }

    /// Bytes of the file for a state of `values` variables and `pairs` history pairs, besides the header.
    public static func vectorBytes(values: Int, pairs: Int) -> Int { 4 * values * (4 + 2 * pairs) }

    // MARK: - Writing

    /// Writes the checkpoint atomically (`StagedFile`: a temporary file renamed into place), streaming the vectors.
    /// - Throws: `FileAccessError` naming the path (missing folder, disk full, would overwrite an input...).
    public func write(to path: String) throws(FileAccessError) {
        let header: [UInt8]
        do { header = try Array(Checkpoint.encoder.encode(Header(self))) } catch {
            throw FileAccessError(path: path, kind: .cannotWrite("cannot encode the checkpoint: \(error)"))
        }
        let file = try StagedFile(path: path)
        var check = Fingerprint()
        try file.append(Checkpoint.magic)
        try file.append(littleEndianBytes(Checkpoint.version))
        try file.append(littleEndianBytes(UInt32(header.count)))
        try file.append(header)
        check.add(header)
        let o = state.optimizer
        #if _endian(big)
        #error("checkpoints store Float32 little-endian; add a byte swap here for big-endian machines")
        #endif
        for vector in [o.x, o.gradient, o.best, o.bestGradient] + o.pairs.flatMap({ [$0.s, $0.y] }) {
            let bytes = vector.withUnsafeBytes { Array($0) }
            try file.append(bytes)
            check.add(bytes)
        }
        try file.append(littleEndianBytes(check.digest))
        try file.commit()
    }

    private func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }()
}

/// A checkpoint that cannot be resumed: one line naming the file, what is wrong and what to do.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}
