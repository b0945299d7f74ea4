import Foundation
import NeuralCore
import StyleTransfer
import XCTest

/// Numbers from the environment and from files, at the edges of their types: scheduler variables, manifest
/// records, the calibration cache, presets, checkpoints, weights and the loss. Each gets one line naming the
/// variable or the file and the field, a non-zero exit and nothing written; none traps or allocates without bound.
final class HostileNumbersTests: XCTestCase {
    let quick = ["--weights", "random:5", "--size", "32", "--iterations", "3"]
    let images = ["--content", "images/building.jpg", "--style", "images/starry_night.jpg"]

    /// Asserts a refusal: exit status not 0 (and not a signal's), one line on standard error holding every mention.
    func assertRefused(_ r: CLI.Output, _ mentions: [String], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(r.status != 0 && r.status < 128, "\(label): status \(r.status), \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(label): one line: \(r.stderr)", file: file, line: line)
        for m in mentions { XCTAssertTrue(r.stderr.contains(m), "\(label): \(m) in \(r.stderr)", file: file, line: line) }
    }

    // MARK: - Scheduler variables

    func testSchedulerVariablesAtTheEdgeOfInt64GetOneLine() throws {
        try CLI.requireImages()
        let cases: [([String: String], [String], String)] = [
            (["SLURM_ARRAY_TASK_ID": "9223372036854775807", "SLURM_ARRAY_TASK_MIN": "-1", "SLURM_ARRAY_TASK_COUNT": "4"], [],
             "SLURM_ARRAY_TASK_ID=9223372036854775807 is not a whole number in 0...2147483647"),
            (["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "-9223372036854775808", "SLURM_ARRAY_TASK_COUNT": "4"], [],
             "SLURM_ARRAY_TASK_MIN=-9223372036854775808"),
            (["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "-9223372036854775808"], [],
             "SLURM_ARRAY_TASK_COUNT=-9223372036854775808 is not a whole number in 1...1000000"),
            (["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "9223372036854775808"], [], "SLURM_ARRAY_TASK_COUNT=9223372036854775808"),
            (["JOB_COMPLETION_INDEX": "-1"], ["--shard-count", "4"], "JOB_COMPLETION_INDEX=-1"),
            (["JOB_COMPLETION_INDEX": "2"], ["--shard-count", "9223372036854775807"],
             "the task count must be in 1...1000000, not 9223372036854775807"),
        ]
        for (env, extra, mention) in cases {
            let out = try CLI.tempDir().appendingPathComponent("out")
            var environment = env
            for key in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"]
            where environment[key] == nil { environment[key] = "" }
            let r = try CLI.run(["batch"] + images + ["-o", out.path] + extra + quick, env: environment)
            assertRefused(r, [mention], "\(env)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(env): nothing written")
        }
    }

    // MARK: - Manifest records

    /// A record whose numbers are out of range is refused by `batch --merge` with the file and line (a negative `of`
    /// trapped, a huge one allocated the list of missing items); manifest.jsonl is not written.
    func testManifestRecordsOutOfRangeAreRefusedByMerge() throws {
        func record(_ edit: (inout [String: Any]) -> Void) throws -> String {
            var r: [String: Any] = ["index": 0, "of": 2, "name": "a-s", "output": "a-s.png", "content": "a.jpg", "style": "s.jpg",
                                    "plan": "0123456789abcdef", "status": "done", "shard": "0/2", "time": 1.7e9, "loss": 3.5]
            edit(&r)
            return String(decoding: try JSONSerialization.data(withJSONObject: r, options: [.sortedKeys]), as: UTF8.self)
        }
        let good = try record { _ in }
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("of -1", { $0["of"] = -1 }, "\"of\": -1 is not in 1...1000000"),
            ("of Int.max", { $0["of"] = Int.max }, "\"of\": 9223372036854775807 is not in 1...1000000"),
            ("index beyond of", { $0["index"] = 5 }, "\"index\": 5 is not in 0...1"),
            ("index Int.min", { $0["index"] = Int.min }, "\"index\": -9223372036854775808"),
            ("negative loss", { $0["loss"] = -1.0 }, "\"loss\": -1.0 is not a finite number ≥ 0"),
            ("frame beyond of", { $0["frame"] = 2 }, "\"frame\": 2 is not in 0...1"),
            ("flicker 1e300", { $0["flicker"] = 1e300 }, "\"flicker\""),
        ]
        for (label, edit, mention) in cases {
            let dir = try CLI.tempDir()
            let part = dir.appendingPathComponent("manifest-part-1-of-2.jsonl")
            try (good + "\n" + (try record(edit)) + "\n").write(to: part, atomically: true, encoding: .utf8)
            let r = try CLI.run(["batch", "--merge", dir.path])
            assertRefused(r, [part.path + ":2: " + mention, "merge again"], label)
            XCTAssertEqual(CLI.listing(dir), ["manifest-part-1-of-2.jsonl"], "\(label): nothing written")
        }
    }

    // MARK: - Calibration cache

    /// A cache entry with a huge or negative number is ignored with one warning naming the file (a transfer
    /// crashed on it, a dry run printed a negative time), and the next dry run calibrates again and replaces it.
    func testDamagedCalibrationIsIgnoredWithAWarningAndMadeAgain() throws {
        try CLI.requireImages()
        let cache = try CLI.tempDir()
        let file = cache.appendingPathComponent("stylize/calibration.json")
        let env = ["XDG_CACHE_HOME": cache.path]
        let dry = images + ["--weights", "random:5:vgg16", "--size", "64", "--dry-run"]
        XCTAssertEqual(try CLI.run(dry, env: env).status, 0)
        func entries() throws -> [String: [String: Double]] {
            try JSONSerialization.jsonObject(with: try Data(contentsOf: file)) as! [String: [String: Double]]
        }
        let valid = try entries()
        XCTAssertEqual(valid.count, 1)
        func runWarns(_ mention: String, _ label: String) throws {
            let out = try CLI.tempDir().appendingPathComponent("out.png")
            let run = try CLI.run(images + ["--weights", "random:5:vgg16", "--size", "32", "--iterations", "2", "-o", out.path], env: env)
            XCTAssertEqual(run.status, 0, "\(label): \(run.stderr)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.path), "\(label): the run's image")
            let warnings = run.stderr.split(separator: "\n").filter { $0.contains("warning") }
            XCTAssertEqual(warnings.count, 1, "\(label): \(run.stderr)")
            XCTAssertTrue(warnings.first?.contains(mention) ?? false, "\(label): \(warnings)")
        }
        for (field, value) in [("perMultiply", 1e300), ("fixed", -3800.0), ("perVectorValue", 0.0)] {
            var damaged = valid
            for key in damaged.keys { damaged[key]![field] = value }
            try JSONSerialization.data(withJSONObject: damaged).write(to: file)
            try runWarns("\(file.path): the calibration of this machine is damaged (\(field) = ", "\(field) = \(value)")
        }
        let again = try CLI.run(dry, env: env)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("calibrating this machine"), again.stderr)
        XCTAssertTrue(again.stdout.contains("time: about ") && !again.stdout.contains("time: about -"), again.stdout)
        XCTAssertTrue(try entries().values.allSatisfy { ($0["perVectorValue"] ?? 0) > 0 }, "the damaged entry is replaced")
        // Not a calibration cache at all (a number beyond a Double): one warning, the run goes on.
        try Data("{\"x\": 1e999}".utf8).write(to: file)
        try runWarns("\(file.path): not a calibration cache", "1e999")
    }

    /// With HOME empty or unset and no XDG_CACHE_HOME, no cache: nothing is written in the current folder.
    func testNoCacheWithoutAnAbsoluteHome() throws {
        try CLI.requireImages()
        let dir = try CLI.freshFolder()
        for home in ["HOME= ", "unset HOME;"] {
            let r = try CLI.shell("\(home) XDG_CACHE_HOME= stylize --content images/building.jpg --style images/starry_night.jpg"
                                  + " --weights random:5:vgg16 --size 64 --dry-run", cwd: dir)
            XCTAssertEqual(r.status, 0, "\(home): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("not kept: neither HOME nor XDG_CACHE_HOME names an absolute folder"), "\(home): \(r.stderr)")
            XCTAssertEqual(CLI.listing(dir), ["docs", "images"], "\(home): nothing written in the current folder")
        }
    }

    // MARK: - Presets

    /// One layer under two spellings, or one key spelled with a `\u` escape: refused at load, naming the file.
    func testPresetNamingOneLayerTwiceOrOneKeyTwiceIsRefused() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        for (name, text, mentions) in [
            ("twice.json", #"{"style_layers": {"conv1_1": 1, "block1_conv1": 1, "block3_conv1": 1}}"#,
             ["\"block1_conv1\" and \"conv1_1\" are the same layer, block1_conv1"]),
            ("escaped.json", #"{"style_weight": 1, "style\u005fweight": 1000}"#, ["key style_weight appears twice"]),
        ] {
            let preset = dir.appendingPathComponent(name)
            try text.write(to: preset, atomically: true, encoding: .utf8)
            let out = dir.appendingPathComponent("out.png")
            let transfer = try CLI.run(images + quick + ["--preset", preset.path, "-o", out.path])
            assertRefused(transfer, [preset.path + ": "] + mentions, "transfer \(name)")
            // The sweep's --save-preset wrote the layer twice (and trapped); now the sweep stops at the preset.
            let sweep = try CLI.run(["sweep"] + images + quick + ["--preset", preset.path, "--vary", "style_weight=1,10",
                                                                   "-o", dir.appendingPathComponent("sweep").path,
                                                                   "--save-preset", dir.appendingPathComponent("saved.json").path])
            XCTAssertTrue(sweep.status != 0 && sweep.status < 128, "sweep \(name): \(sweep.stderr)")
            XCTAssertTrue(sweep.stderr.contains(preset.path), "sweep \(name): \(sweep.stderr)")
            XCTAssertEqual(CLI.listing(dir).filter { !$0.hasSuffix(".json") || $0 == "saved.json" }, [], "\(name): nothing written")
        }
    }

    // MARK: - Weights and the loss

    /// A weight file with one NaN bias is refused at load, naming the file and the layer (it ran, said "loss nan"
    /// and wrote the photo back).
    func testWeightsWithANaNAreRefusedAtLoad() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let weights = dir.appendingPathComponent("vgg16-nan.safetensors")
        try Self.writeVGG16Safetensors(to: weights) { name, values in if name == "features.10.bias" { values[7] = .nan } }
        let out = dir.appendingPathComponent("out.png")
        let r = try CLI.run(images + ["--weights", weights.path, "--size", "32", "--iterations", "3", "-o", out.path])
        assertRefused(r, [weights.path + ": block3_conv1 bias holds nan at index 7"], "NaN bias")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    /// A loss that overflows (a style weight of 1e300) stops the run at its first evaluation with a non-zero exit
    /// and one line saying what to check (it ended with "line search failed" and exit 0); nothing is written,
    /// since no step was made.
    func testNonFiniteLossStopsTheRunWithAReason() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("out.png")
        let r = try CLI.run(images + quick + ["--style-weight", "1e300", "-o", out.path, "--log", dir.appendingPathComponent("l.jsonl").path])
        XCTAssertTrue(r.status != 0 && r.status < 128, r.stderr)
        let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
        for m in ["\(out.path): the loss or its gradient is not finite at evaluation 1", "nothing written", "--style-weight"] {
            XCTAssertTrue(last.contains(m), "\(m) in \(last)")
        }
        XCTAssertEqual(CLI.listing(dir), [], "nothing written")
    }

    // MARK: - --tile off --fit

    /// `--fit` keeps an explicit `--tile off`: the lowered plan is in whole images.
    func testFitRespectsTileOff() throws {
        try CLI.requireImages()
        let cache = try CLI.tempDir()
        let args = images + ["--weights", "random:5", "--size", "4096", "--style-scale", "4", "--iterations", "2", "--fit", "--dry-run"]
        let whole = try CLI.run(args + ["--tile", "off"], env: ["XDG_CACHE_HOME": cache.path])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertTrue(whole.stderr.contains("lowered to"), whole.stderr)
        XCTAssertTrue(whole.stdout.contains("tiles") && whole.stdout.contains("none (whole images)"), whole.stdout)
        let tiled = try CLI.run(args, env: ["XDG_CACHE_HOME": cache.path])
        XCTAssertEqual(tiled.status, 0, tiled.stderr)
        XCTAssertTrue(tiled.stdout.contains(" tiles of "), "auto tiling may tile the large style: \(tiled.stdout)")
    }

    // MARK: - Checkpoints

    /// A checkpoint file taken apart: its JSON header (as a dictionary) and its vectors; `write` puts it together
    /// with a matching fingerprint, as a file edited on purpose would be.
    struct Forged {
        var header: [String: Any]
        var vectors: [Data]

        init(_ data: Data) throws {
            let length = Int(data[12]) | Int(data[13]) << 8 | Int(data[14]) << 16 | Int(data[15]) << 24
            header = try JSONSerialization.jsonObject(with: data.subdata(in: 16 ..< 16 + length)) as! [String: Any]
            let n = header["values"] as! Int, count = 4 + 2 * (header["rho"] as! [Any]).count
            vectors = (0 ..< count).map { data.subdata(in: 16 + length + 4 * n * $0 ..< 16 + length + 4 * n * ($0 + 1)) }
        }

        var plan: [String: Any] {
            get { header["plan"] as! [String: Any] }
            set { header["plan"] = newValue }
        }

        func write(to url: URL, length: Int? = nil) throws {
            let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
            var check = Fingerprint()
            check.add(Array(json))
            var file = Data("STYLCKPT".utf8) + Data([1, 0, 0, 0])
            file += withUnsafeBytes(of: UInt32(json.count).littleEndian) { Data($0) }
            file += json
            for v in vectors {
                file += v
                check.add(Array(v))
            }
            file += withUnsafeBytes(of: check.digest.littleEndian) { Data($0) }
            try file.write(to: url)
            if let length { try FileHandle(forWritingTo: url).truncate(atOffset: UInt64(length)) }
        }
    }

    /// Fields out of range, vectors that are not finite, a plan for other weights or other images, a sparse file
    /// announcing a plan far beyond memory: each refused with one line naming the checkpoint and the field, before
    /// any work (they trapped in `resume`, or ran and wrote a black or transposed image).
    func testForgedCheckpointsAreRefusedBeforeAnyWork() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        func path(_ name: String) -> URL { dir.appendingPathComponent(name) }
        let made = try CLI.run(images + ["--weights", "random:5", "--scales", "32,48", "--iterations", "4", "-o", path("out.png").path,
                                         "--checkpoint", path("run.ckpt").path])
        XCTAssertEqual(made.status, 0, made.stderr)
        let good = try Forged(try Data(contentsOf: path("run.ckpt")))
        // The unchanged file, put together again, resumes: the forging itself is faithful.
        try good.write(to: path("same.ckpt"))
        XCTAssertEqual(try CLI.run(["resume", path("same.ckpt").path, "-o", path("same.png").path]).status, 0)

        func scales(_ f: inout Forged, _ edit: (inout [[String: Any]]) -> Void) {
            var list = f.plan["scales"] as! [[String: Any]]
            edit(&list)
            f.plan["scales"] = list
        }
        let vgg16Weights = Fingerprint.of(VGGWeights.random(architecture: .vgg16, seed: 5))
        let cases: [(String, (inout Forged) -> Void, [String], [String])] = [
            ("tile 0", { f in scales(&f) { $0[1]["tile"] = 0 } }, [], ["damaged plan", "tiles of 0 px"]),
            ("tile Int.max", { f in scales(&f) { $0[1]["tile"] = Int.max } }, [], ["tiles of 9223372036854775807 px"]),
            ("elapsed 1e300", { $0.header["elapsed"] = 1e300 }, [], ["field \"elapsed\" is 1e+300"]),
            ("elapsed nan", { $0.header["elapsed"] = "nan" }, [], ["field \"elapsed\" is nan"]),
            ("checkpoint every 0", { f in
                var outputs = f.plan["outputs"] as! [String: Any]
                outputs["checkpointEvery"] = 0
                f.plan["outputs"] = outputs
            }, [], ["checkpointEvery must be at least 1"]),
            ("huge loss in the history", { f in
                var history = f.header["history"] as! [[String: Any]]
                var terms = history[0]["terms"] as! [String: Any]
                terms["style"] = "inf"
                history[0]["terms"] = terms
                f.header["history"] = history
            }, [], ["field \"history[0].terms.style\" is inf"]),
            ("NaN image", { f in f.vectors[0].replaceSubrange(0 ..< 4, with: [0, 0, 0xC0, 0x7F]) }, [], ["vector x holds nan at index 0"]),
            ("NaN history pair", { f in
                if f.vectors.count > 4 { f.vectors[4].replaceSubrange(8 ..< 12, with: [0, 0, 0x80, 0x7F]) } else { f.header["rho"] = ["x"] }
            }, [], ["damaged"]),
            ("transposed output", { f in
                scales(&f) { list in
                    let size = list[1]["output"] as! [String: Any]
                    list[1]["output"] = ["width": size["height"]!, "height": size["width"]!]
                }
                f.header["history"] = (f.header["history"] as! [[String: Any]]).map { p in
                    var p = p
                    if p["scaleIndex"] as? Int == 1 {
                        let (width, height) = (p["width"]!, p["height"]!)
                        p["width"] = height
                        p["height"] = width
                    }
                    return p
                }
            }, [], ["the plan does not match its images", "scale 2 is 33x48", "these images give 48x33"]),
            ("a scale added", { f in
                scales(&f) { list in
                    var extra = list[1]
                    extra["longestEdge"] = 64
                    extra["output"] = ["width": 64, "height": 64]
                    list.append(extra)
                }
                f.header["history"] = (f.header["history"] as! [[String: Any]]).map { p in
                    var p = p
                    p["scaleCount"] = 3
                    return p
                }
            }, [], ["scale 3 is 64x64"]),
            ("plan for other weights", { f in
                f.header["weights"] = String(vgg16Weights, radix: 16).leftPadded(16)
            }, ["--weights", "random:5:vgg16"], ["damaged plan", "planned for vgg19, not vgg16"]),
        ]
        for (label, edit, extra, mentions) in cases {
            var forged = good
            edit(&forged)
            let file = path("forged.ckpt")
            try forged.write(to: file)
            let out = path("resumed.png")
            let r = try CLI.run(["resume", file.path, "-o", out.path] + extra)
            assertRefused(r, [file.path + ": "] + mentions, label)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(label): nothing written")
        }

        // A sparse file of 240 GB on a 4 KB header: a 4096 px plan with 800 pairs, far beyond memory. It is refused
        // by the memory check at once, before a vector is read.
        var sparse = good
        let edge = 4096, height = 2816, pairs = 800
        sparse.plan["scales"] = [["longestEdge": edge, "output": ["width": edge, "height": height],
                                  "styles": [["width": edge, "height": 3226]], "evaluations": 1000]]
        var preset = sparse.plan["preset"] as! [String: Any]
        for (key, value) in [("size", edge as Any), ("scales", [Int]()), ("history", 1000), ("iterations", 1000), ("scaleIterations", [Int]())] {
            preset[key] = value
        }
        sparse.plan["preset"] = preset
        for key in ["rho", "yy", "sNorm", "yNorm"] { sparse.header[key] = [Double](repeating: 1, count: pairs) }
        for (key, value) in [("scaleIndex", 0 as Any), ("values", edge * height * 3), ("evaluations", 900), ("iterations", 850),
                             ("history", [Any]()), ("evaluationsBefore", 0), ("iterationsBefore", 0)] {
            sparse.header[key] = value
        }
        sparse.vectors = []
        let json = try JSONSerialization.data(withJSONObject: sparse.header, options: [.sortedKeys])
        let length = 16 + json.count + 4 * edge * height * 3 * (4 + 2 * pairs) + 8
        let file = path("sparse.ckpt")
        try sparse.write(to: file, length: length)
        let started = Date()
        let r = try CLI.run(["resume", file.path, "-o", path("resumed.png").path])
        assertRefused(r, [file.path + ": its plan (4096x2816) needs about", "of memory, more than the"], "sparse")
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "refused before reading the vectors")
        try FileManager.default.removeItem(at: file)
    }

    // MARK: - Helpers

    /// Writes a torchvision VGG16 safetensors file (zeros), letting `edit` change any tensor.
    static func writeVGG16Safetensors(to url: URL, edit: (String, inout [Float]) -> Void) throws {
        let channels = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
                        (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
        let indices = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
        var tensors: [(String, [Int], [Float])] = []
        for ((cin, cout), index) in zip(channels, indices) {
            tensors.append(("features.\(index).weight", [cout, cin, 3, 3], [Float](repeating: 0, count: cout * cin * 9)))
            tensors.append(("features.\(index).bias", [cout], [Float](repeating: 0, count: cout)))
        }
        var header: [String: Any] = [:]
        var offset = 0
        for i in tensors.indices {
            edit(tensors[i].0, &tensors[i].2)
            let bytes = tensors[i].2.count * 4
            header[tensors[i].0] = ["dtype": "F32", "shape": tensors[i].1, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var file = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) } + json
        for t in tensors { file += t.2.withUnsafeBufferPointer { Data(buffer: $0) } }
        try file.write(to: url)
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
