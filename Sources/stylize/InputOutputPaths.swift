import Foundation
import Imaging
import SafeIO

/// Reads an image a command was given.
///
/// `images/NAME` given in a folder without it reads the sample image of that name from the data folder (with a
/// note on standard error), so that the README's commands work from any folder. Any other missing file that
/// exists under `images/` gets a "did you mean images/NAME?". Damage the decoder recovered from (corrupt JPEG
/// data) is reported as one warning line naming the file, and the command goes on with the decoded picture.
func readImage(_ path: String) throws -> RGBImage {
    func decode(_ file: String) throws -> RGBImage {
        var warnings: [ImageWarning] = []
        let image = try RGBImage(contentsOf: file, warnings: &warnings)
        for warning in warnings { Console.error("stylize: warning: \(warning)\n") }
        return image
    }
    if let sample = sampleImage(for: path) {
        Console.error("stylize: \(path) is not in this folder; reading the sample image \(sample)\n")
        return try decode(sample)
    }
    do { return try decode(path) } catch {
        if let suggestion = imagesSuggestion(for: path) { throw CLIError("\(error); did you mean \(suggestion)?") }
        throw error
    }
}

/// The data folder's `images/NAME` for a relative `images/NAME` that does not exist here; else nil.
func sampleImage(for path: String) -> String? {
    guard path.hasPrefix("images/"), !FileManager.default.fileExists(atPath: path), let root = ProjectPaths.root else { return nil }
    let sample = (root as NSString).appendingPathComponent(path)
    return FileManager.default.fileExists(atPath: sample) ? sample : nil
}

/// `images/NAME` (or the data folder's) when `path` does not exist and that file does; else nil.
func imagesSuggestion(for path: String) -> String? {
    let fm = FileManager.default
    guard !fm.fileExists(atPath: path) else { return nil }
    let name = (path as NSString).lastPathComponent
    var candidates = ["images/\(name)"]
    if let root = ProjectPaths.root { candidates.append(((root as NSString).appendingPathComponent("images") as NSString).appendingPathComponent(name)) }
    return candidates.first { $0 != path && fm.fileExists(atPath: $0) }
}

/// An output path is a file, or a folder when the command writes several files; never the other way round.
enum OutputPath {
    /// Extensions that name a file, never a folder.
    static let fileExtensions = ["png", "jpg", "jpeg", "npy", "html", "json", "jsonl", "txt"]

    /// Refuses a path that is an existing folder or lacks one of `extensions`.
    static func checkFile(_ path: String, option: String, extensions: [String]) throws {
        if isFolder(path) {
            throw CLIError("\(path): \(option) is one file here, but this is a folder; give a file name ending in .\(extensions[0])")
        }
        guard extensions.contains((path as NSString).pathExtension.lowercased()) else {
            let list = extensions.map { "." + $0 }
            throw CLIError("\(path): \(option) must end in \(list.dropLast().joined(separator: ", "))\(list.count > 1 ? " or " : "")\(list.last!)")
        }
    }

    /// Refuses a path that is an existing file or is named like one (`g.png`), for an option that is a folder.
    static func checkFolder(_ path: String, option: String, why: String) throws {
        let exists = FileManager.default.fileExists(atPath: path)
        if exists && !isFolder(path) {
            throw CLIError("\(path): \(option) is a folder here (\(why)), but this is a file; give a folder, e.g. \(option) out/")
        }
        let ext = (path as NSString).pathExtension.lowercased()
        if !exists && fileExtensions.contains(ext) {
            throw CLIError("\(path): \(option) is a folder here (\(why)), not a .\(ext) file; give a folder name, e.g. \(option) "
                           + "\(((path as NSString).deletingPathExtension as NSString).lastPathComponent)/")
        }
    }

    /// Creates a folder output (and its parents) after `checkFolder`.
    static func makeFolder(_ path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw CLIError("\(path): cannot create the folder (\(error.localizedDescription))")
        }
    }
}
