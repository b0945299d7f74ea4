import Foundation
import NeuralCore
import SafeIO

extension Preset {
    /// Every layer name a preset may use (VGG19's convolutions and pools, a superset of VGG16's).
    static var knownLayers: Set<String> {
        var names = Set(VGGArchitecture.vgg19.convolutions.map(\.name))
        for b in 1...5 { names.insert("block\(b)_pool") }
        return names
    }

    /// Loads a preset file: `base` (the built-in values unless given; the command line gives the `default` preset)
    /// overridden by the file's fields.
    /// - Throws: `PresetError` naming the file and the field for malformed JSON (with its line),
    ///   an unknown field or layer, a wrong type, or a negative or non-finite weight.
    ///   Only a regular file of at most `InputLimits.presetBytes` (1 MiB) is read.
    public static func load(path: String, over base: Preset = .builtIn) throws -> Preset {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do { data = Data(try InputFile.contents(of: path, limit: InputLimits.presetBytes, what: "presets")) } catch {
            throw PresetError(path: path, message: error.problem(of: "preset"))
        }
        if let problem = JSONSyntax.check([UInt8](data)) {
            throw PresetError(path: path, message: "malformed JSON at line \(problem.line), column \(problem.column): \(problem.reason)")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw PresetError(path: path, message: jsonErrorMessage(error, data: data))
        }
        guard let dict = object as? [String: Any] else {
            throw PresetError(path: path, message: "the top level must be a JSON object")
        }
        let name = url.deletingPathExtension().lastPathComponent
        var loaded = try base.overridden(by: dict, name: name, path: path)
        if dict["description"] == nil { loaded.description = "" }   // the base's describes the base
        return loaded
    }

    /// The preset with the fields of `dict` applied over it, each read by its row of `Preset.settings`, then the
    /// whole checked against `Limits`.
    func overridden(by dict: [String: Any], name: String, path: String) throws -> Preset {
        var p = self
        p.name = name
        for key in dict.keys.sorted() where !Preset.fields.contains(key) {
            throw PresetError(path: path, message: "unknown field \"\(key)\" (known fields: \(Preset.fields.joined(separator: ", ")))")
        }
        for setting in Preset.settings {
            guard let value = dict[setting.key] else { continue }
            do { try setting.read(value, &p) } catch { throw PresetError(path: path, message: error.message) }
        }
        p.styleLayers.removeAll { $0.weight == 0 }
        // The regions' style paths are relative to the preset's file, as its author wrote them.
        if dict["regions"] != nil, let regions = p.regions {
            let folder = (path as NSString).deletingLastPathComponent
            p.regions = regions.map { region in
                var r = region
                if let style = r.style, !style.hasPrefix("/") { r.style = (folder as NSString).appendingPathComponent(style) }
                return r
            }
        }
        if let problem = p.rangeProblems(name: { "field \"\($0)\"" }).first {
            throw PresetError(path: path, message: problem)
        }
        return p
    }

    /// Position of a layer in network order, for sorting.
    static func layerOrder(_ name: String) -> Int {
        // "blockB_convK" / "blockB_pool": B major, convolutions before the pool.
        let parts = name.dropFirst("block".count).split(separator: "_")
        let block = Int(parts.first ?? "") ?? 9
        let rest = parts.count > 1 ? parts[1] : ""
        let index = rest.hasPrefix("conv") ? (Int(rest.dropFirst(4)) ?? 9) : 99
        return block * 100 + index
    }

    /// One line for a JSON parse error: "malformed JSON at line L, column C: reason", or, for a number too large
    /// for a Double (the only way JSON can hold a non-finite weight), the field that holds it.
    static func jsonErrorMessage(_ error: Error, data: Data) -> String {
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        let source = String(decoding: data, as: UTF8.self)
        func position(ofByte offset: Int) -> String {
            var line = 1, column = 1
            for byte in data.prefix(offset) {
                if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
            }
            return "line \(line), column \(column)"
        }
        if let r = text.range(of: #"Number \S+ is not representable"#, options: .regularExpression) {
            let number = text[r].dropFirst("Number ".count).split(separator: " ")[0]
            if let field = source.range(of: #""([^"]+)"\s*:\s*"# + NSRegularExpression.escapedPattern(for: String(number)),
                                        options: .regularExpression) {
                let key = source[field].split(separator: "\"")[0]
                let offset = source.utf8.distance(from: source.startIndex, to: field.lowerBound)
                return "field \"\(key)\" must be a finite number, not \(number) (\(position(ofByte: offset)))"
            }
            return "malformed JSON: number \(number) is out of range"
        }
        guard let range = text.range(of: #"character (\d+)"#, options: .regularExpression),
              let offset = Int(text[range].dropFirst("character ".count)) else {
            return "malformed JSON (\(text))"
        }
        let reason = text.replacingOccurrences(of: #" around character \d+\.?"#, with: "", options: .regularExpression)
        return "malformed JSON at \(position(ofByte: offset)): \(reason)"
    }

    /// The file a preset `spec` names: the spec itself when it is a path (ends in `.json` or holds a `/`),
    /// else `folder/spec.json`. The one rule of what a preset spec names (`Preset.file(of:)` asks it).
    public static func path(of spec: String, folder: String) -> String {
        if spec.hasSuffix(".json") || spec.contains("/") { return spec }
        return (folder as NSString).appendingPathComponent(spec + ".json")
    }

    /// All presets of a folder, sorted by name, each over `base` (see `load`).
    public static func list(folder: String, over base: Preset = .builtIn) throws -> [Preset] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return try files.filter { $0.hasSuffix(".json") }.sorted().map {
            try load(path: (folder as NSString).appendingPathComponent($0), over: $0 == "default.json" ? .builtIn : base)
        }
    }
}
