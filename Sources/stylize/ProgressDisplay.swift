import ArgumentParser
import Foundation
import SafeIO
import StyleTransfer

/// Progress of a run on standard error: one line rewritten in place on a terminal, plain lines otherwise.
final class ProgressDisplay {
    private let quiet: Bool
    let isTerminal = isatty(STDERR_FILENO) != 0
    private var open = false
    /// The plan's estimated seconds for the whole run (`RunPlan.estimatedSeconds`), shown against the elapsed time.
    var estimate: Double?
    /// A line drawn above the step line on a terminal (`stylize batch`'s overall progress), from each step.
    var header: ((StylizeProgress) -> String)?

    init(quiet: Bool) { self.quiet = quiet }

    func line(_ text: String) { if !quiet { warning(text) } }

    /// A warning line, shown with `--quiet` too.
    func warning(_ text: String) {
        finish()
        Console.error(text + "\n")
    }

    func step(_ p: StylizeProgress) {
        guard !quiet else { return }
        let perEval = p.evaluations > 0 ? p.seconds / Double(p.evaluations) : 0
        let left = Double(max(0, p.evaluationBudget - p.evaluations)) * perEval
        let scale = p.scaleCount > 1 ? "scale \(p.scaleIndex + 1)/\(p.scaleCount) \(p.width)x\(p.height) " : ""
        let planned = estimate.map { " of ~\(durationText($0)) estimated" } ?? ""
        let text = String(format: "%@step %4d  evals %4d/%d  loss %.4g  content %.4g  style %.4g  tv %.4g  %.2f s/eval  left %@  %@%@",
                          scale, p.iteration, p.evaluations, p.evaluationBudget, p.terms.total, p.terms.content,
                          p.terms.style, p.terms.tv, perEval, durationText(left), durationText(p.elapsed), planned)
        if isTerminal, let header {   // two lines: back to the first one when they are already drawn
            Console.error((open ? "\r\u{1B}[1A" : "\r") + "\u{1B}[K" + header(p) + "\n\u{1B}[K" + text)
            open = true
        } else if isTerminal {
            lastStep = text
            Console.error("\r\u{1B}[K" + text)
            open = true
        } else {
            Console.error(text + "\n")
        }
    }

    /// The last step line, kept so that a tile's progress can be drawn after it.
    private var lastStep = ""

    /// On a terminal, the step line followed by the tile being evaluated: "tile 3/12 (gradients)". An evaluation
    /// of a print-size scale takes minutes, and this shows it moving. Plain lines otherwise only at each step.
    func tile(pass: Int, index: Int, count: Int) {
        guard !quiet, isTerminal, header == nil else { return }
        let what = pass == 1 ? "Gram matrices" : "gradients"
        Console.error("\r\u{1B}[K" + lastStep + "  tile \(index + 1)/\(count) (\(what))")
        open = true
    }

    func finish() {
        if open { Console.error("\n"); open = false }
    }

}

/// One JSON object per step (iteration 0: the start): iteration, evaluations, every loss term, step, seconds,
/// the step's seconds in the objective and in the optimizer, and the gradient norm.
///
/// Every loss term is logged as it enters the total: `style_layers[l]` is β · w_l · E_l, so that they sum to `style`
/// (as the report's per-layer curves).
/// The lines go to a hidden temporary file beside `path` (see `StagedFile`), renamed into place by `finish()`:
/// a run that fails or is killed leaves an older log at `path` as it was, never a partial one. The path `-`
/// (`standardOutput`) writes each line to standard output as it comes.
final class JSONLineLog {
    /// The path that means standard output.
    static let standardOutput = "-"
    /// The staged file; nil for standard output.
    private let file: StagedFile?
    private var failure: Error?
    let path: String
    /// β, which multiplies every style layer's term.
    let styleWeight: Double

    init(path: String, styleWeight: Double) throws {
        self.path = path
        self.styleWeight = styleWeight
        if path == JSONLineLog.standardOutput { file = nil } else { file = try StagedFile(path: path) }
    }

    func write(_ p: StylizeProgress) {
        guard failure == nil else { return }
        guard let data = p.recordJSON(styleWeight: styleWeight) else { return }
        guard let file else { return Console.output(String(decoding: data, as: UTF8.self) + "\n") }
        do { try file.append(Array(data) + [UInt8(ascii: "\n")]) } catch { failure = error }
    }

    /// Puts the log in place. - Throws: the first write error (disk full...); the temporary file is then gone.
    func finish() throws {
        if let failure { throw failure }
        try file?.commit()
    }
}
