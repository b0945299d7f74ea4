/// One of N disjoint parts of a batch, for N independent processes (array-job tasks) that together cover every item
/// exactly once.
///
/// The partition is round-robin over chains (`BatchItem.chain`): chain c belongs to shard c mod N. It depends only
/// on the batch's item list, which every task builds alike from the same arguments, so reruns and retried tasks get
/// the same items. Round-robin keeps the shards within one chain of each other in size; a frame sequence (one chain)
/// stays whole, since each frame starts from the one before.
public struct BatchShard: Sendable, Equatable, CustomStringConvertible {
    /// 0-based.
    public var index: Int
    public var count: Int

    /// The whole batch as one shard.
    public static let whole = BatchShard(index: 0, count: 1)

    /// `I/N`, as `--shard` takes it.
    public var description: String { "\(index)/\(count)" }

    /// This shard's items, in batch order.
    public func items(_ all: [BatchItem]) -> [BatchItem] {
        all.filter { $0.chain % count == index }
    }

    /// This shard's contiguous chunk of `count` things in order (the frames of one clip, for `stylize video`): shard
    /// I of N takes `I·count/N ..< (I+1)·count/N`, so the chunks are in order, cover every index once and differ in
    /// size by at most one (with more shards than things, some take none). The products stay below 10¹² for any
    /// shard (`maxCount`) and frame count (`stylize video` takes at most 999999).
    public func chunk(count: Int) -> Range<Int> {
        (index * count / self.count) ..< ((index + 1) * count / self.count)
    }

    /// Parses `I/N` with 0 ≤ I < N.
    /// - Throws: `BatchError` saying what is wrong, with an example.
    public static func parse(_ text: String) throws -> BatchShard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw BatchError("--shard \(text): expected I/N, the 0-based task index and the task count, e.g. --shard 0/4")
        }
        return try make(index: i, count: n, source: "--shard \(text)")
    }

    /// The most tasks a batch is split into: far beyond any array job (Slurm's `MaxArraySize` is at most 4000001,
    /// a Kubernetes Indexed Job has at most 100000 completions), and small enough that no count or index from the
    /// environment or the command line can overflow.
    public static let maxCount = 1_000_000
    /// Scheduler task ids and indices: Slurm's and Kubernetes' are 32-bit.
    public static let taskIDRange = 0...Int(Int32.max)

    /// The shard that a scheduler's environment names, or nil when it names none.
    ///
    /// - Slurm array job: `SLURM_ARRAY_TASK_ID` - `SLURM_ARRAY_TASK_MIN` (0 when unset) of `SLURM_ARRAY_TASK_COUNT`;
    ///   the array's ids must be consecutive (`--array=0-3` or `1-4`, with any `%` limit).
    /// - Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` of `count` (the Job's `completions`, which Kubernetes does
    ///   not put in the environment).
    ///
    /// Every variable is a whole number in its range (ids and indices in `taskIDRange`, counts in 1...`maxCount`),
    /// checked as it is read, so that nothing computed from them can overflow.
    /// - Parameter count: the shard count given on the command line (`--shard-count`), or nil.
    /// - Throws: `BatchError` naming the variable and its value, for values that are not numbers, out of range or
    ///   not a valid index.
    public static func fromEnvironment(_ env: [String: String], count: Int?) throws -> BatchShard? {
        func number(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = env[key] else { return nil }
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
                throw BatchError("\(key)=\(text) is not a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return n
        }
        if let id = try number("SLURM_ARRAY_TASK_ID", taskIDRange) {
            let first = try number("SLURM_ARRAY_TASK_MIN", taskIDRange) ?? 0
            guard let n = try count ?? number("SLURM_ARRAY_TASK_COUNT", 1...maxCount) else {
                throw BatchError("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; give --shard-count N")
            }
            return try make(index: id - first, count: n,
                            source: "SLURM_ARRAY_TASK_ID=\(id) (SLURM_ARRAY_TASK_MIN=\(first)) of \(n)",
                            hint: "; the array's task ids must be consecutive, e.g. --array=0-\(max(n, 1) - 1)")
        }
        if let index = try number("JOB_COMPLETION_INDEX", taskIDRange) {
            guard let count else {
                throw BatchError("JOB_COMPLETION_INDEX=\(index) is set: give --shard-count N, the Job's completions")
            }
            return try make(index: index, count: count, source: "JOB_COMPLETION_INDEX=\(index) of --shard-count \(count)")
        }
        return nil
    }

    /// The one check of every shard, from `--shard`, `--shard-count` or the environment: 1 ≤ count ≤ `maxCount`,
    /// 0 ≤ index < count.
    static func make(index: Int, count: Int, source: String, hint: String = "") throws -> BatchShard {
        guard (1...maxCount).contains(count) else {
            throw BatchError("\(source): the task count must be in 1...\(maxCount), not \(count)")
        }
        guard (0..<count).contains(index) else {
            throw BatchError("\(source): the task index must be in 0...\(count - 1), not \(index)\(hint)")
        }
        return BatchShard(index: index, count: count)
    }
}
