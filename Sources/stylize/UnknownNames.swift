import ArgumentParser
import Foundation

/// A command or option name stylize does not have, named as unknown in one line, with a suggestion only when one is
/// close: a known name at an edit distance of 1 (2 for names of 6 letters or more), or the spelling of a tool users
/// know (`aliases`). Without it the argument parser reports what it missed first (`Missing expected argument
/// '--content'` for `--contnet`), or suggests a name that only shares letters (`--lr` -> `--log`).
enum UnknownNames {
    /// Double-dash spellings of the PyTorch tutorial, neural-style-pt and other tools, with what stylize has instead.
    static let aliases: [String: String] = [
        "--content-image": "stylize spells it --content", "--style-image": "stylize spells it --style",
        "--output-image": "stylize spells it -o/--output", "--image-size": "stylize spells it --size",
        "--num-iterations": "stylize spells it --iterations (the evaluation budget of each scale)",
        "--num-steps": "the nearest is --iterations (the evaluation budget of each scale)",
        "--steps": "the nearest is --iterations (the evaluation budget of each scale)",
        "--epochs": "the nearest is --iterations (the evaluation budget of each scale)",
        "--gpu": "stylize runs on the CPU only, there is nothing to choose",
        "--cuda": "stylize runs on the CPU only, there is nothing to choose",
        "--device": "stylize runs on the CPU only, there is nothing to choose",
        "--lr": "stylize's optimizer is L-BFGS with a line search, which takes no learning rate",
        "--learning-rate": "stylize's optimizer is L-BFGS with a line search, which takes no learning rate",
        "--optimizer": "stylize's optimizer is L-BFGS (see --history)",
        "--style-layers-weights": "give --style-layer LAYER=WEIGHT for each",
    ]

    /// The names every command accepts besides its own.
    static let common: Set<String> = ["-h", "--help", "--version", "--experimental-dump-help"]

    /// The commands, as `stylize help` lists them.
    static var commands: [String] { Stylize.configuration.subcommands.map { $0._commandName } }

    /// The line naming the first unknown command or option of `args` (the arguments after `stylize`), or nil when
    /// every name is known (the parser's own message then says what is wrong).
    static func problem(in args: [String]) -> String? {
        guard let first = args.first else { return nil }
        var command: ParsableCommand.Type = TransferCommand.self
        var rest = args[...]
        if !first.hasPrefix("-") {
            guard let named = Stylize.configuration.subcommands.first(where: { $0._commandName == first }) else {
                return first == "help" ? nil : unknownCommand(first)
            }
            command = named
            rest = args.dropFirst()
        }
        let names = known(command)
        // A transfer's option that a batch (whose items a video's frames are) sets itself or cannot honour: said why.
        let refused = command == BatchCommand.self ? BatchCommand.refusedTransferOptions
            : command == VideoCommand.self ? VideoCommand.refusedTransferOptions : [:]
        var skipValue = false
        for arg in rest {
            if skipValue { skipValue = false; continue }
            if arg == "--" { break }
            guard arg.hasPrefix("-"), arg.count > 1, !isNumber(arg) else { continue }
            let name = String(arg.split(separator: "=", maxSplits: 1)[0])
            if let takesValue = names[name] {
                skipValue = takesValue && !arg.contains("=")
                continue
            }
            if let why = refused[name] {
                return command == BatchCommand.self ? "\(name) is not a batch option: \(why)"
                    : "\(name) is not a video option (the frames run as a batch): \(why)"
            }
            if !arg.hasPrefix("--"), arg.count > 2, names["-" + arg] != nil {
                return "unknown option \(name); stylize's options take two dashes: -\(name)"
            }
            return unknownOption(name, among: names.keys.filter { $0.hasPrefix("--") })
        }
        return nil
    }

    /// "no command named "presest"; did you mean "presets"? (commands: ...)".
    static func unknownCommand(_ name: String) -> String {
        let near = closest(name, among: commands).map { "; did you mean \"\($0)\"?" } ?? ""
        return "no command named \"\(name)\"\(near) (commands: \(commands.joined(separator: ", ")); without one, stylize runs a transfer"
            + " from --content and --style)"
    }

