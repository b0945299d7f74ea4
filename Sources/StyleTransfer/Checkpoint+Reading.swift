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
        var bestTerms: LossTerms?
        var history: [StylizeProgress]
        var evaluationsBefore: Int
        var iterationsBefore: Int
        var scaleSeconds: Double
        var elapsed: Double

        init(_ c: Checkpoint) {
            let s = c.state, o = s.optimizer
            plan = c.plan
            weights = FNV1a.hex(c.weights)
            inputs = FNV1a.hex(c.inputs)
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
            bestTerms = s.bestTerms
            history = s.history
            evaluationsBefore = s.evaluationsBefore
            iterationsBefore = s.iterationsBefore
            scaleSeconds = s.scaleSeconds
            elapsed = s.elapsed
        }
    }

    /// The most threads a checkpoint may say its run had.
    static let maxThreads = 1 << 16

    /// The largest checkpoint file read: 256 GiB, beyond any plan in `Preset.sizeRange` with the longest history.
    public static let maxFileBytes = 256 << 30

    /// The most seconds a checkpoint may say a run took (about 31 years).
    static let maxSeconds = 1e9

    /// Reads a checkpoint file.
    ///
    /// Every size comes from the file, so each is checked against the plan, with checked arithmetic, before
    /// anything of that size is allocated: every field of the header is checked (`validated`), the file's length
    /// must be exactly what the header implies, and the plan's memory estimate must fit `memoryLimit`, all before
    /// the first vector is read; every vector value must be finite (and inside the pixel box for the images).
    /// The fingerprint catches accidents, not a file edited on purpose, which these checks keep from trapping.
    /// - Parameter memoryLimit: the bytes the resumed run may use (`AvailableMemory.bytes`); nil: no memory check.
    /// - Throws: `CheckpointError` naming the file: missing, not a checkpoint, another format version, truncated,
    ///   damaged (header, a field out of range, a vector, or the fingerprint), a plan that does not check, or one
    ///   that needs more memory than `memoryLimit`.
    public static func read(path: String, memoryLimit: Int? = nil) throws(CheckpointError) -> Checkpoint {
        func fail(_ message: String) -> CheckpointError { CheckpointError(path: path, message: message) }
        let file: InputFile
        do { file = try InputFile(path: path, limit: maxFileBytes, what: "checkpoints") } catch { throw fail(error.problem(of: "checkpoint")) }
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
        guard let convolution = ConvAlgorithm(rawValue: header.convolution) else {
            throw fail("damaged header: unknown convolution method \"\(header.convolution)\"")
        }

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
        // The memory of the resumed run (which holds the state read here as its checkpoint copy), before any vector.
        if let memoryLimit, let architecture = VGGArchitecture.named(header.plan.architecture) {
            var plan = header.plan
            plan.outputs.checkpoint = path
            let bytes = plan.memoryEstimate(architecture: architecture, convolution: convolution).bytes
            guard bytes <= memoryLimit else {
                throw fail("its plan (\(plan.outputSize)) needs about \(memoryText(bytes)) of memory, more than the"
                           + " \(memoryText(memoryLimit)) available now; resume it where more memory is free")
            }
        }
        var check = Fingerprint()
        check.add(headerBytes)
        var offset = prefix + headerLength
        /// The next vector, every value finite and, for an image with the pixel box, inside it.
        func vector(_ name: String, image: Bool = false) throws(CheckpointError) -> [Float] {
            let raw = try bytes(offset, 4 * n)
            offset += 4 * n
            check.add(raw)
            let values = raw.withUnsafeBytes { b in (0 ..< n).map { Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
            let range: ClosedRange<Float> = image && header.plan.pixelBox ? 0...255 : -Float.greatestFiniteMagnitude...Float.greatestFiniteMagnitude
            if let bad = values.firstIndex(where: { !range.contains($0) }) {
                throw fail("damaged: vector \(name) holds \(values[bad]) at index \(bad)"
                           + (image && header.plan.pixelBox ? ", outside the pixel box 0...255" : ", not a finite number"))
            }
            return values
        }
        var o = state.optimizer
        o.x = try vector("x", image: true)
        o.gradient = try vector("gradient")
        o.best = try vector("best", image: true)
        o.bestGradient = try vector("best gradient")
        for i in 0 ..< pairs {
            o.pairs.append(.init(s: try vector("s \(i + 1)"), y: try vector("y \(i + 1)"), rho: header.rho[i], yy: header.yy[i],
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
        let (values, o2) = pixels.multipliedReportingOverflow(by: plan.valuesPerPixel)
        guard !o1, !o2, h.values == values else {
            // Before the luminance became the variable, runs with original colours kept RGB.
            if plan.valuesPerPixel == 1 && h.values == 3 * pixels {
                throw fail("written by an earlier version, which optimised RGB with original colours; it cannot be resumed: start the run again")
            }
            throw fail("damaged header: \(h.values) values for a \(scale.output) image")
        }
        // Every field, named: counts within the plan's budgets (the counters of earlier scales first, so that no sum
        // below overflows), numbers finite and in their ranges.
        func require(_ ok: Bool, _ field: String, _ value: Any, _ range: String) throws(CheckpointError) {
            if !ok { throw fail("damaged header: field \"\(field)\" is \(value), not \(range)") }
        }
        let budgetBefore = plan.scales.prefix(h.scaleIndex).reduce(0) { $0 + $1.evaluations }
        try require((0...budgetBefore).contains(h.evaluationsBefore), "evaluationsBefore", h.evaluationsBefore, "in 0...\(budgetBefore)")
        try require((0...h.evaluationsBefore).contains(h.iterationsBefore), "iterationsBefore", h.iterationsBefore, "in 0...\(h.evaluationsBefore)")
        let window = LBFGSOptions().progressWindow + 1
        guard h.rho.count == h.yy.count, h.sNorm.count == h.rho.count, h.yNorm.count == h.rho.count,
              h.rho.count <= min(plan.preset.history, h.iterations), h.recentValues.count == window,
              h.evaluations >= 1, h.evaluations <= scale.evaluations, h.iterations >= 0, h.iterations < h.evaluations,
              h.history.count <= h.evaluationsBefore + h.evaluations + plan.scales.count else {
            throw fail("damaged header: counters out of range for its plan")
        }
        try require((1...maxThreads).contains(h.threads), "threads", h.threads, "in 1...\(maxThreads)")
        let seconds = 0...maxSeconds
        for (field, value) in [("scaleSeconds", h.scaleSeconds), ("elapsed", h.elapsed)] {
            try require(seconds.contains(value), field, value, "a number of seconds in 0...\(maxSeconds)")
        }
        for (field, value) in [("value", h.value), ("bestValue", h.bestValue), ("initialGradientNorm", h.initialGradientNorm),
                               ("step", h.step)] {
            try require(value.isFinite && value >= 0, field, value, "a finite number ≥ 0")
        }
        for (field, list) in [("rho", h.rho), ("yy", h.yy), ("sNorm", h.sNorm), ("yNorm", h.yNorm), ("recentValues", h.recentValues)] {
            if let bad = list.first(where: { !$0.isFinite }) { try require(false, field, bad, "finite") }
        }
        let layers = Set(plan.preset.styleLayers.map(\.layer))
        func checkTerms(_ t: LossTerms, _ field: String) throws(CheckpointError) {
            let byLayer = t.styleByLayer.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
            for (name, value) in [(name: "content", value: t.content), ("style", t.style), ("tv", t.tv), ("color", t.color)] + byLayer {
                try require(value.isFinite && value >= 0, "\(field).\(name)", value, "a finite number ≥ 0")
            }
            if let other = t.styleByLayer.keys.sorted().first(where: { !layers.contains($0) }) {
                try require(false, "\(field).styleByLayer", other, "a style layer of the plan")
            }
        }
        if let terms = h.bestTerms { try checkTerms(terms, "bestTerms") }
        for (k, p) in h.history.enumerated() {
            let field = "history[\(k)]"
            try require((0...h.scaleIndex).contains(p.scaleIndex), "\(field).scaleIndex", p.scaleIndex, "in 0...\(h.scaleIndex)")
            let s = plan.scales[p.scaleIndex]
            try require(p.scaleCount == plan.scales.count, "\(field).scaleCount", p.scaleCount, "\(plan.scales.count)")
            try require(p.width == s.output.width && p.height == s.output.height, "\(field).width x height", "\(p.width)x\(p.height)", "\(s.output)")
            try require(p.evaluationBudget == s.evaluations, "\(field).evaluationBudget", p.evaluationBudget, "\(s.evaluations)")
            try require((0...s.evaluations).contains(p.evaluations), "\(field).evaluations", p.evaluations, "in 0...\(s.evaluations)")
            try require((0...max(0, p.evaluations)).contains(p.iteration), "\(field).iteration", p.iteration, "in 0...\(p.evaluations)")
            for (name, value) in [("step", p.step), ("gradientNorm", p.gradientNorm)] {
                try require(value.isFinite && value >= 0, "\(field).\(name)", value, "a finite number ≥ 0")
            }
            for (name, value) in [("seconds", p.seconds), ("elapsed", p.elapsed), ("objectiveSeconds", p.objectiveSeconds),
                                  ("optimizerSeconds", p.optimizerSeconds)] {
                try require(seconds.contains(value), "\(field).\(name)", value, "a number of seconds in 0...\(maxSeconds)")
            }
            try checkTerms(p.terms, "\(field).terms")
        }
        let empty = LBFGSState(x: [], gradient: [], value: h.value, best: [], bestGradient: [], bestValue: h.bestValue, pairs: [],
                               recentValues: h.recentValues, evaluations: h.evaluations, iterations: h.iterations,
                               initialGradientNorm: h.initialGradientNorm, steepest: h.steepest, step: h.step)
        return StylizerState(scaleIndex: h.scaleIndex, optimizer: empty, bestTerms: h.bestTerms,
                             history: h.history, evaluationsBefore: h.evaluationsBefore,
                             iterationsBefore: h.iterationsBefore, scaleSeconds: h.scaleSeconds, elapsed: h.elapsed)
    }
}

/// The terms as a checkpoint's header holds them: the colour term only when there is one (absent in checkpoints
/// written before it), no temporal term.
extension LossTerms: Codable {
    enum CodingKeys: String, CodingKey { case content, style, tv, color, styleByLayer }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        content = try c.decode(Double.self, forKey: .content)
        style = try c.decode(Double.self, forKey: .style)
        tv = try c.decode(Double.self, forKey: .tv)
        color = try c.decodeIfPresent(Double.self, forKey: .color) ?? 0
        styleByLayer = try c.decode([String: Double].self, forKey: .styleByLayer)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(content, forKey: .content)
        try c.encode(style, forKey: .style)
        try c.encode(tv, forKey: .tv)
        try c.encodeIfPresent(color > 0 ? color : nil, forKey: .color)
        try c.encode(styleByLayer, forKey: .styleByLayer)
    }
}
