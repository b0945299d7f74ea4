#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a path may be written: the one check of every output path, made before any work (`FileRoles` in the
/// command-line tool) and again by `StagedFile`, when it creates its temporary file and just before the rename.
///
/// - The destination is a regular file or nothing. rename(2) replaces whatever is at the path, so a FIFO, a device
///   such as `/dev/null`, a socket or a symbolic link (`/dev/stdout`) would become a regular file: they are
///   refused, saying what they are. A directory is refused too.
/// - The names fit the file system: at most NAME_MAX (255) bytes in each component and PATH_MAX − 1 (4095) bytes
///   in all, also for the temporary file beside the destination.
/// - The folder exists, is a folder and is writable; a caller that creates the folder itself asks for its nearest
///   existing ancestor to be a writable folder instead.
public enum WriteTarget {
    /// The longest name of one path component in bytes (NAME_MAX of Linux' file systems).
    public static let nameBytes = Int(NAME_MAX)
    /// The longest path in bytes, without the terminating NUL (PATH_MAX − 1).
    public static let pathBytes = Int(PATH_MAX) - 1
    /// The longest name of `StagedFile`'s temporary file, `.stylize-PID-RANDOM.tmp`.
    static let temporaryNameBytes = 32

    /// Checks that `path` can be written as a new or replaced regular file.
    /// - Parameter folderMade: the caller creates a missing folder (and its parents) before writing.
    /// - Throws: `.cannotWrite` naming the problem: not a file name, a name or path too long, a folder that does
    ///   not exist, an ancestor that is not a folder, a folder that is not writable, a destination that is not a
    ///   regular file.
    public static func check(_ path: String, folderMade: Bool = false) throws(FileAccessError) {
        func failure(_ reason: String) -> FileAccessError { FileAccessError(path: path, kind: .cannotWrite(reason)) }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""         // keeps the trailing "/" ("" = current folder)
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        if name.isEmpty || name == "." || name == ".." { throw failure("not a file name") }
        for component in path.split(separator: "/") where component.utf8.count > nameBytes {
            let what = component == Substring(name) ? "the name" : "the folder name \(component.prefix(16))…"
            throw failure("\(what) has \(component.utf8.count) bytes, more than the \(nameBytes) a file name may have; choose a shorter one")
        }
        let longest = max(path.utf8.count, folder.utf8.count + temporaryNameBytes)
        if longest > pathBytes {
            throw failure("the path has \(path.utf8.count) bytes, more than the \(pathBytes - temporaryNameBytes) an output path may have; choose a shorter one")
        }
        try checkFolder(folder, of: path, made: folderMade)
        try checkDestination(path)
    }

    /// Refuses anything at `path` but a regular file; nothing there is fine.
    /// - Throws: `.cannotWrite("is a directory")`, or `.cannotWrite("is a character device, not a regular file")`
    ///   and the like, a symbolic link naming where it leads.
    public static func checkDestination(_ path: String) throws(FileAccessError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }   // nothing there (other errors show when the folder is opened)
        let type = status.st_mode & S_IFMT
        if type == S_IFREG { return }
        if type == S_IFDIR { throw FileAccessError(path: path, kind: .cannotWrite("is a directory")) }
        var what = fileTypeName(type)
        if type == S_IFLNK {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(path, &buffer, buffer.count - 1)
            if count > 0 { what += " to " + String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        }
        throw FileAccessError(path: path, kind: .cannotWrite("is a \(what), not a regular file"))
    }

    /// The folder of an output (with its trailing "/", "" for the current folder): there, a folder, writable.
    /// A missing folder is told apart from a file in the way by its nearest existing ancestor.
    static func checkFolder(_ folder: String, of path: String, made: Bool) throws(FileAccessError) {
        func failure(_ reason: String) -> FileAccessError { FileAccessError(path: path, kind: .cannotWrite(reason)) }
        let shown = folder.isEmpty ? "./" : folder
        var status = stat()
        var existing = folder.isEmpty ? "." : folder
        if stat(existing, &status) != 0 {
            let code = errno
            guard code == ENOENT || code == ENOTDIR else { throw failure("folder \(shown): \(systemMessage(code))") }
            let (ancestor, isFolder) = nearestExisting(folder)
            if !isFolder { throw failure("\(ancestor) is not a folder") }
            guard made else { throw failure("folder \(shown) does not exist") }
            existing = ancestor
        } else if (status.st_mode & S_IFMT) != S_IFDIR {
            throw failure("\(folder.dropLast()) is not a folder")
        }
        if access(existing, W_OK) != 0 && (errno == EACCES || errno == EROFS || errno == EPERM) {
            throw failure("folder \(made && existing != folder ? existing + "/" : shown) is not writable")
        }
    }

    /// The nearest ancestor of `folder` that exists, and whether it is a folder.
    static func nearestExisting(_ folder: String) -> (path: String, isFolder: Bool) {
        var head = Substring(folder)
        while true {
            while head.count > 1 && head.hasSuffix("/") { head = head.dropLast() }
            let candidate = head.isEmpty ? "." : String(head)
            var status = stat()
            if stat(candidate, &status) == 0 { return (candidate, (status.st_mode & S_IFMT) == S_IFDIR) }
            guard !head.isEmpty, head != "/" else { return (candidate, false) }
            guard let slash = head.lastIndex(of: "/") else { head = ""; continue }
            head = head[...slash]
        }
    }
}

/// What a file of type `type` (`st_mode & S_IFMT`) is, for messages: "FIFO (named pipe)", "character device"...
func fileTypeName(_ type: mode_t) -> String {
    switch type {
    case S_IFIFO: return "FIFO (named pipe)"
    case S_IFCHR: return "character device"
    case S_IFBLK: return "block device"
    case S_IFSOCK: return "socket"
    case S_IFLNK: return "symbolic link"
    case S_IFDIR: return "directory"
    default: return "special file"
    }
}