    static func unknownOption(_ name: String, among names: [String]) -> String {
        if let alias = aliases[name.replacingOccurrences(of: "_", with: "-")] { return "unknown option \(name): \(alias)" }
        let near = closest(name, among: names).map { "; did you mean \($0)?" } ?? ""
        return "unknown option \(name)\(near) (see stylize help)"
    }

    /// Every name of a command's options and flags, and whether it takes a value, from the argument parser's own
    /// description of the command.
    static func known(_ command: ParsableCommand.Type) -> [String: Bool] {
        var names = Dictionary(uniqueKeysWithValues: common.map { ($0, false) })
        guard let json = try? JSONSerialization.jsonObject(with: Data(command._dumpHelp().utf8)) as? [String: Any],
              let info = json["command"] as? [String: Any],
              let arguments = info["arguments"] as? [[String: Any]] else { return names }
        for argument in arguments {
            let takesValue = argument["kind"] as? String == "option"
            for name in argument["names"] as? [[String: Any]] ?? [] {
                guard let text = name["name"] as? String, let kind = name["kind"] as? String else { continue }
                names[(kind == "long" ? "--" : "-") + text] = takesValue
            }
        }
        return names
    }

    /// The known name nearest to `name`, when it is close: an edit distance of 1, or 2 for names of 6 letters or more.
    static func closest(_ name: String, among names: [String]) -> String? {
        let bare = name.drop { $0 == "-" }.lowercased()
        let limit = bare.count >= 6 ? 2 : 1
        let scored = names.map { ($0, editDistance(bare, $0.drop { $0 == "-" }.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }), best.1 <= limit else { return nil }
        return best.0
    }

    /// The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two neighbours
    /// (`contnet` -> `content` is 1), each costing 1.
    /// - Complexity: O(mn).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        // d[i][j]: the distance between the first i characters of a and the first j of b.
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }

    /// A transfer's options that name one file: given twice, the second would silently replace the first.
    static let singleFiles: [Set<String>] = [["--content"], ["-o", "--output"]]

    /// The line for a transfer's `--content` or `-o` given twice, or nil.
    static func repeatedSingleValue(_ args: [String]) -> String? {
        guard args.first.map({ $0.hasPrefix("-") || $0 == "transfer" }) ?? false else { return nil }
        for names in singleFiles {
            var values: [String] = []
            var i = 0
            while i < args.count, args[i] != "--" {
                let parts = args[i].split(separator: "=", maxSplits: 1).map(String.init)
                if names.contains(parts[0]) {
                    if parts.count == 2 { values.append(parts[1]) } else if i + 1 < args.count { values.append(args[i + 1]); i += 1 }
                }
                i += 1
            }
            if values.count > 1 {
                let option = names.sorted().last!
                return "\(option) is given \(values.count) times (\(values.joined(separator: ", "))); a transfer has one"
                    + (option == "--content" ? " content photo (stylize batch styles many)" : " output")
            }
        }
        return nil
    }

    /// "-5", "-0.5", "-1e3": a negative number, which is a value, never an option.
    static func isNumber(_ arg: String) -> Bool { Double(arg) != nil }

    /// The arguments with a negative number after an option joined to it (`--size -5` -> `--size=-5`), so that the
    /// option gets its value and the value's check reports the range, instead of the parser reading `-5` as a short
    /// flag and the option as missing its value.
    static func joiningNegativeValues(_ args: [String]) -> [String] {
        var out: [String] = []
        for (i, arg) in args.enumerated() {
            if arg == "--" { return out + args[i...] }
            if let last = out.last, last.hasPrefix("--"), last.count > 2, !last.contains("="), arg.hasPrefix("-"), isNumber(arg) {
                out[out.count - 1] = last + "=" + arg
            } else {
                out.append(arg)
            }
        }
        return out
    }
}
