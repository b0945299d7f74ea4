/// A strict JSON syntax check (RFC 8259), run before `JSONSerialization`, which on Linux also accepts
/// trailing commas (`[1,]`, `{"a": 1,}`) and silently keeps the last of two equal keys.
enum JSONSyntax {
    /// The first syntax error: its byte offset, line and column (both from 1), and what is wrong.
    struct Problem: Equatable {
        let offset: Int
        let line: Int
        let column: Int
        let reason: String
    }

    /// Nesting deeper than this is refused rather than recursed into.
    static let maxDepth = 256

    /// Returns the first problem of `bytes` as one JSON text, or nil when it is valid JSON.
    static func check(_ bytes: [UInt8]) -> Problem? {
        var parser = Parser(bytes: bytes)
        do throws(Failure) {
            parser.skipSpace()
            try parser.value(depth: 0)
            parser.skipSpace()
            if parser.i < bytes.count { throw parser.fail("unexpected text after the JSON value") }
            return nil
        } catch {
            var line = 1, column = 1
            for b in bytes.prefix(error.offset) {
                if b == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
            }
            return Problem(offset: error.offset, line: line, column: column, reason: error.reason)
        }
    }

    private struct Failure: Error {
        let offset: Int
        let reason: String
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        func fail(_ reason: String) -> Failure { Failure(offset: i, reason: reason) }

        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func skipSpace() {
            while let b = peek, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { i += 1 }
        }

        mutating func expect(_ word: String) throws(Failure) {
            for b in word.utf8 {
                guard peek == b else { throw fail("expected \(word)") }
                i += 1
            }
        }

        mutating func value(depth: Int) throws(Failure) {
            guard depth < JSONSyntax.maxDepth else { throw fail("nested deeper than \(JSONSyntax.maxDepth) levels") }
            guard let b = peek else { throw fail("unexpected end of file, expected a value") }
            switch b {
            case UInt8(ascii: "{"): try object(depth: depth)
            case UInt8(ascii: "["): try array(depth: depth)
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "t"): try expect("true")
            case UInt8(ascii: "f"): try expect("false")
            case UInt8(ascii: "n"): try expect("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw fail("unexpected character '\(Character(Unicode.Scalar(b)))', expected a value")
            }
        }

        mutating func object(depth: Int) throws(Failure) {
            i += 1
            skipSpace()
            if peek == UInt8(ascii: "}") { i += 1; return }
            // Keys as Swift strings: equal when their decoded text is (a `\u` escape and the character it names,
            // or two canonically equivalent spellings), as they are in the dictionary JSONSerialization makes.
            var keys = Set<String>()
            while true {
                guard peek == UInt8(ascii: "\"") else {
                    throw fail(keys.isEmpty ? "expected a key in double quotes" : "trailing comma before '}' (or a key not in double quotes)")
                }
                let start = i
                let key = String(decoding: try string(), as: UTF16.self)
                guard keys.insert(key).inserted else {
                    i = start
                    throw fail("key \(key) appears twice")
                }
                skipSpace()
                guard peek == UInt8(ascii: ":") else { throw fail("expected ':' after the key") }
                i += 1
                skipSpace()
                try value(depth: depth + 1)
                skipSpace()
                if peek == UInt8(ascii: ",") { i += 1; skipSpace(); continue }
                if peek == UInt8(ascii: "}") { i += 1; return }
                throw fail("expected ',' or '}'")
            }
        }

        mutating func array(depth: Int) throws(Failure) {
            i += 1
            skipSpace()
            if peek == UInt8(ascii: "]") { i += 1; return }
            while true {
                if peek == UInt8(ascii: "]") { throw fail("trailing comma before ']'") }
                try value(depth: depth + 1)
                skipSpace()
                if peek == UInt8(ascii: ",") { i += 1; skipSpace(); continue }
                if peek == UInt8(ascii: "]") { i += 1; return }
                throw fail("expected ',' or ']'")
            }
        }

        /// A string with its quotes; returns its value with every escape decoded (`"style\u005fweight"` is
        /// `style_weight`), as UTF-16, so that keys are compared as `JSONSerialization` will read them.
        mutating func string() throws(Failure) -> [UInt16] {
            let start = i
            var value: [UInt16] = []
            var run = i + 1   // start of the bytes not yet decoded into `value`
            func flush(to end: Int) { value += String(decoding: bytes[run..<end], as: UTF8.self).utf16 }
            i += 1
            while let b = peek {
                switch b {
                case UInt8(ascii: "\""):
                    flush(to: i)
                    i += 1
                    return value
                case UInt8(ascii: "\\"):
                    flush(to: i)
                    i += 1
                    guard let e = peek else { break }
                    if e == UInt8(ascii: "u") {
                        i += 1
                        var unit: UInt16 = 0
                        for _ in 0..<4 {
                            guard let h = peek, let digit = Self.hexValue(h) else { throw fail("\\u needs four hexadecimal digits") }
                            unit = unit << 4 | UInt16(digit)
                            i += 1
                        }
                        value.append(unit)
                    } else {
                        guard let index = Array("\"\\/bfnrt".utf8).firstIndex(of: e) else { throw fail("invalid escape in a string") }
                        value.append(Array("\"\\/\u{8}\u{C}\n\r\t".utf16)[index])
                        i += 1
                    }
                    run = i
                case 0..<0x20:
                    throw fail("control character in a string (a line break needs \\n)")
                default:
                    i += 1
                }
            }
            i = start
            throw fail("string never closed")
        }

        /// The value of a hexadecimal digit, or nil.
        static func hexValue(_ h: UInt8) -> UInt8? {
            switch h {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): h - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): h - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): h - UInt8(ascii: "A") + 10
            default: nil
            }
        }

        mutating func number() throws(Failure) {
            let isDigit = { (b: UInt8?) in b.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
            if peek == UInt8(ascii: "-") { i += 1 }
            guard isDigit(peek) else { throw fail("expected a digit") }
            if peek == UInt8(ascii: "0") {
                i += 1
                if isDigit(peek) { throw fail("numbers do not start with 0") }
            } else {
                while isDigit(peek) { i += 1 }
            }
            if peek == UInt8(ascii: ".") {
                i += 1
                guard isDigit(peek) else { throw fail("expected a digit after '.'") }
                while isDigit(peek) { i += 1 }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                i += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
                guard isDigit(peek) else { throw fail("expected a digit in the exponent") }
                while isDigit(peek) { i += 1 }
            }
        }
    }
}
