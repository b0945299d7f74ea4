import Foundation

/// The single-dash flags of Johnson's neural-style (`-content_image`, `-style_image`, `-original_colors 1`, ...),
/// which users type from memory, rewritten to stylize's options before the argument parser sees them.
enum ClassicFlags {
    /// What one classic flag becomes, given its value.
    private struct Rule: Sendable {
        /// The native option, for the note (`--original-colors`), or what the flag does here ("nothing: ...").
        let native: String
        /// What the values the rule accepts are, for the message about any other (nil: "needs a value").
        var accepted: String? = nil
        /// Whether the flag takes a value (neural-style's booleans, `-cudnn_autotune`, take none).
        var takesValue = true
        /// The native arguments for a value, e.g. `-original_colors 0` -> []; nil when the value is not accepted.
        let rewrite: @Sendable (String) -> [String]?
    }

    private static func option(_ native: String) -> Rule { Rule(native: native) { [native, $0] } }

    /// A flag accepted and dropped, for the values in `values` (any value when nil), with the reason in the note.
    private static func nothing(_ why: String, values: Set<String>? = nil, accepted: String? = nil) -> Rule {
        Rule(native: "nothing: \(why)", accepted: accepted) { values?.contains($0) ?? true ? [] : nil }
    }

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
        "original_colors": Rule(native: "--original-colors", accepted: "1 or 0") { value in
            switch value {
            case "1": return ["--original-colors"]
            case "0": return []
            default: return nil
            }
        },
        "save_iter": Rule(native: "--save-every") { value in value == "0" ? [] : ["--save-every", value] },
        // stylize prints progress after every step.
        "print_iter": Rule(native: "nothing: progress is shown after every step") { Int($0) != nil ? [] : nil },
        "style_layers": option("--style-layers"),
        // neural-style's 0 is its default, torch's 100 pairs (stylize's too).
        "lbfgs_num_correction": Rule(native: "--history") { value in value == "0" ? [] : ["--history", value] },
        "model_file": option("--weights"),
        // What neural-style chooses and stylize does not: the device, the backend, the optimizer, the pooling.
        "gpu": Rule(native: "nothing: stylize runs on the CPU", accepted: "a GPU number, -1 or c") { Int($0) != nil || $0 == "c" ? [] : nil },
        "backend": nothing("stylize runs on the CPU, with OpenBLAS", values: ["nn", "cudnn", "clnn", "mkl", "opencl"], accepted: "nn, cudnn or clnn"),
        "cudnn_autotune": Rule(native: "nothing: stylize runs on the CPU", takesValue: false) { _ in [] },
        "multigpu_strategy": nothing("stylize runs on the CPU"),
        "proto_file": nothing("the network's layers are read from the weights (--weights)"),
        "optimizer": nothing("stylize's optimizer is L-BFGS", values: ["lbfgs"],
                             accepted: "lbfgs only (there is no Adam here)"),
        "learning_rate": Rule(native: "nothing: L-BFGS's line search chooses each step", accepted: "a number") { Double($0) != nil ? [] : nil },
        "pooling": nothing("VGG's max pooling is the only one", values: ["max"], accepted: "max only (VGG pools by the maximum)"),
    ]

    /// The arguments with every classic flag rewritten, and one line telling the native spelling or that the flag
    /// does nothing here (nil when nothing was rewritten). A single-dash word that is no classic flag is named as
    /// unknown (`UnknownNames`), rather than read by the parser as a cluster of short flags.
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
                let native = UnknownNames.known(TransferCommand.self).keys.filter { $0.hasPrefix("--") }
                throw CLIError(UnknownNames.unknownOption(arg, among: native + rules.keys.map { "-" + $0 }))
            }
            guard rule.takesValue else {
                notes.append("\(arg) -> \(rule.native)")
                i += 1
                continue
            }
            guard i + 1 < args.count, let native = rule.rewrite(args[i + 1]) else {
                if i + 1 < args.count, let accepted = rule.accepted {
                    throw CLIError("\(arg) \(args[i + 1]): stylize accepts \(accepted)")
                }
                let spelling = rule.native.hasPrefix("--") ? "; stylize spells it \(rule.native)" : ""
                throw CLIError("\(arg) needs a value" + (rule.accepted.map { " (\($0))" } ?? "") + spelling)
            }
            var spelled = native.isEmpty ? (rule.native.hasPrefix("--") ? "no \(rule.native)" : rule.native) : native.joined(separator: " ")
            if name == "num_iterations" { spelled += " (evaluations at each of the preset's scales, not in all)" }
            notes.append("\(arg) \(args[i + 1]) -> \(spelled)")
            out += native
            i += 2
        }
        let note = notes.isEmpty ? nil : "stylize: read neural-style flags as native options: " + notes.joined(separator: ", ")
        return (out, note)
    }
}
