import Foundation
import XCTest

/// ARCHITECTURE.md's dependency block held to Package.swift: the same non-test targets, each with the same
/// dependencies (compared as sets; the order in either file does not matter). Both files are read as text from
/// the repository root, so a target added, removed or rewired in one file and not the other fails here.
final class ArchitectureTests: XCTestCase {
    /// The repository root, three levels above this file.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func testDependencyBlockMatchesPackageSwift() throws {
        let package = try Self.packageTargets(String(contentsOfFile: "\(Self.root)/Package.swift", encoding: .utf8))
        let documented = Self.documentedTargets(try String(contentsOfFile: "\(Self.root)/ARCHITECTURE.md", encoding: .utf8))
        XCTAssertFalse(package.isEmpty, "no targets read from Package.swift")
        for problem in Self.differences(package: package, documented: documented) { XCTFail(problem) }
    }

    /// The comparison itself reports each kind of disagreement (so that the test above can fail).
    func testDifferencesNameEachDisagreement() throws {
        let package = try Self.packageTargets("""
            .target(name: "A", dependencies: ["B", .product(name: "P", package: "p")], swiftSettings: [.define("X")]),
            .systemLibrary(name: "B", pkgConfig: "b"),
            .target(name: "C", cSettings: [.define("Y", to: String(1))]),
            .testTarget(name: "ATests", dependencies: ["A"]),
            """)
        XCTAssertEqual(package, ["A": ["B", "P"], "B": [], "C": []])
        let documented = Self.documentedTargets("text\n```dependencies\nA -> B\nB -> (none)\nD -> B\n```\n")
        XCTAssertEqual(Self.differences(package: package, documented: documented), [
            "A: ARCHITECTURE.md says A -> B, Package.swift says A -> B, P",
            "C: in Package.swift, not in ARCHITECTURE.md's dependency block",
            "D: in ARCHITECTURE.md's dependency block, not in Package.swift",
        ])
    }

    // ---- the two readers and the comparison ----------------------------------------------------------

    /// Each disagreement in one line, sorted by target name.
    static func differences(package: [String: Set<String>], documented: [String: Set<String>]) -> [String] {
        func line(_ name: String, _ deps: Set<String>) -> String {
            "\(name) -> " + (deps.isEmpty ? "(none)" : deps.sorted().joined(separator: ", "))
        }
        return Set(package.keys).union(documented.keys).sorted().compactMap { name in
            switch (package[name], documented[name]) {
            case (_?, nil): return "\(name): in Package.swift, not in ARCHITECTURE.md's dependency block"
            case (nil, _?): return "\(name): in ARCHITECTURE.md's dependency block, not in Package.swift"
            case (let p?, let d?) where p != d:
                return "\(name): ARCHITECTURE.md says \(line(name, d)), Package.swift says \(line(name, p))"
            default: return nil
            }
        }
    }

    /// The fenced ```` ```dependencies ```` block: lines `Module -> Dep1, Dep2`, or `Module -> (none)`.
    static func documentedTargets(_ text: String) -> [String: Set<String>] {
        guard let start = text.range(of: "```dependencies\n"),
              let end = text.range(of: "\n```", range: start.upperBound ..< text.endIndex) else {
            XCTFail("ARCHITECTURE.md has no ```dependencies block")
            return [:]
        }
        var result: [String: Set<String>] = [:]
        for line in text[start.upperBound ..< end.lowerBound].split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
            let parts = line.components(separatedBy: " -> ")
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            guard parts.count == 2, !name.isEmpty, result[name] == nil else {
                XCTFail("ARCHITECTURE.md: a dependency line is not `Module -> Dep1, Dep2` (or a module is listed twice): \(line)")
                continue
            }
            let right = parts[1].trimmingCharacters(in: .whitespaces)
            result[name] = right == "(none)" ? [] : Set(right.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        return result
    }

    /// Every `.target`, `.executableTarget` and `.systemLibrary` call in Package.swift (the conditional
    /// `stylize-fuzz` too), with the names in its `dependencies:` list; `.product(name: "P", ...)` counts as `P`.
    /// Test targets are left out. Comment lines are skipped.
    static func packageTargets(_ text: String) throws -> [String: Set<String>] {
        let code = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined(separator: "\n")
        let calls = try NSRegularExpression(pattern: #"\.(target|executableTarget|systemLibrary|testTarget)\("#)
        let quoted = try NSRegularExpression(pattern: #""([^"]*)""#)
        let product = try NSRegularExpression(pattern: #"\.(product|target|byName)\(\s*name:\s*("[^"]*")[^)]*\)"#)
        let chars = Array(code.utf16)
        var result: [String: Set<String>] = [:]
        var scannedTo = 0
        for match in calls.matches(in: code, range: NSRange(location: 0, length: chars.count)) {
            guard match.range.location >= scannedTo else { continue }   // a `.target(name:)` inside a dependency list
            let open = match.range.location + match.range.length - 1
            let close = Self.closing(chars, from: open, open: "(", close: ")")
            scannedTo = close
            let call = String(decoding: chars[(open + 1) ..< close], as: UTF16.self)
            let kind = (code as NSString).substring(with: match.range(at: 1))
            guard kind != "testTarget" else { continue }
            let callRange = NSRange(location: 0, length: call.utf16.count)
            guard let nameMatch = quoted.firstMatch(in: call, range: callRange) else { continue }
            let name = (call as NSString).substring(with: nameMatch.range(at: 1))
            var deps: Set<String> = []
            if let list = call.range(of: "dependencies: [") {
                let listChars = Array(call[list.upperBound...].utf16)
                let end = Self.closing(listChars, from: -1, open: "[", close: "]")
                let items = String(decoding: listChars[0 ..< end], as: UTF16.self)
                let plain = product.stringByReplacingMatches(in: items, range: NSRange(location: 0, length: items.utf16.count),
                                                             withTemplate: "$2")
                for m in quoted.matches(in: plain, range: NSRange(location: 0, length: plain.utf16.count)) {
                    deps.insert((plain as NSString).substring(with: m.range(at: 1)))
                }
            }
            XCTAssertNil(result[name], "Package.swift declares \(name) twice")
            result[name] = deps
        }
        return result
    }

    /// The index of the bracket that closes the one at `from` (or, with `from` -1, one already open before
    /// index 0), skipping string literals.
    static func closing(_ chars: [UInt16], from: Int, open: Character, close: Character) -> Int {
        let openCode = open.utf16.first!, closeCode = close.utf16.first!, quote = Character("\"").utf16.first!
        var depth = 1, inString = false, i = from + 1
        while i < chars.count {
            let c = chars[i]
            if c == quote { inString.toggle() } else if !inString {
                if c == openCode { depth += 1 } else if c == closeCode { depth -= 1; if depth == 0 { return i } }
            }
            i += 1
        }
        return chars.count
    }
}
