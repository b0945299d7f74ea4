import ArgumentParser
import Foundation
import StyleTransfer

/// Progress of a run on standard error: one line rewritten in place on a terminal, plain lines otherwise.
final class ProgressDisplay {
    private let quiet: Bool
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var open = false

    init(quiet: Bool) { self.quiet = quiet }

    func line(_ text: String) {
        guard !quiet else { return }
        finish()
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    func step(_ p: StylizeProgress) {
        guard !quiet else { return }
        let perEval = p.evaluations > 0 ? p.seconds / Double(p.evaluations) : 0
        let left = Double(max(0, p.evaluationBudget - p.evaluations)) * perEval
        let scale = p.scaleCount > 1 ? "scale \(p.scaleIndex + 1)/\(p.scaleCount) \(p.width)x\(p.height) " : ""
        let text = String(format: "%@step %4d  evals %4d/%d  loss %.4g  content %.4g  style %.4g  tv %.4g  %.2f s/eval  left %@",
                          scale, p.iteration, p.evaluations, p.evaluationBudget, p.terms.total, p.terms.content,
                          p.terms.style, p.terms.tv, perEval, ProgressDisplay.duration(left))
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
            open = true
        } else {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    func finish() {
        if open { FileHandle.standardError.write(Data("\n".utf8)); open = false }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? String(format: "%dm%02ds", s / 60, s % 60) : "\(s)s"
    }
}

/// One JSON object per step (iteration 0: the start): iteration, evaluations, every loss term, step, seconds,
/// the step's seconds in the objective and in the optimizer, and the gradient norm.
final class JSONLineLog {
    private let handle: FileHandle
    let path: String

    init(path: String) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil) , let h = FileHandle(forWritingAtPath: path) else {
            throw CLIError("\(path): cannot create the log file")
        }
        handle = h
    }

    func write(_ p: StylizeProgress) {
        var object: [String: Any] = [
            "scale": p.scaleIndex + 1, "width": p.width, "height": p.height,
            "iteration": p.iteration, "evaluations": p.evaluations,
            "total": p.terms.total, "content": p.terms.content, "style": p.terms.style, "tv": p.terms.tv,
            "step": p.step, "seconds": p.seconds,
            "objective_seconds": p.objectiveSeconds, "optimizer_seconds": p.optimizerSeconds, "gradient_norm": p.gradientNorm,
        ]
        object["style_layers"] = p.terms.styleByLayer
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            handle.write(data + Data("\n".utf8))
        }
    }

    deinit { try? handle.close() }
}
