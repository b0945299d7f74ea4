import Foundation
import NeuralCore
import SafeIO

extension Checkpoint {
    /// The JSON header: everything but the vectors.
    struct Header: Codable {
        var plan: RunPlan
        /// `Fingerprint` digests as 16 hexadecimal digits (JSON numbers lose integers above 2^53).
        var weights: String
        var inputs: String
        var weightsSpec: String?
        var convolution: String
        var threads: Int
        var scaleIndex: Int
        /// n, the length of every vector.
        var values: Int
        var value: Double
        var bestValue: Double
        /// rho and y.y of each history pair, oldest first; their s and y follow the header.
        var rho: [Double]
        var yy: [Double]
        var sNorm: [Double]
        var yNorm: [Double]
        var recentValues: [Double]
        var evaluations: Int
        var iterations: Int
        var initialGradientNorm: Double
        var steepest: Bool
        var step: Double
        var bestTerms: Terms?
        var history: [Progress]
        var evaluationsBefore: Int
        var iterationsBefore: Int
        var scaleSeconds: Double
        var elapsed: Double

        init(_ c: Checkpoint) {
            let s = c.state, o = s.optimizer
            plan = c.plan
            weights = Checkpoint.hex(c.weights)
            inputs = Checkpoint.hex(c.inputs)
            weightsSpec = c.weightsSpec
            convolution = c.convolution
            threads = c.threads
            scaleIndex = s.scaleIndex
            values = o.count
            value = o.value
            bestValue = o.bestValue
            rho = o.pairs.map(\.rho)
            yy = o.pairs.map(\.yy)
            sNorm = o.pairs.map(\.sNorm)
            yNorm = o.pairs.map(\.yNorm)
            recentValues = o.recentValues
            evaluations = o.evaluations
            iterations = o.iterations
            initialGradientNorm = o.initialGradientNorm
            steepest = o.steepest
            step = o.step
            bestTerms = s.bestTerms.map(Terms.init)
            history = s.history.map(Progress.init)
            evaluationsBefore = s.evaluationsBefore
            iterationsBefore = s.iterationsBefore
            scaleSeconds = s.scaleSeconds
            elapsed = s.elapsed
        }
    }

    /// `LossTerms` in the header.
    struct Terms: Codable {
        var content: Double
        var style: Double
        var tv: Double
        var styleByLayer: [String: Double]
        init(_ t: LossTerms) { (content, style, tv, styleByLayer) = (t.content, t.style, t.tv, t.styleByLayer) }
        var terms: LossTerms {
            var t = LossTerms()
            (t.content, t.style, t.tv, t.styleByLayer) = (content, style, tv, styleByLayer)
            return t
        }
    }

    /// `StylizeProgress` in the header.
    struct Progress: Codable {
        var scaleIndex, scaleCount, width, height, iteration, evaluations, evaluationBudget: Int
        var terms: Terms
        var step, seconds, elapsed, objectiveSeconds, optimizerSeconds, gradientNorm: Double
        init(_ p: StylizeProgress) {
            (scaleIndex, scaleCount, width, height) = (p.scaleIndex, p.scaleCount, p.width, p.height)
            (iteration, evaluations, evaluationBudget) = (p.iteration, p.evaluations, p.evaluationBudget)
            terms = Terms(p.terms)
            (step, seconds, elapsed) = (p.step, p.seconds, p.elapsed)
            (objectiveSeconds, optimizerSeconds, gradientNorm) = (p.objectiveSeconds, p.optimizerSeconds, p.gradientNorm)
        }
        var progress: StylizeProgress {
            StylizeProgress(scaleIndex: scaleIndex, scaleCount: scaleCount, width: width, height: height, iteration: iteration,
                            evaluations: evaluations, evaluationBudget: evaluationBudget, terms: terms.terms, step: step,
                            seconds: seconds, elapsed: elapsed, objectiveSeconds: objectiveSeconds,
                            optimizerSeconds: optimizerSeconds, gradientNorm: gradientNorm)
        }
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// The largest checkpoint file read: 256 GiB, beyond any plan in `Preset.sizeRange` with the longest history.
    public static let maxFileBytes = 256 << 30

