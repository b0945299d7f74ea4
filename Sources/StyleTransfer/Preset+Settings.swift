import Foundation
import NeuralCore

/// One setting a preset carries, in the one table of them all (`Preset.settings`): its key in a preset file, the
/// command-line option that overrides it, what it means, whether a sweep may vary it, and how a preset file's value
/// is read into a `Preset` and written back out.
///
/// Derived from the table: the fields a preset file may have (`Preset.fields`), a preset file's reading
/// (`Preset.overridden(by:)`) and writing (`Preset.fileFields`), the options named in a run plan's messages
/// (`RunPlan.optionNames`), the "(preset: KEY)" help of the command line, and the keys `sweep --vary` takes. The
/// accepted ranges are `Preset.Limits`, checked on the whole preset by `rangeProblems`.
public struct PresetSetting: Sendable {
    /// What a sweep can do with the setting's values.
    public enum Sweep: Sendable {
        /// Not varied by `sweep --vary` (lists, the layer map, the output size: the sweep has its own `--size`).
        case no
        /// Varied over numbers.
        case numbers
        /// Varied over words (a layer name, a mode).
        case words
    }

    /// The key in a preset file, e.g. `style_weight`.
    public let key: String
    /// The command-line option that overrides it, e.g. `--style-weight` (nil: none).
    public let option: String?
    /// What it means, for the command line's help, without a final full stop (`optionHelp` adds "(preset: KEY).").
    public let help: String
    public let sweep: Sweep
    /// Reads a preset file's value into the preset; throws a message naming the field (without the file).
    let read: @Sendable (_ value: Any, _ preset: inout Preset) throws(PresetSetting.Problem) -> Void
    /// The value a preset file holds for the preset (nil: the field is left out).
    let write: @Sendable (Preset) -> Any?

    /// A value of the wrong type or form, in one line naming the field.
    struct Problem: Error { let message: String }

    /// The help text with the preset field it overrides: "… (preset: size)."
    public var optionHelp: String { "\(help) (preset: \(key))." }
}

