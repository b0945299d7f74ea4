import ArgumentParser
import Foundation
import SafeIO
import StyleTransfer

/// `stylize batch --merge OUTDIR`: joins the manifest parts of a sharded batch into `OUTDIR/manifest.jsonl`.
enum BatchMerge {
    /// Reads every manifest file in `folder`, keeps each item's latest record, checks that every item is there with
    /// its output, writes `manifest.jsonl` (and `index.html` with `report`) and prints a summary.
    /// - Throws: `CLIError` naming the manifest when a record's files are outside the folder
    ///   (`BatchRecord.pathProblem`), before anything is written; `ExitCode(1)` after the summary when an item is
    ///   missing, failed or lacks its output.
    static func run(folder: String, report: Bool) throws {
        let fm = FileManager.default
        guard isFolder(folder) else {
            throw CLIError("\(folder): --merge needs the output folder of a batch")
        }
        let names = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter(BatchManifest.isManifest).sorted()
        guard !names.isEmpty else {
            throw CLIError("\(folder): no manifest.jsonl or manifest-part-*.jsonl here; run `stylize batch ... -o \(folder)` first")
        }
        var records: [BatchRecord] = []
        for name in names {
            let path = (folder as NSString).appendingPathComponent(name)
            // Not protected from this process' writes: an earlier manifest.jsonl is read to be written again.
            let bytes = try InputFile.contents(of: path, limit: InputLimits.listBytes, what: "manifests", protected: false)
            let parsed = try BatchRecord.parse(String(decoding: bytes, as: UTF8.self), path: path)
            if let bad = parsed.first(where: { $0.pathProblem != nil }) {
                throw CLIError("\(path): the record of item \(bad.index) (\(bad.name)) is refused: \(bad.pathProblem!); "
                               + "fix or delete that line and merge again")
            }
            records += parsed
        }
        let merged = BatchManifest.merge(records)
        let manifest = (folder as NSString).appendingPathComponent(BatchManifest.fileName)
        try StagedFile.write(Array(BatchManifest.text(merged.records).utf8), to: manifest)
        if report { try BatchIndex.write(records: merged.records, folder: folder) }

        let withoutOutput = merged.records.filter { r in
            (r.status == .done || r.status == .skipped) && !fm.fileExists(atPath: (folder as NSString).appendingPathComponent(r.output))
        }
        let count = { (s: BatchRecord.Status) in merged.records.filter { $0.status == s }.count }
        // An existing manifest.jsonl beside the parts is an earlier merge (or an unsharded run): read, but not
        // counted as a part, so merging twice says the same thing twice.
        let parts = names.filter { $0 != BatchManifest.fileName }.count
        let sources = parts == 0 ? "the manifest" : "\(parts) shard part\(parts == 1 ? "" : "s")"
            + (names.contains(BatchManifest.fileName) ? " and the earlier \(BatchManifest.fileName)" : "")
        var line = "merged \(sources) into \(manifest): \(merged.count) items, \(count(.done)) done, "
            + "\(count(.skipped)) skipped, \(count(.failed)) failed, \(count(.interrupted)) interrupted, \(merged.missing.count) missing"
        if !merged.missing.isEmpty { line += " (items \(merged.missing.prefix(10).map(String.init).joined(separator: ", "))\(merged.missing.count > 10 ? ", ..." : ""))" }
        if !withoutOutput.isEmpty { line += "; outputs missing: \(withoutOutput.prefix(10).map(\.output).joined(separator: ", "))" }
        Console.output(line + "\n")
        if !merged.missing.isEmpty || !merged.unfinished.isEmpty || !withoutOutput.isEmpty { throw ExitCode(1) }
    }
}