    /// Reads a checkpoint file.
    ///
    /// Every size comes from the file, so each is checked against the plan, with checked arithmetic, before
    /// anything of that size is allocated; the file's length must be exactly what the header implies.
    /// - Throws: `CheckpointError` naming the file: missing, not a checkpoint, another format version, truncated,
    ///   damaged (header or fingerprint), or a plan that does not check.
    public static func read(path: String) throws(CheckpointError) -> Checkpoint {
        func fail(_ message: String) -> CheckpointError { CheckpointError(path: path, message) }
        let file: InputFile
        do { file = try InputFile(path: path, limit: maxFileBytes, what: "checkpoints") } catch {
            switch error.kind {
            case .notFound: throw fail("no such checkpoint file")
            case .isDirectory: throw fail("is a directory, not a checkpoint file")
            default: throw fail(error.problem)
            }
        }
        func bytes(_ offset: Int, _ count: Int) throws(CheckpointError) -> [UInt8] {
            do { return try file.read(offset: offset, count: count) } catch { throw fail(error.problem) }
        }
        let prefix = 16, trailer = 8
        guard file.size >= magic.count, try bytes(0, magic.count) == magic else {
            throw fail("not a stylize checkpoint (it does not start with STYLCKPT); give the file written by --checkpoint")
        }
        guard file.size >= prefix + trailer else { throw fail("truncated: \(file.size) bytes, not even a header") }
        let fixed = try bytes(0, prefix)
        func uint32(_ at: Int) -> UInt32 { fixed[at ..< at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        let version = uint32(8)
        guard version == Checkpoint.version else {
            throw fail("checkpoint format \(version), this stylize reads format \(Checkpoint.version); resume it with the stylize that wrote it")
        }
        let headerLength = Int(uint32(12))
        guard headerLength <= maxHeaderBytes else { throw fail("damaged: a header of \(headerLength) bytes (at most \(maxHeaderBytes))") }
        guard prefix + headerLength + trailer <= file.size else {
            throw fail("truncated: the header needs \(headerLength) bytes, the file has \(file.size - prefix - trailer) after the prefix")
        }
        let headerBytes = try bytes(prefix, headerLength)
        if let problem = JSONSyntax.check(headerBytes) {
            throw fail("damaged header (\(problem.reason) at line \(problem.line), column \(problem.column))")
        }
        let header: Header
        do { header = try decoder.decode(Header.self, from: Data(headerBytes)) } catch {
            throw fail("damaged header: it is not the header of a checkpoint of this version")
        }
        let state = try validated(header, fail)

        // The vectors: exactly the length the header implies.
        let n = header.values, pairs = header.rho.count
        let (vectorFloats, o1) = n.multipliedReportingOverflow(by: 4 + 2 * pairs)
        let (vectorBytes, o2) = vectorFloats.multipliedReportingOverflow(by: 4)
        let (expected, o3) = (prefix + headerLength + trailer).addingReportingOverflow(vectorBytes)
        guard !o1, !o2, !o3 else { throw fail("damaged: the header's sizes overflow") }
        guard expected == file.size else {
            throw fail(file.size < expected ? "truncated: \(file.size) bytes of the \(expected) its header announces"
                                            : "damaged: \(file.size) bytes where its header announces \(expected)")
        }
        var check = Fingerprint()
        check.add(headerBytes)
        var offset = prefix + headerLength
        func vector() throws(CheckpointError) -> [Float] {
            let raw = try bytes(offset, 4 * n)
            offset += 4 * n
            check.add(raw)
            return raw.withUnsafeBytes { b in (0 ..< n).map { Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
        }
        var o = state.optimizer
        o.x = try vector()
        o.gradient = try vector()
        o.best = try vector()
        o.bestGradient = try vector()
        for i in 0 ..< pairs {
            o.pairs.append(.init(s: try vector(), y: try vector(), rho: header.rho[i], yy: header.yy[i],
                                 sNorm: header.sNorm[i], yNorm: header.yNorm[i]))
        }
        let stored = try bytes(offset, trailer).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard stored == check.digest else {
            throw fail("damaged: its fingerprint does not match its content (a changed or partly written file); it cannot be resumed")
        }
        var result = state
        result.optimizer = o
        guard let weights = UInt64(header.weights, radix: 16), let inputs = UInt64(header.inputs, radix: 16) else {
            throw fail("damaged header: the fingerprints are not 16 hexadecimal digits")
        }
        guard ConvAlgorithm(rawValue: header.convolution) != nil else {
            throw fail("damaged header: unknown convolution method \"\(header.convolution)\"")
        }
        return Checkpoint(plan: header.plan, state: result, weights: weights, inputs: inputs, weightsSpec: header.weightsSpec,
                          convolution: header.convolution, threads: header.threads)
    }

    /// The state of a decoded header (vectors still empty), after checking every value against the plan.
    private static func validated(_ h: Header, _ fail: (String) -> CheckpointError) throws(CheckpointError) -> StylizerState {
        guard let architecture = VGGArchitecture.named(h.plan.architecture) else {
            throw fail("damaged header: unknown network \"\(h.plan.architecture)\"")
        }
        do { try h.plan.check(architecture: architecture) } catch { throw fail("damaged plan: \(error)") }
        let plan = h.plan
        guard h.scaleIndex >= 0, h.scaleIndex < plan.scales.count else {
            throw fail("damaged header: scale \(h.scaleIndex) of a plan with \(plan.scales.count)")
        }
        let scale = plan.scales[h.scaleIndex]
        let (pixels, o1) = scale.output.width.multipliedReportingOverflow(by: scale.output.height)
        let (values, o2) = pixels.multipliedReportingOverflow(by: 3)
        guard !o1, !o2, h.values == values else {
            throw fail("damaged header: \(h.values) values for a \(scale.output) image")
        }
        let window = LBFGSOptions().progressWindow + 1
        guard h.rho.count == h.yy.count, h.sNorm.count == h.rho.count, h.yNorm.count == h.rho.count, h.rho.count <= plan.preset.history, h.recentValues.count == window,
              h.evaluations >= 1, h.evaluations <= scale.evaluations, h.iterations >= 0, h.iterations < h.evaluations,
              h.evaluationsBefore >= 0, h.iterationsBefore >= 0, h.threads >= 1,
              h.history.count <= h.evaluationsBefore + h.evaluations + plan.scales.count else {
            throw fail("damaged header: counters out of range for its plan")
        }
        let empty = LBFGSState(x: [], gradient: [], value: h.value, best: [], bestGradient: [], bestValue: h.bestValue, pairs: [],
                               recentValues: h.recentValues, evaluations: h.evaluations, iterations: h.iterations,
                               initialGradientNorm: h.initialGradientNorm, steepest: h.steepest, step: h.step)
        return StylizerState(scaleIndex: h.scaleIndex, optimizer: empty, bestTerms: h.bestTerms?.terms,
                             history: h.history.map(\.progress), evaluationsBefore: h.evaluationsBefore,
                             iterationsBefore: h.iterationsBefore, scaleSeconds: h.scaleSeconds, elapsed: h.elapsed)
    }
}
