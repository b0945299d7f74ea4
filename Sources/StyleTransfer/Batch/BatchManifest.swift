import Foundation

/// The manifest files of a batch's output folder and how the parts of sharded tasks are joined.
///
/// A batch run as one process writes `manifest.jsonl`; each task of a sharded batch writes its own part,
/// `manifest-part-I-of-N.jsonl`, so that tasks on different machines never write one file. `merge` joins the parts
/// (and any earlier `manifest.jsonl`) into `manifest.jsonl`.
public enum BatchManifest {
    public static let fileName = "manifest.jsonl"

    /// The manifest file a shard writes.
    public static func fileName(for shard: BatchShard) -> String {
        shard.count == 1 ? fileName : "manifest-part-\(shard.index)-of-\(shard.count).jsonl"
    }

    /// Whether a file name is a manifest or a manifest part.
    public static func isManifest(_ name: String) -> Bool {
        name == fileName || (name.hasPrefix("manifest-part-") && name.hasSuffix(".jsonl"))
    }

    /// The manifest text of `records`: one JSON line each, in order.
    public static func text(_ records: [BatchRecord]) -> String {
        records.map { $0.jsonLine() + "\n" }.joined()
    }

    /// The result of joining manifest parts.
    public struct Merged: Sendable {
        /// One record per item, by index: the latest one written for it.
        public var records: [BatchRecord]
        /// The batch's item count, the largest `of` seen (0 without records).
        public var count: Int
        /// Indices in 0..<count that no part has.
        public var missing: [Int]
        /// Items whose latest record says they failed or were interrupted.
        public var unfinished: [BatchRecord] { records.filter { $0.status == .failed || $0.status == .interrupted } }
    }

    /// Joins records from any number of parts: the latest record of each index wins (a task rerun, or a rerun with
    /// another shard count, writes newer ones); ties go to the later in `records`.
    public static func merge(_ records: [BatchRecord]) -> Merged {
        var latest: [Int: BatchRecord] = [:]
        for record in records where latest[record.index].map({ record.time >= $0.time }) ?? true {
            latest[record.index] = record
        }
        let count = records.map(\.of).max() ?? 0
        return Merged(records: latest.keys.sorted().map { latest[$0]! }, count: count,
                      missing: (0..<count).filter { latest[$0] == nil })
    }
}
