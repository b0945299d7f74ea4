import Foundation
import StyleTransfer

extension Preset {
    /// A preset by path (`.json` or containing `/`), or by name in `ProjectPaths.presetFolders`, the first
    /// folder holding `NAME.json` winning.
    /// - Throws: a `PresetError` for a bad file; a `CLIError` naming every folder searched when no preset has the name.
    static func find(_ spec: String) throws -> Preset {
        let ext = (spec as NSString).pathExtension.lowercased()
        if !ext.isEmpty && ext != "json" && (spec.contains("/") || FileManager.default.fileExists(atPath: spec)) {
            throw CLIError("--preset \(spec): a preset is a .json file or a name (see stylize presets), not a .\(ext) file")
        }
        if spec.hasSuffix(".json") || spec.contains("/") { return try load(path: spec) }
        for folder in ProjectPaths.presetFolders {
            let path = (folder as NSString).appendingPathComponent(spec + ".json")
            if FileManager.default.fileExists(atPath: path) { return try load(path: path) }
        }
        let known = ((try? listAll()) ?? []).flatMap { $0.presets.map(\.name) }
        var message = "no preset named \"\(spec)\" (looked in \(ProjectPaths.presetsSearched))"
        message += known.isEmpty ? "; \(ProjectPaths.setupHint)" : "; presets: \(known.joined(separator: ", "))"
        throw CLIError(message)
    }

    /// The file a preset spec names: the path itself, or `NAME.json` in the first preset folder that has it
    /// (nil when none has it).
    static func file(of spec: String) -> String? {
        if spec.hasSuffix(".json") || spec.contains("/") { return spec }
        return ProjectPaths.presetFolders.map { ($0 as NSString).appendingPathComponent(spec + ".json") }
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The presets of every preset folder that has some, folder by folder.
    static func listAll() throws -> [(folder: String, presets: [Preset])] {
        try ProjectPaths.presetFolders.compactMap { folder in
            let presets = try list(folder: folder)
            return presets.isEmpty ? nil : (folder, presets)
        }
    }
}
