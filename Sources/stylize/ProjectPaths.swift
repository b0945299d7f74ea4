import Foundation
import SafeIO

/// Where stylize finds its data (`Presets/`, `Weights/`, `images/`): one locator for presets and weights,
/// independent of the current folder.
///
/// The data folder is the first of:
/// 1. `$STYLIZE_HOME`, when set (used as given, even when it lacks something, so that messages name it);
/// 2. the repository the binary sits in: the nearest folder above the executable (symlinks resolved)
///    holding `Package.swift` and `Presets/`, e.g. the checkout around `.build/release/stylize`;
/// 3. `../share/stylize` relative to the binary's folder (`PREFIX/bin/stylize` -> `PREFIX/share/stylize`),
///    as `scripts/install` lays it out.
///
/// User presets live in `$XDG_CONFIG_HOME/stylize/presets` (default `~/.config/stylize/presets`) and are
/// searched after the data folder's `Presets/`.
enum ProjectPaths {
    /// One place the data folder was looked for, and what was found there.
    struct Place {
        let label: String
        let path: String?
        let found: Bool
    }

    /// The running binary, symlinks resolved.
    static let executable: URL = {
        #if os(Linux)
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: target)
        }
        #endif
        let path = Bundle.main.executablePath ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path).resolvingSymlinksInPath()
    }()

    /// The places searched for the data folder, in order.
    static let places: [Place] = {
        let fm = FileManager.default
        var result: [Place] = []
        let home = ProcessInfo.processInfo.environment["STYLIZE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
        result.append(Place(label: "STYLIZE_HOME", path: home, found: home != nil))
        let binDir = executable.deletingLastPathComponent().standardizedFileURL
        var repository: String?
        var dir = binDir
        for _ in 0..<8 {
            if fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path),
               isFolder(dir.appendingPathComponent("Presets").path) {
                repository = dir.path
                break
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        result.append(Place(label: "the repository around \(binDir.path)", path: repository, found: repository != nil))
        let share = binDir.deletingLastPathComponent().appendingPathComponent("share/stylize").standardizedFileURL.path
        result.append(Place(label: share, path: share, found: isFolder(share)))
        return result
    }()

    /// The data folder, or nil when no place has one.
    static var root: String? { places.first(where: \.found)?.path }

    /// The installed data folder next to the binary (`../share/stylize`), whether or not it exists.
    static var sharedFolder: String { places.last!.path! }

    /// Where the data folder was looked for, for messages: "STYLIZE_HOME (not set), the repository around
    /// /usr/local/bin (none), /usr/local/share/stylize (missing)".
    static var searched: String {
        places.map { place in
            if place.label == "STYLIZE_HOME" { return place.path.map { "STYLIZE_HOME=\($0)" } ?? "STYLIZE_HOME (not set)" }
            if place.path == nil || place.label.hasPrefix("the repository") {
                return place.found ? place.path! : "\(place.label) (none)"
            }
            return place.found ? place.label : "\(place.label) (missing)"
        }.joined(separator: ", ")
    }

    /// The user's own presets: `$XDG_CONFIG_HOME/stylize/presets` or `~/.config/stylize/presets`.
    static var userPresets: String {
        let env = ProcessInfo.processInfo.environment
        let config = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((env["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".config")
        return (config as NSString).appendingPathComponent("stylize/presets")
    }

    /// The preset folders searched for a preset name, in order: the data folder's `Presets/`, then the user's.
    static var presetFolders: [String] {
        (root.map { [($0 as NSString).appendingPathComponent("Presets")] } ?? []) + [userPresets]
    }

    /// Where presets were looked for, for messages.
    static var presetsSearched: String {
        guard let root else { return "\(searched), \(userPresets)" }
        return "\((root as NSString).appendingPathComponent("Presets")), \(userPresets)"
    }

    /// The hint that ends a "not found" message.
    static let setupHint = "set STYLIZE_HOME to a stylize checkout, or install with scripts/install"
}
