import ArgumentParser
import Foundation
import StyleTransfer

/// Which part of the work an array job's task does: `--shard I/N`, or a scheduler's variables with `--shard-count`.
/// `stylize batch` deals its items round-robin to the shards, `stylize video` its frames in contiguous chunks.
struct ShardOptions: ParsableArguments {
    @Option(name: .long, help: "Do part I of N (0-based), e.g. 0/4: N tasks with I = 0...N-1 cover the work once (a batch's items dealt round-robin, a clip's frames in contiguous chunks).")
    var shard: String?

    @Option(name: .long, help: "Task count for an index taken from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID.")
    var shardCount: Int?

    /// Whether either was given.
    var isGiven: Bool { shard != nil || shardCount != nil }

    /// Each valid, not both.
    func validate() throws {
        if let shard { _ = try BatchShard.parse(shard) }
        if let n = shardCount, n < 1 { throw CLIError("--shard-count must be at least 1") }
        if shard != nil && shardCount != nil { throw CLIError("give --shard I/N or --shard-count N, not both") }
    }

    /// The part this process does: `--shard`, else the scheduler's variables (with `--shard-count`), else the whole;
    /// and the variable it came from.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (BatchShard, String?) {
        if let shard { return (try BatchShard.parse(shard), nil) }
        if let found = try BatchShard.fromEnvironment(environment, count: shardCount) {
            let source = environment["SLURM_ARRAY_TASK_ID"] != nil ? "SLURM_ARRAY_TASK_ID" : "JOB_COMPLETION_INDEX"
            return (found, source)
        }
        if shardCount != nil {
            throw CLIError("--shard-count needs JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID in the environment; else give --shard I/N")
        }
        return (.whole, nil)
    }
}
