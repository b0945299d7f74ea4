import Foundation
import StyleTransfer

/// The batch's overall progress: items done of the shard's total and an estimate of the time left, shown above each
/// item's step line on a terminal (and as a line before each item otherwise).
final class BatchProgress {
    let total: Int
    private(set) var done = 0, skipped = 0, failed = 0, interrupted = 0
    /// Seconds of the items computed so far, the `done` ones (skipped ones cost next to nothing and do not count).
    private var computedSeconds = 0.0

    /// The output being computed, shown at the end of the line.
    var current: String?

    init(total: Int) { self.total = total }

    var finished: Int { done + skipped + failed + interrupted }

    func record(_ status: BatchRecord.Status, seconds: Double?) {
        switch status {
        case .done:
            done += 1
            computedSeconds += seconds ?? 0
        case .skipped: skipped += 1
        case .failed: failed += 1
        case .interrupted: interrupted += 1
        }
    }

    /// `batch: 3/8 items (1 skipped, 0 failed), ETA 2m10s; OUTPUT`, the ETA taking the current item's progress into
    /// account when given.
    func line(current step: StylizeProgress? = nil) -> String {
        var text = "batch: \(finished)/\(total) items (\(skipped) skipped, \(failed) failed)"
        var fraction = 0.0, elapsed = 0.0
        if let p = step, p.evaluationBudget > 0 {
            fraction = (Double(p.scaleIndex) + min(1, Double(p.evaluations) / Double(p.evaluationBudget))) / Double(max(1, p.scaleCount))
            elapsed = p.seconds
        }
        // Seconds per item: the mean of the items computed so far, else the current item's projection.
        let perItem = done > 0 ? computedSeconds / Double(done) : (fraction > 0.05 ? elapsed / fraction : nil)
        if let perItem {
            let left = max(0, Double(total - finished) * perItem - elapsed)
            text += ", ETA \(durationText(left))"
        }
        return text + (current.map { "; \($0)" } ?? "")
    }
}
