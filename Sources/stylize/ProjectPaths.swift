import Foundation

/// Where the project's own folders (Presets/, Weights/, images/) are.
enum ProjectPaths {
    /// The project root: `$STYLIZE_HOME`, else the first folder holding `Presets/` upward from the
    /// current directory, else upward from the executable (`.build/release/stylize`).
    static let root: String? = {
        let fm = FileManager.default
        if let home = ProcessInfo.processInfo.environment["STYLIZE_HOME"], !home.isEmpty { return home }
        func search(from start: URL) -> String? {
            var dir = start.standardizedFileURL
            for _ in 0..<8 {
                if fm.fileExists(atPath: dir.appendingPathComponent("Presets").path),
                   fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                    return dir.path
                }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
            return nil
        }
        if let r = search(from: URL(fileURLWithPath: fm.currentDirectoryPath)) { return r }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return search(from: exe.deletingLastPathComponent())
    }()

    /// The presets folder.
    static var presets: String {
        guard let root else { return "Presets" }
        return (root as NSString).appendingPathComponent("Presets")
    }
}
