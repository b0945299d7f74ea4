import Foundation
import SafeIO

/// The files a command reads and writes, checked against each other before any work: no written path may lead to
/// a file the command reads, no two written paths may be the same file, and every written path must be writable
/// (`WriteTarget.check`: a regular file or nothing, names that fit the file system, a folder that is there).
///
/// Paths are compared after resolving symbolic links (`PathResolution.resolved`) and, when both exist, by device
/// and inode (hard links). Every command that writes uses this one check; `StagedFile` repeats it at each rename
/// for files actually opened as inputs (`ReadFiles`) and for the kind of the destination.
struct FileRoles {
    /// A file and the option that names it, e.g. ("photo.png", "--content").
    typealias Role = (path: String, option: String)
    /// A folder a command writes into, with the names it may write there.
    typealias FolderRole = (folder: String, option: String, writes: (String) -> Bool)

    var reads: [Role] = []
    var writes: [Role] = []
    var folders: [FolderRole] = []
    /// Folders the command creates before writing into them (the transfer's default `output/`).
    var madeFolders: [String] = []

    /// Checks the roles, and turns on `ReadFiles` so that every input opened from now on is also protected at the
    /// moment of each write.
    /// - Throws: `CLIError` naming the written path, the option and the input it would replace, the other output on
    ///   the same file, or why the path cannot be written.
    func check() throws {
        ReadFiles.startRecording()
        let inputs = reads.map { (role: $0, resolved: PathResolution.resolved($0.path), identity: FileIdentity(path: $0.path)) }
        func clash(_ path: String) -> Role? {
            let resolved = PathResolution.resolved(path), identity = FileIdentity(path: path)
            return inputs.first { $0.resolved == resolved || (identity != nil && $0.identity == identity) }?.role
        }
        var seen: [String: Role] = [:]
        for write in writes {
            if let input = clash(write.path) {
                throw CLIError("\(write.path): \(write.option) would overwrite the input \(input.path) (\(input.option)); choose another path")
            }
            let resolved = PathResolution.resolved(write.path)
            if let other = seen[resolved] {
                throw CLIError("\(write.path): \(write.option) and \(other.option) name the same file; choose different paths")
            }
            seen[resolved] = write
            let folder = PathResolution.resolved((write.path as NSString).deletingLastPathComponent)
            do throws(FileAccessError) {
                try WriteTarget.check(write.path, folderMade: madeFolders.contains { PathResolution.resolved($0) == folder })
            } catch {
                let special = error.problem.hasSuffix("not a regular file") && write.option == "--log"
                throw CLIError(error.description + (special ? " (--log - writes the lines to standard output)" : ""))
            }
        }
        for folder in folders {
            let resolvedFolder = PathResolution.resolved(folder.folder)
            for input in inputs {
                let parent = (input.resolved as NSString).deletingLastPathComponent
                let name = (input.resolved as NSString).lastPathComponent
                if parent == resolvedFolder && folder.writes(name) {
                    throw CLIError("\(input.role.path): \(folder.option) \(folder.folder) could overwrite this input "
                                   + "(\(input.role.option)); choose another path")
                }
            }
            for write in writes {
                let resolved = PathResolution.resolved(write.path)
                if (resolved as NSString).deletingLastPathComponent == resolvedFolder && folder.writes((resolved as NSString).lastPathComponent) {
                    throw CLIError("\(write.path): \(write.option) and \(folder.option) could name the same file; choose another path")
                }
            }
            // Hard links to an input under a name the command writes.
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.folder)) ?? []).filter(folder.writes)
            for name in names {
                let path = (folder.folder as NSString).appendingPathComponent(name)
                if let input = clash(path) {
                    throw CLIError("\(path): \(folder.option) would overwrite the input \(input.path) (\(input.option)); choose another path")
                }
            }
        }
    }
}
