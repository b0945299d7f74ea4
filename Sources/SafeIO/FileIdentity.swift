#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A file as the kernel knows it: device and inode. Two paths with the same identity are the same file,
/// whatever symbolic or hard links lead to it.
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }

    /// The identity of the file at `path` (symbolic links followed), or nil when nothing is there.
    public init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        self.init(status)
    }
}

/// Whether `path` names a folder, symbolic links followed (as `FileManager.fileExists(atPath:isDirectory:)` says).
public func isFolder(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
}

/// Paths compared by what they name.
public enum PathResolution {
    /// `path` made absolute with every symbolic link resolved: `realpath` of the longest existing ancestor
    /// followed by the components that do not exist yet, so that outputs not written yet can be compared too.
    public static func resolved(_ path: String) -> String {
        var absolute = path
        if !path.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let cwd = getcwd(&buffer, buffer.count).map { _ in String(cString: buffer) } ?? "."
            absolute = cwd + "/" + path
        }
        var missing: [Substring] = []
        var head = Substring(absolute)
        while true {
            if let real = realpath(String(head), nil) {
                defer { free(real) }
                var result = String(cString: real)
                for component in missing.reversed() where component != "." && !component.isEmpty {
                    if component == ".." {
                        result = String(result[..<(result.lastIndex(of: "/") ?? result.startIndex)])
                    } else {
                        result += (result.hasSuffix("/") ? "" : "/") + component
                    }
                }
                return result.isEmpty ? "/" : result
            }
            guard let slash = head.lastIndex(of: "/") else { return absolute }
            missing.append(head[head.index(after: slash)...])
            head = slash == head.startIndex ? "/" : head[..<slash]
        }
    }
}

/// Every file this process has opened as an input since `startRecording()`, so that no output replaces one of
/// them (`StagedFile` refuses to write over a file listed here). Off until started: a library user may well read
/// a file and write it back; the command-line tool never does.
public enum ReadFiles {
    private static let inputs = Mutex<[FileIdentity: String]?>(nil)

    /// From now on, every input opened by `InputFile` is protected from this process' writes.
    public static func startRecording() {
        inputs.withLock { if $0 == nil { $0 = [:] } }
    }

    /// Records `identity` as an input named `path` (when recording).
    public static func register(_ identity: FileIdentity, path: String) {
        inputs.withLock { if $0 != nil && $0![identity] == nil { $0![identity] = path } }
    }

    /// Stops protecting the file at `path` (a checkpoint that the command reading it then writes again).
    public static func forget(path: String) {
        guard let identity = FileIdentity(path: path) else { return }
        inputs.withLock { _ = $0?.removeValue(forKey: identity) }
    }

    /// The input (as first named) that `path` leads to, or nil when `path` is not an input of this process.
    /// An input deleted since it was read no longer counts (its inode may have been reused).
    public static func input(at path: String) -> String? {
        guard let identity = FileIdentity(path: path),
              let input = inputs.withLock({ $0?[identity] }) else { return nil }
        return FileIdentity(path: input) == identity ? input : nil
    }
}
