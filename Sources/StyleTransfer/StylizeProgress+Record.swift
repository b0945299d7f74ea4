import Foundation

extension StylizeProgress {
    /// The step as one JSON object, the record of `--log` and of the studio's live view: scale, size, iteration,
    /// evaluations, every loss term, step, seconds (at this scale), `elapsed` (since the run started), the step's
    /// objective and optimizer seconds, the gradient norm, and for a video frame its temporal term.
    ///
    /// Every loss term is given as it enters the total: `style_layers[l]` is β · w_l · E_l, so that they sum to
    /// `style`.
    /// - Parameter styleWeight: β, which multiplies every style layer's term.
    public func record(styleWeight: Double) -> [String: Any] {
        var record: [String: Any] = [
            "scale": scaleIndex + 1, "width": width, "height": height,
            "iteration": iteration, "evaluations": evaluations,
            "total": terms.total, "content": terms.content, "style": terms.style, "tv": terms.tv,
            "step": step, "seconds": seconds, "elapsed": elapsed,
            "objective_seconds": objectiveSeconds, "optimizer_seconds": optimizerSeconds, "gradient_norm": gradientNorm,
            "style_layers": terms.styleByLayer.mapValues { styleWeight * $0 },
        ]
        if terms.temporal > 0 { record["temporal"] = terms.temporal }   // a video frame's temporal term
        if terms.color > 0 { record["color"] = terms.color }            // --color match's colour term
        return record
    }

    /// `record(styleWeight:)` as compact JSON with sorted keys (one line of `--log`, without its newline); nil when
    /// a value cannot be written as JSON (a non-finite loss).
    public func recordJSON(styleWeight: Double) -> Data? {
        try? JSONSerialization.data(withJSONObject: record(styleWeight: styleWeight), options: [.sortedKeys])
    }
}
