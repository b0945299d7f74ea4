import Foundation

/// One line of a batch manifest (`manifest.jsonl`): what one item was, how it went and where its output is.
///
/// The same record, written after each item succeeds, is the item's state file (`OUTDIR/.stylize/NAME.json`),
/// from which a rerun decides to skip it.
public struct BatchRecord: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Computed in this run.
        case done
        /// Its output and matching plan were already there (the loss and seconds are those of the run that made it).
        case skipped
        /// Could not be computed; `error` says why.
        case failed
        /// Stopped by a signal (Ctrl-C, SIGTERM) before it finished.
        case interrupted
    }

    public var index: Int
    /// The batch's item count (every shard's items).
    public var of: Int
    public var name: String
    /// The output's file name in the output folder.
    public var output: String
    public var content: String
    public var style: String
    public var preset: String?
    /// The item's plan hash (see `BatchFingerprint`): the same for the same inputs and settings.
    public var plan: String
    public var status: Status
    /// The final total loss, and its style term (β Σ_l w_l E_l) alone, which `stylize video --check` compares across
    /// methods.
    public var loss: Double?
    public var styleLoss: Double?
    /// Wall-clock seconds of the item's run.
    public var seconds: Double?
    public var error: String?
    /// The shard (`I/N`) that ran it.
    public var shard: String
    /// The item's HTML report in the output folder (`--report`).
    public var report: String?
    /// With `--frames`: the frame's place in its sequence, and the mean absolute difference (0...255) from the previous
    /// frame's output over the pixels where the two input frames are alike (see `FrameSequence.flicker`).
    public var frame: Int?
    public var flicker: Double?
    /// When the record was written (seconds since 1970), so that a merge keeps an item's latest record.
    public var time: Double

    /// The manifest's keys: the properties' names, `style_loss` in the manifest's snake case.
    enum CodingKeys: String, CodingKey {
        case index, of, name, output, content, style, preset, plan, status, loss, seconds, error, shard, report, frame,
             flicker, time
        case styleLoss = "style_loss"
    }

    public init(item: BatchItem, of count: Int, output: String, plan: String, status: Status, shard: BatchShard) {
        index = item.index
        of = count
        name = item.name
        self.output = output
        content = item.content
        style = item.style
        preset = item.preset
        self.plan = plan
        self.status = status
        self.shard = shard.description
        time = Date().timeIntervalSince1970
    }

    /// The record as one JSON line (keys sorted, no newline).
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// The records of a JSON-lines text; blank lines are skipped.
    /// - Throws: `BatchError` naming `path` and the line that is not a record.
    public static func parse(_ text: String, path: String) throws -> [BatchRecord] {
        var records: [BatchRecord] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let record: BatchRecord
            do { record = try JSONDecoder().decode(BatchRecord.self, from: Data(line.utf8)) } catch {
                throw BatchError("\(path):\(number + 1): not a batch manifest record; delete the file or that line and merge again")
            }
            if let problem = record.rangeProblem {
                throw BatchError("\(path):\(number + 1): \(problem); delete the file or that line and merge again")
            }
            records.append(record)
        }
        return records
    }

    /// The most items a manifest may count (`of`): far beyond any batch (a 2-hour video at 24 frames a second is
    /// 172800), the most shards too (`BatchShard.maxCount`), and what bounds the list of missing items a merge makes
    /// (8 bytes each; a merge of a manifest claiming 10^7 items took 11 s under the fuzzer's sanitizers).
    public static let maxItems = 1_000_000

    /// What is out of range in this record, or nil: `of` in 1...`maxItems`, `index` and `frame` in 0..<`of`, `loss`,
    /// `seconds` and `time` finite and not negative, `flicker` in 0...255 (a mean difference of 8-bit values).
    var rangeProblem: String? {
        guard (1...BatchRecord.maxItems).contains(of) else { return "\"of\": \(of) is not in 1...\(BatchRecord.maxItems)" }
        guard (0..<of).contains(index) else { return "\"index\": \(index) is not in 0...\(of - 1) (\"of\": \(of))" }
        if let frame, !(0..<of).contains(frame) { return "\"frame\": \(frame) is not in 0...\(of - 1)" }
        for (key, value) in [("loss", loss), ("seconds", seconds), ("time", Optional(time))] {
            if let value, !(value.isFinite && value >= 0) { return "\"\(key)\": \(value) is not a finite number ≥ 0" }
        }
        if let flicker, !(0...255).contains(flicker) { return "\"flicker\": \(flicker) is not in 0...255" }
        return nil
    }
}
