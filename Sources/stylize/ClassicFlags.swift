import Foundation

/// The single-dash flags of Johnson's neural-style (`-content_image`, `-style_image`, `-original_colors 1`, ...),
/// which users type from memory, rewritten to stylize's options before the argument parser sees them.
enum ClassicFlags {
    /// What one classic flag becomes, given its value.
    private struct Rule: Sendable {
        /// The native option, for the note (`--original-colors`).
        let native: String
        /// The native arguments for a value, e.g. `-original_colors 0` -> []; nil when the value is not accepted.
        let rewrite: @Sendable (String) -> [String]?
    }

    private static func option(_ native: String) -> Rule { Rule(native: native) { [native, $0] } }

    private static let rules: [String: Rule] = [
        "content_image": option("--content"), "content": option("--content"),
        "style_image": option("--style"), "style": option("--style"),
        "style_blend_weights": option("--style-blend"),
        "output_image": option("--output"),
        "num_iterations": option("--iterations"),
        "image_size": option("--size"),
        "content_weight": option("--content-weight"), "style_weight": option("--style-weight"),
        "tv_weight": option("--tv-weight"), "style_scale": option("--style-scale"),
        "seed": option("--seed"),
        "init_image": option("--init"),
        "content_layers": option("--content-layer"),
        "init": Rule(native: "--init") { value in
            switch value {
            case "random": return ["--init", "noise"]
            case "image": return ["--init", "content"]
            default: return ["--init", value]
            }
        },
        "original_colors": Rule(native: "--original-colors") { value in
            switch value {
            case "1": return ["--original-colors"]
            case "0": return []
            default: return nil
            }
        },
        "save_iter": Rule(native: "--save-every") { value in value == "0" ? [] : ["--save-every", value] },
        // stylize prints progress after every step.
        "print_iter": Rule(native: "nothing: progress is shown after every step") { Int($0) != nil ? [] : nil },
    ]

    /// The arguments with every classic flag rewritten, and one line telling the native spelling (nil when
    /// nothing was rewritten). A single-dash word that is no classic flag gets an error naming the native
    /// spelling, rather than the parser's reading of it as a cluster of short flags.
    static func translate(_ args: [String]) throws -> (args: [String], note: String?) {
        var out: [String] = []
        var notes: [String] = []
        var i = 0
        while i < args.count {
            let arg = args[i]
            if arg == "--" { out += args[i...]; break }
            guard arg.count > 2, arg.hasPrefix("-"), !arg.hasPrefix("--"),
                  arg.dropFirst().allSatisfy({ $0.isLetter || $0 == "_" }) else {
                out.append(arg)
                i += 1
                continue
            }
            let name = String(arg.dropFirst())
            guard let rule = rules[name] else {
                throw CLIError("unknown option \(arg); stylize's options take two dashes: try --\(name.replacingOccurrences(of: "_", with: "-"))"
                               + " (see stylize --help)")
            }
            guard i + 1 < args.count, let native = rule.rewrite(args[i + 1]) else {
                throw CLIError("\(arg) needs a value" + (name == "original_colors" ? " 1 or 0" : "") + "; stylize spells it \(rule.native)")
            }
            let spelled = native.isEmpty ? (rule.native.hasPrefix("--") ? "no \(rule.native)" : rule.native) : native.joined(separator: " ")
            notes.append("\(arg) \(args[i + 1]) -> \(spelled)")
            out += native
            i += 2
        }
        let note = notes.isEmpty ? nil : "stylize: read neural-style flags as native options: " + notes.joined(separator: ", ")
        return (out, note)
    }
}
