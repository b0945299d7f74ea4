#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SafeIO

/// The content images a batch's `--content` names: a folder, a glob, a list file, a numbered pattern or one image.
public enum BatchContents {
    /// File extensions taken from a folder (case-insensitive).
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// The content paths of `spec`, in a fixed order:
    /// - a folder: its PNG and JPEG files (hidden files left out), sorted by name;
    /// - a glob (`photos/*.jpg`, with `*`, `?` or `[`): the matching files, sorted;
    /// - a `.txt` list: one path per line, in the list's order; blank lines and lines starting with `#` are skipped,
    ///   relative paths are relative to the list's folder;
    /// - a numbered pattern (`frames/%05d.png`, printf style): the existing files it matches, by number;
    /// - anything else: one image.
    ///
    /// Names sort by their UTF-8 bytes, so that every machine orders them alike (`frame10` before `frame9`: number
    /// frames with leading zeros, as `ffmpeg ... %05d.png` does).
    /// - Throws: `BatchError` for a missing folder, list or file, or a spec that names no image.
    public static func expand(_ spec: String) throws -> [String] {
        let fm = FileManager.default
        let paths: [String]
        if isFolder(spec) {
            let names = (try? fm.contentsOfDirectory(atPath: spec)) ?? []
            paths = names.filter { !$0.hasPrefix(".") && imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
                .sorted(by: byteOrder).map { (spec as NSString).appendingPathComponent($0) }
        } else if let pattern = NumberedPattern(spec) {
            paths = try pattern.files()
        } else if spec.contains(where: { "*?[".contains($0) }) {
            paths = matches(glob: spec)
        } else if (spec as NSString).pathExtension.lowercased() == "txt" {
            paths = try list(spec)
        } else {
            guard fm.fileExists(atPath: spec) else {
                throw BatchError("\(spec): --content: no such file or folder; give a folder, a glob such as 'photos/*.jpg', "
                                 + "a .txt list or a pattern such as frames/%05d.png")
            }
            paths = [spec]
        }
        guard !paths.isEmpty else {
            throw BatchError("\(spec): --content names no image (a folder's .png, .jpg and .jpeg files, a glob's matches or "
                             + "a list's lines are taken)")
        }
        return paths
    }

    /// Sorts by UTF-8 bytes, the same on every machine and locale.
    static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    /// The files matching a shell glob, sorted; folders are left out.
    static func matches(glob pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            guard let p = result.gl_pathv[i] else { continue }
            let path = String(cString: p)
            if FileManager.default.fileExists(atPath: path), !isFolder(path) { paths.append(path) }
        }
        return paths.sorted(by: byteOrder)
    }

    /// The lines of a list file, relative paths taken from the list's folder.
    static func list(_ path: String) throws -> [String] {
        let bytes: [UInt8]
        do { bytes = try InputFile.contents(of: path, limit: InputLimits.listBytes, what: "lists") } catch {
            throw BatchError("\(error); --content takes a folder, a glob, a .txt list or an image")
        }
        let folder = (path as NSString).deletingLastPathComponent
        return String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .map { $0.hasPrefix("/") || folder.isEmpty ? $0 : (folder as NSString).appendingPathComponent($0) }
    }
}

extension InputLimits {
    /// Content lists (`--content LIST.txt`): 64 MiB, a million long paths.
    public static let listBytes = 64 << 20
}

/// A printf-style numbered file name, `frames/%05d.png` or `frame%d.jpg`: one `%d` or `%0Nd` in the file name.
struct NumberedPattern {
    let folder: String
    let prefix: String
    let suffix: String
    /// The zero-padded width, 0 for `%d`.
    let width: Int

    init?(_ spec: String) {
        let name = (spec as NSString).lastPathComponent
        guard let percent = name.firstIndex(of: "%") else { return nil }
        var rest = name[name.index(after: percent)...]
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        rest = rest.dropFirst(digits.count)
        guard rest.first == "d", !rest.dropFirst().contains("%") else { return nil }
        folder = (spec as NSString).deletingLastPathComponent
        prefix = String(name[..<percent])
        suffix = String(rest.dropFirst())
        width = Int(digits) ?? 0
    }

    /// The existing files of the pattern, by number.
    func files() throws -> [String] {
        let dir = folder.isEmpty ? "." : folder
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw BatchError("\(dir): --content pattern's folder does not exist")
        }
        var numbered: [(Int, String)] = []
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(suffix) && name.count > prefix.count + suffix.count {
            let middle = name.dropFirst(prefix.count).dropLast(suffix.count)
            guard middle.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(middle),
                  width == 0 ? String(n) == middle : middle.count == max(width, String(n).count) else { continue }
            numbered.append((n, name))
        }
        return numbered.sorted { $0.0 < $1.0 }.map { folder.isEmpty ? $0.1 : (folder as NSString).appendingPathComponent($0.1) }
    }
}
