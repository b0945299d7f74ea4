import Foundation

/// The structure-aware input of the `manifest` and `calibration` targets: a valid file with one field replaced, so
/// that the fuzzer spends its time on the numbers a parser must range-check rather than on JSON syntax.
///
/// Layout of an input:
/// ```
/// byte 0    the field, an index into the target's field list (modulo its count)
/// byte 1    how the rest is written (modulo 3): 0 the JSON text itself (any bytes, as UTF-8),
///           1 a JSON integer from 8 bytes (Int64, little-endian), 2 a number from 8 bytes (Double bits,
///           little-endian), written as Swift prints it: `nan` and `inf` give the words a hand-edited file could hold
/// rest      the value
/// ```
/// An input of fewer than 2 bytes leaves the file valid.
struct MutatedField {
    /// The index of the field to replace, and its new JSON value text; nil: no field is replaced.
    let field: Int?
    let text: String

    init(_ bytes: [UInt8], fieldCount: Int) {
        guard bytes.count >= 2, fieldCount > 0 else { (field, text) = (nil, ""); return }
        field = Int(bytes[0]) % fieldCount
        let rest = Array(bytes.dropFirst(2))
        var word: UInt64 = 0
        for (i, b) in rest.prefix(8).enumerated() { word |= UInt64(b) << (8 * UInt64(i)) }
        switch bytes[1] % 3 {
        case 0: text = String(decoding: rest, as: UTF8.self)
        case 1: text = "\(Int64(bitPattern: word))"
        default: text = "\(Double(bitPattern: word))"
        }
    }

    /// The JSON text of an object of `pairs` (keys and JSON value texts), pair i being field `first + i`, with this
    /// field's value replaced.
    func object(_ pairs: [(key: String, value: String)], first: Int = 0) -> String {
        "{" + pairs.enumerated().map { i, pair in "\"\(pair.key)\": \(first + i == field ? text : pair.value)" }
            .joined(separator: ", ") + "}"
    }
}
