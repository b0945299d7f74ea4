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
        } else {
            out += " --size 32"
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

    func testHelpExamplesRunAsWritten() throws {
        try CLI.requireImages()
        var texts = [try CLI.run(["--help"]).stdout]
        for sub in ["transfer", "presets", "layers", "shapes", "features", "gram", "info", "batch"] {
            texts.append(try CLI.run([sub, "--help"]).stdout)
        }
        let examples = texts.flatMap { Self.commands(in: $0) }
        XCTAssertGreaterThanOrEqual(examples.count, 2, "the help should show examples: \(texts[0])")
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
        XCTAssertEqual(Self.commands(in: "x\n  stylize a \\\n     b  # c\nstylize d"), ["stylize a b", "stylize d"])
    }
}
