import Foundation
import StyleTransfer

extension Preset {
    /// A preset by path (`.json` or containing `/`), or by name in `ProjectPaths.presetFolders`, the user's folder
    /// first (a user's `default.json` replaces the bundled one). The fields a preset file leaves out are the
    /// `default` preset's (`fallback`), the `default` preset's own the built-in values.
    /// - Throws: a `PresetError` for a bad file; a `CLIError` naming every folder searched when no preset has the name,
    ///   or when the path is an image or another file that is no preset.
    static func find(_ spec: String) throws -> Preset {
        let ext = (spec as NSString).pathExtension.lowercased()
        if !ext.isEmpty && ext != "json" && (spec.contains("/") || FileManager.default.fileExists(atPath: spec)) {
            throw CLIError("--preset \(spec): a preset is a .json file or a name (see stylize presets), not a .\(ext) file")
        }
        guard let path = file(of: spec) else {
            let known = ((try? listAll()) ?? []).flatMap { $0.presets.map(\.name) }
            var message = "no preset named \"\(spec)\" (looked in \(ProjectPaths.presetsSearched))"
            message += known.isEmpty ? "; \(ProjectPaths.setupHint)" : "; presets: \(Array(Set(known)).sorted().joined(separator: ", "))"
            throw CLIError(message)
        }
        return try load(path: path, over: path == file(of: "default") ? .builtIn : try fallback())
    }

    /// What a preset file's missing fields are: the `default` preset (the user's, else the bundled one), else the
    /// built-in values when there is no `default.json`.
    static func fallback() throws -> Preset {
        guard let path = file(of: "default") else { return .builtIn }
        return try load(path: path)
    }

    /// The file a preset spec names: the path itself, or `NAME.json` in the first preset folder that has it, the
    /// user's folder first (nil when none has it).
    static func file(of spec: String) -> String? {
        let paths = ProjectPaths.presetFolders.reversed().map { path(of: spec, folder: $0) }
        return paths.first == spec ? spec : paths.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The presets of every preset folder that has some, folder by folder, each over `fallback()`.
    static func listAll() throws -> [(folder: String, presets: [Preset])] {
        let base = (try? fallback()) ?? .builtIn
        return try ProjectPaths.presetFolders.compactMap { folder in
            let presets = try list(folder: folder, over: base)
            return presets.isEmpty ? nil : (folder, presets)
        }
    }
}