extension Preset {
    /// Every setting a preset may carry, in the order a preset file is read (`scales` before `scale_iterations`,
    /// whose count it checks) and its fields are listed.
    public static let settings: [PresetSetting] = [
        PresetSetting(key: "description", option: nil, help: "One line shown by `stylize presets`", sweep: .no,
                      read: { v, p throws(PresetSetting.Problem) in p.description = try text(v, "description") },
                      write: { $0.description }),
        real("content_weight", option: "--content-weight", help: "Weight α of the content loss, ≥ 0", \.contentWeight),
        real("style_weight", option: "--style-weight", help: "Weight β of the style loss, ≥ 0", \.styleWeight),
        real("tv_weight", option: "--tv-weight", help: "Weight γ of the total-variation loss, ≥ 0", \.tvWeight),
        PresetSetting(key: "content_layer", option: "--content-layer",
                      help: "Layer of the content loss, e.g. block5_conv2 or relu5_2", sweep: .words,
                      read: { v, p throws(PresetSetting.Problem) in
                          let s = VGGArchitecture.kerasName(try text(v, "content_layer"))
                          guard Preset.knownLayers.contains(s) else { throw .init(message: "content_layer: unknown layer \"\(s)\"") }
                          p.contentLayer = s
                      },
                      write: { $0.contentLayer }),
        PresetSetting(key: "style_layers", option: "--style-layer",
                      help: "Weight of one style layer, LAYER=WEIGHT, e.g. block3_conv1=0.5 or relu3_1=0.5; repeatable; 0 drops the layer",
                      sweep: .no, read: { v, p throws(PresetSetting.Problem) in p.styleLayers = try styleLayerMap(v) },
                      write: { Dictionary(uniqueKeysWithValues: $0.styleLayers.map { ($0.layer, $0.weight) }) }),
        whole("iterations", option: "--iterations",
              help: "Evaluation budget of every scale (the preset's per-scale budgets, e.g. 150,80, become N,N; --scale-iterations sets each), \(Limits.iterations.lowerBound)...\(Limits.iterations.upperBound)",
              sweep: .numbers, \.iterations),
        whole("size", option: "--size",
              help: "Longest edge of the output in pixels, \(sizeRange.lowerBound)...\(sizeRange.upperBound)", sweep: .no, \.size),
        real("style_scale", option: "--style-scale",
             help: "Size of the style images relative to the output, (0, \(Int(Limits.maxStyleScale))]", \.styleScale),
        word("init", option: "--init", help: "Starting image: content, noise (or random), style or a PATH",
             accepted: "\"content\", \"noise\" (or \"random\") or \"style\"", Initialization.init(mode:),
             \.initialization, name: \.name),
        PresetSetting(key: "original_colors", option: "--original-colors",
                      help: "Keep the content's colours: transfer the style on luminance only (as --color keep)", sweep: .no,
                      read: { v, p throws(PresetSetting.Problem) in
                          guard let n = v as? NSNumber, isJSONBool(n) else {
                              throw .init(message: "field \"original_colors\" must be true or false")
                          }
                          p.originalColors = n.boolValue
                      },
                      write: { $0.originalColors }),
        PresetSetting(key: "scales", option: "--scales",
                      help: "Coarse-to-fine sizes, increasing, comma-separated, e.g. 256,512", sweep: .no,
                      read: { v, p throws(PresetSetting.Problem) in
                          guard let list = v as? [Any] else { throw .init(message: "field \"scales\" must be a list of sizes") }
                          var sizes: [Int] = []
                          for item in list {
                              guard let n = jsonNumber(item), n.doubleValue.isFinite, let i = Int(exactly: n.doubleValue) else {
                                  throw .init(message: "field \"scales\" must be a list of whole sizes")
                              }
                              sizes.append(i)
                          }
                          p.scales = sizes
                      },
                      write: { $0.scales.isEmpty ? nil : $0.scales }),
        PresetSetting(key: "scale_iterations", option: "--scale-iterations",
                      help: "Evaluation budget of each scale, comma-separated, one per scale, e.g. 150,80", sweep: .no,
                      read: { v, p throws(PresetSetting.Problem) in
                          guard let list = v as? [Any], list.count == p.scales.count,
                                case let budgets = list.compactMap({ jsonNumber($0).flatMap { Int(exactly: $0.doubleValue) } }),
                                budgets.count == list.count, budgets.allSatisfy({ Limits.iterations.contains($0) }) else {
                              throw .init(message: "field \"scale_iterations\" must hold one whole budget in \(Limits.iterations.lowerBound)...\(Limits.iterations.upperBound) per entry of \"scales\" (\(p.scales.count))")
                          }
                          p.scaleIterations = budgets
                      },
                      write: { $0.scaleIterations.isEmpty ? nil : $0.scaleIterations }),
        whole("history", option: "--history",
              help: "L-BFGS history length, \(Limits.history.lowerBound)...\(Limits.history.upperBound)", sweep: .numbers, \.history),
        PresetSetting(key: "temporal_weight", option: "--temporal-weight",
                      help: "Weight λ_t of a video frame's temporal loss, ≥ 0 (`stylize video`; \(Int(TemporalLoss.defaultWeight)) when no preset sets it)",
                      sweep: .no,
                      read: { v, p throws(PresetSetting.Problem) in p.temporalWeight = try number(v, "temporal_weight") },
                      write: { $0.temporalWeight }),
        PresetSetting(key: "color_weight", option: "--color-weight",
                      help: "Weight of --color match's colour term, which holds the result's RGB mean and covariance to the photo's, ≥ 0 (\(Int(ColorLoss.defaultWeight)) when no preset sets it)",
                      sweep: .numbers,
                      read: { v, p throws(PresetSetting.Problem) in p.colorWeight = try number(v, "color_weight") },
                      write: { $0.colorWeight }),
        PresetSetting(key: "regions", option: "--region",
                      help: "A region of --content-mask and its style: COLOR=STYLE[:WEIGHT], COLOR #rrggbb or a name (white, black, red, green, blue, yellow, cyan, magenta, grey, orange, purple), STYLE an image or none; repeatable; a preset holds an object of colours to STYLE[:WEIGHT], its paths relative to its file",
                      sweep: .no,
                      read: { v, p throws(PresetSetting.Problem) in
                          guard let map = v as? [String: Any] else {
                              throw .init(message: "field \"regions\" must be an object of mask colours to STYLE[:WEIGHT] or \"none\"")
                          }
                          var regions: [RegionRequest.Region] = []
                          for (key, spec) in map.sorted(by: { $0.key < $1.key }) {
                              guard let color = RegionColor(parsing: key) else {
                                  throw .init(message: "regions: \"\(key)\" is not a colour (#rrggbb, #rgb or a name such as white)")
                              }
                              guard let text = spec as? String, let region = RegionRequest.Region(color: color, spec: text) else {
                                  throw .init(message: "regions.\(key) must be a string, STYLE[:WEIGHT] or \"none\"")
                              }
                              guard !regions.contains(where: { $0.color == color }) else {
                                  throw .init(message: "regions: \(color) is given twice; give each colour once")
                              }
                              guard region.weight.isFinite, region.weight > 0 else {
                                  throw .init(message: "regions.\(key): the weight must be > 0, not \(region.weight)")
                              }
                              regions.append(region)
                          }
                          p.regions = regions.isEmpty ? nil : regions
                      },
                      write: { p in p.regions.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.color.description, $0.spec) }) } }),
        word("normalization", option: "--normalization",
             help: "How the loss terms are scaled: relative (each term against its target) or gatys (absolute, as in the PyTorch comparison)",
             accepted: "\"relative\" or \"gatys\"", LossNormalization.init(rawValue:), \.normalization, name: \.rawValue),
    ]

    /// The fields a preset file may have.
    public static let fields = settings.map(\.key)

    /// The setting of preset-file key `key`.
    public static func setting(_ key: String) -> PresetSetting? { settings.first { $0.key == key } }

    // The readers of the table's rows: one per kind of value, each naming the field in its message.

    /// A number a sweep varies: a loss weight or the style scale (its range is checked by `rangeProblems`).
    private static func real(_ key: String, option: String, help: String, _ path: WritableKeyPath<Preset, Double> & Sendable) -> PresetSetting {
        PresetSetting(key: key, option: option, help: help, sweep: .numbers,
                      read: { v, p throws(PresetSetting.Problem) in p[keyPath: path] = try number(v, key) },
                      write: { $0[keyPath: path] })
    }

    /// A whole number; its range is checked with the others by `rangeProblems`.
    private static func whole(_ key: String, option: String, help: String, sweep: PresetSetting.Sweep,
                              _ path: WritableKeyPath<Preset, Int> & Sendable) -> PresetSetting {
        PresetSetting(key: key, option: option, help: help, sweep: sweep,
                      read: { v, p throws(PresetSetting.Problem) in
                          let n = try number(v, key)
                          guard n.isFinite, n == n.rounded(), let i = Int(exactly: n) else {
                              throw .init(message: "field \"\(key)\" must be a whole number, not \(n)")
                          }
                          p[keyPath: path] = i
                      },
                      write: { $0[keyPath: path] })
    }

    /// One of a few words (a mode), read by `parse`; `accepted` lists them for the message.
    private static func word<T>(_ key: String, option: String, help: String, accepted: String,
                                _ parse: @escaping @Sendable (String) -> T?, _ path: WritableKeyPath<Preset, T> & Sendable,
                                name: KeyPath<T, String> & Sendable) -> PresetSetting {
        PresetSetting(key: key, option: option, help: help, sweep: .words,
                      read: { v, p throws(PresetSetting.Problem) in
                          guard let s = v as? String, let value = parse(s) else {
                              throw .init(message: "field \"\(key)\" must be \(accepted)")
                          }
                          p[keyPath: path] = value
                      },
                      write: { $0[keyPath: path][keyPath: name] })
    }

    private static func number(_ value: Any, _ key: String) throws(PresetSetting.Problem) -> Double {
        guard let n = jsonNumber(value) else { throw .init(message: "field \"\(key)\" must be a number") }
        return n.doubleValue
    }

    private static func text(_ value: Any, _ key: String) throws(PresetSetting.Problem) -> String {
        guard let s = value as? String else { throw .init(message: "field \"\(key)\" must be a string") }
        return s
    }

    /// `style_layers`: an object of layer names (Keras or classic spellings) to weights, in network order.
    private static func styleLayerMap(_ value: Any) throws(PresetSetting.Problem) -> [StyleLayerWeight] {
        guard let layers = value as? [String: Any] else {
            throw .init(message: "field \"style_layers\" must be an object of layer names to weights")
        }
        var result: [StyleLayerWeight] = []
        var spelled: [String: String] = [:]   // Keras name → the spelling that gave it
        for (name, w) in layers.sorted(by: { $0.key < $1.key }) {
            let layer = VGGArchitecture.kerasName(name)
            guard Preset.knownLayers.contains(layer) else { throw .init(message: "style_layers: unknown layer \"\(layer)\"") }
            // Two spellings of one layer (`conv1_1` and `block1_conv1`) would weigh it twice.
            if let other = spelled.updateValue(name, forKey: layer) {
                throw .init(message: "style_layers: \"\(other)\" and \"\(name)\" are the same layer, \(layer); keep one")
            }
            guard let n = jsonNumber(w) else { throw .init(message: "style_layers.\(layer) must be a number") }
            result.append(StyleLayerWeight(layer: layer, weight: n.doubleValue))
        }
        return result.sorted { Preset.layerOrder($0.layer) < Preset.layerOrder($1.layer) }
    }

    /// A JSON number (not `true`/`false`, which JSONSerialization also gives as NSNumber).
    static func jsonNumber(_ value: Any) -> NSNumber? {
        guard let n = value as? NSNumber, !isJSONBool(n) else { return nil }
        return n
    }

    static func isJSONBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }
}
