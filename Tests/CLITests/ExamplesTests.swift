import Foundation
import XCTest

/// Every example of the help texts and every `stylize` command of the README, run as written in a fresh folder
/// (only `images/` of the repository in it, no STYLIZE_HOME, an empty HOME), at small sizes on random weights.
final class ExamplesTests: XCTestCase {
    /// Subcommands that take `--weights` and `--size`, and the size that keeps them quick.
    static let networkCommands = ["transfer", "shapes", "features", "gram"]

    /// The command line made quick: random weights, a small size and 2 evaluations, appended (the last of a
    /// repeated option wins), or `--scales` replaced.
    static func quick(_ line: String) -> String {
        let words = line.split(separator: " ").map(String.init)
        let command = words.count > 1 && ["presets", "layers", "shapes", "features", "gram", "info", "help", "resume"].contains(words[1])
            ? words[1] : "transfer"
        guard networkCommands.contains(command), !line.contains(" --merge ") else { return line }   // batch --merge: no run
        var out = line
        if let r = out.range(of: #"--scales [0-9,]+"#, options: .regularExpression) {
            out.replaceSubrange(r, with: "--scales 32,48")
        } else if let r = out.range(of: #"--scale-iterations [0-9,]+"#, options: .regularExpression) {
            out.replaceSubrange(r, with: "--scale-iterations 2,2 --scales 32,48")   // one budget per scale
        } else {
            // A sweep over style_scale=0.5 halves the style image, which at the default preset's coarse scale (half
            // the size) leaves block5 no pixels below 128 px (the plan refuses such a cell).
            out += line.contains("style_scale=0.5") ? " --size 128" : " --size 32"
        }
        out += " --weights random:1"
        if command == "transfer" { out += " --iterations 2" }
        return out
    }

    /// The `stylize ...` lines of a text, with `\` continuations joined and `# comments` dropped.
    static func commands(in text: String, where keep: (String) -> Bool = { _ in true }) -> [String] {
        var result: [String] = []
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty && !line.hasPrefix("stylize ") { continue }
            if let hash = line.range(of: " #") { line = String(line[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces) }
            if line.hasSuffix("\\") {
                pending += line.dropLast().trimmingCharacters(in: .whitespaces) + " "
                continue
            }
            result.append(pending + line)
            pending = ""
        }
        return result.filter(keep)
    }

    func run(_ lines: [String], in dir: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        for command in lines {
            let quick = Self.quick(command)
            let r = try CLI.shell(quick, cwd: dir, env: CLI.freshEnv(dir))
            XCTAssertEqual(r.status, 0, "\(command)\n(run as: \(quick))\n\(r.stderr)", file: file, line: line)
        }
    }

    /// Every subcommand, as the root help lists them.
    static let subcommands = ["transfer", "resume", "presets", "layers", "shapes", "features", "gram", "sweep", "info", "batch", "studio", "video"]

    /// The root help and every subcommand's, as a terminal of `columns` columns shows them.
    static func helpPages(columns: Int) throws -> [String: String] {
        var pages = ["": try CLI.run(["--help"], env: ["COLUMNS": "\(columns)"]).stdout]
        for sub in subcommands { pages[sub] = try CLI.run(["help", sub], env: ["COLUMNS": "\(columns)"]).stdout }
        return pages
    }

    func testSubcommandListIsComplete() throws {
        let root = try CLI.run(["--help"]).stdout
        guard let header = root.range(of: "SUBCOMMANDS:") else { return XCTFail("no SUBCOMMANDS in \(root)") }
        let section = root[header.upperBound...].split(separator: "\n\n")[0]   // up to "See 'stylize help ...'"
        let listed = section.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ")
            return line.hasPrefix("  ") && !line.hasPrefix("   ") ? words.first.map(String.init) : nil
        }
        XCTAssertEqual(Set(listed), Set(Self.subcommands), "the examples tests must read every help page")
    }

    /// At 80 columns every example line ends in a backslash or completes its command: the examples read the same as
    /// on a terminal wide enough never to wrap them, so they paste.
    func testHelpExamplesAreNotWrappedAt80Columns() throws {
        let narrow = try Self.helpPages(columns: 80), wide = try Self.helpPages(columns: 400)
        var total = 0
        for (page, text) in narrow {
            let examples = Self.commands(in: text)
            total += examples.count
            XCTAssertEqual(examples, Self.commands(in: wide[page]!), "stylize help \(page) at 80 columns:\n\(text)")
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            var inExample = false
            for (i, line) in lines.enumerated() {
                if line.hasPrefix("stylize ") { inExample = true }
                guard inExample else { continue }
                inExample = line.hasSuffix("\\")
                // The line after a command's last one is not the rest of it, wrapped.
                if !inExample, i + 1 < lines.count {
                    XCTAssertFalse(lines[i + 1].hasPrefix("-") || lines[i + 1].hasPrefix("\\") || lines[i + 1].hasSuffix(".png"),
                                   "stylize help \(page): \"\(line)\" goes on in \"\(lines[i + 1])\"")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(total, 9, "the help pages should show examples")
    }

    func testHelpExamplesRunAsWritten() throws {
        try CLI.requireImages()
        let pages = try Self.helpPages(columns: 80)
        let texts = [pages[""]!] + Self.subcommands.map { pages[$0]! }
        let examples = texts.flatMap { Self.commands(in: $0) }
        XCTAssertGreaterThanOrEqual(examples.count, 9, "the help should show examples: \(texts[0])")
        let dir = try CLI.freshFolder()
        try run(examples, in: dir)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("output/building-starry_night.png").path),
                      "the first example writes the default output: \(CLI.listing(dir))")
    }

    func testReadmeCommandsRunAsWritten() throws {
        try CLI.requireImages()
        let readme = try String(contentsOf: CLI.root.appendingPathComponent("README.md"), encoding: .utf8)
        // Only the shell blocks.
        var blocks = ""
        var inShell = false
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inShell = line == "```sh"; continue }
            if inShell { blocks += line + "\n" }
        }
        let lines = Self.commands(in: blocks)
        XCTAssertGreaterThanOrEqual(lines.count, 14, "README commands found: \(lines)")
        let dir = try CLI.freshFolder()
        try run(lines, in: dir)
        let files = CLI.listing(dir)
        for expected in ["output", "out.jpg", "run.html", "run.jsonl", "features.png", "features", "activations", "grams"] {
            XCTAssertTrue(files.contains(expected), "README commands should have made \(expected): \(files)")
        }
    }

    func testQuickRewriteKeepsTheCommand() {
        XCTAssertEqual(Self.quick("stylize --content a.jpg --style b.jpg"),
                       "stylize --content a.jpg --style b.jpg --size 32 --weights random:1 --iterations 2")
        XCTAssertEqual(Self.quick("stylize --content a.jpg --style b.jpg --scales 256,512 -o x.png"),
                       "stylize --content a.jpg --style b.jpg --scales 32,48 -o x.png --weights random:1 --iterations 2")
        XCTAssertEqual(Self.quick("stylize layers --model vgg19"), "stylize layers --model vgg19")
        XCTAssertEqual(Self.quick("stylize --content a.jpg --scale-iterations 75,40"),
                       "stylize --content a.jpg --scale-iterations 2,2 --scales 32,48 --weights random:1 --iterations 2")
        XCTAssertEqual(Self.commands(in: "x\n  stylize a \\\n     b  # c\nstylize d"), ["stylize a b", "stylize d"])
    }
}
