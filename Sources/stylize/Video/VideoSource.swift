import Foundation
import Imaging
import SafeIO
import StyleTransfer

/// The input frames of `stylize video`: a clip decoded by ffmpeg into the work folder (once: a rerun with the same
/// clip and settings reuses the frames), or the numbered images of a folder; the first `limit` of them, listed in
/// `.stylize/frames.txt` for the batch.
struct VideoSource {
    let path: String
    let isClip: Bool
    let workFolder: String
    let limit: Int?
    let size: Int?
    /// The clip's frame rate as ffmpeg takes it (`10/1`), or the folder's `--frame-rate`.
    let frameRate: String
    let quiet: Bool

    var stateFolder: String { (workFolder as NSString).appendingPathComponent(".stylize") }
    var decodedFolder: String { (stateFolder as NSString).appendingPathComponent("input") }
    var listPath: String { (stateFolder as NSString).appendingPathComponent("frames.txt") }
    /// What the decoded frames were made from; a different one decodes them again.
    var decodedKeyPath: String { (decodedFolder as NSString).appendingPathComponent("source.txt") }

    /// - Throws: `CLIError` when the content is neither a folder nor a clip ffprobe reads.
    init(path: String, workFolder: String, limit: Int?, size: Int?, folderFrameRate: Double, quiet: Bool) throws {
        self.path = path
        self.workFolder = workFolder
        self.limit = limit
        self.size = size
        self.quiet = quiet
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): --content: no such file or folder") }
        isClip = !isFolder(path)
        frameRate = isClip ? try FFmpeg.probe(path).frameRate : "\(folderFrameRate)"
    }

    /// The input frames, in order (decoding the clip first when needed).
    func frames() throws -> [String] {
        if !isClip {
            let all = try BatchContents.expand(path)
            return Array(all.prefix(limit ?? all.count))
        }
        let key = decodeKey()
        let current = FileManager.default.contents(atPath: decodedKeyPath).map { String(decoding: $0, as: UTF8.self) }
        if current != key {
            // Shards of one clip start together: each decodes into a folder of its own, and the first to finish puts
            // its frames in place; the others find them there and drop theirs.
            try OutputPath.makeFolder(stateFolder)
            let part = decodedFolder + ".part-\(ProcessInfo.processInfo.processIdentifier)"
            try? FileManager.default.removeItem(atPath: part)
            defer { try? FileManager.default.removeItem(atPath: part) }
            try OutputPath.makeFolder(part)
            if !quiet { Console.output("video: decoding \(path) into \(decodedFolder)/\n") }
            try FFmpeg.decode(path, into: part, limit: limit, size: size)
            try StagedFile.write(Array(key.utf8), to: (part as NSString).appendingPathComponent("source.txt"))
            if rename(part, decodedFolder) != 0 {
                let placed = FileManager.default.contents(atPath: decodedKeyPath).map { String(decoding: $0, as: UTF8.self) }
                if placed != key {
                    // An older decoding (another clip or size) is in the way.
                    try? FileManager.default.removeItem(atPath: decodedFolder)
                    guard rename(part, decodedFolder) == 0 else {
                        throw CLIError("\(decodedFolder): cannot move the decoded frames into place (\(String(cString: strerror(errno))))")
                    }
                }
            }
        }
        let decoded = try BatchContents.expand(decodedFolder)
        guard !decoded.isEmpty else { throw CLIError("\(path): ffmpeg decoded no frame") }
        return decoded
    }

    /// The clip's path, size and modification time and the decoding settings.
    func decodeKey() -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let stamp = "\(attributes?[.size] ?? 0) \((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        return "\(PathResolution.resolved(path)) \(stamp) frames \(limit.map(String.init) ?? "all") size \(size.map(String.init) ?? "native")\n"
    }

    /// Writes the frame list the batch reads (absolute paths, one a line) and returns its path.
    func prepare() throws -> String {
        let list = try frames().map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
        try OutputPath.makeFolder(stateFolder)
        try StagedFile.write(Array(list.map { $0 + "\n" }.joined().utf8), to: listPath)
        return listPath
    }
}
