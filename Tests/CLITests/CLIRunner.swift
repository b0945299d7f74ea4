import Foundation
import XCTest

/// Runs the built `stylize` binary (next to the test bundle) in the repository root.
enum CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("stylize")
        }
        return Bundle.main.bundleURL.appendingPathComponent("stylize")
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `stylize args...` to the end.
    /// - Parameters:
    ///   - env: variables set for the run (an empty value removes the variable); the rest is inherited.
    ///   - executable: another binary than the built one (an installed copy).
    static func run(_ args: [String], cwd: URL = root, env: [String: String] = [:], executable: URL? = nil) throws -> Output {
        try launch(executable ?? binary, args, cwd: cwd, env: env)
    }

    /// Runs one shell command line (`sh -c`), with the built binary's folder first on PATH, so that `stylize`
    /// in it is the built one.
    /// The first `count` frames of vtest.avi at `width`x`height`, numbered (`000001.png`, ...), in `dir/in`
    /// (decoded by ffmpeg); skips the test when the clip or ffmpeg is missing.
    static func clipFrames(_ count: Int, width: Int, height: Int, in dir: URL) throws -> URL {
        let clip = root.appendingPathComponent("images/vtest.avi").path
        guard FileManager.default.fileExists(atPath: clip) else { throw XCTSkip("images/vtest.avi is missing: run scripts/setup") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg is missing: run scripts/setup") }
        let frames = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: true)
        let r = try shell("ffmpeg -v error -nostdin -i '\(clip)' -frames:v \(count) -vf scale=\(width):\(height) '\(frames.path)/%06d.png'", cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        return frames
    }

    static func shell(_ line: String, cwd: URL, env: [String: String] = [:]) throws -> Output {
        var env = env
        env["PATH"] = binary.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return try launch(URL(fileURLWithPath: "/bin/sh"), ["-c", line], cwd: cwd, env: env)
    }

    private static func launch(_ executable: URL, _ args: [String], cwd: URL, env: [String: String]) throws -> Output {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        p.currentDirectoryURL = cwd
        // The machine counts as quiet for time calibrations unless a test says otherwise, so that a calibration is
        // kept whatever else runs (scripts/test-under-load runs busy loops beside these tests).
        var environment = ProcessInfo.processInfo.environment
        if environment["STYLIZE_SIMULATE_LOAD"] == nil { environment["STYLIZE_SIMULATE_LOAD"] = "quiet" }
        for (k, v) in env { environment[k] = v.isEmpty ? nil : v }
        p.environment = environment
        // Standard error goes to a file, standard output through a pipe, so neither can fill up and block.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("stylize-cli-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = errHandle
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try errHandle.close()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        return Output(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary folder.
    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stylize-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A fresh folder that looks like a new user's: `images/` and `docs/` of the repository (linked), nothing else; HOME is
    /// set to it and STYLIZE_HOME removed by `freshEnv`, so only the binary's own locator finds presets and weights.
    static func freshFolder() throws -> URL {
        let dir = try tempDir()
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("images"),
                                                   withDestinationURL: root.appendingPathComponent("images"))
        // The README's region examples read the committed mask docs/region-mask.png.
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("docs"),
                                                   withDestinationURL: root.appendingPathComponent("docs"))
        return dir
    }

    /// The environment of `freshFolder`: HOME there (no user presets, no weight caches), no STYLIZE_HOME.
    static func freshEnv(_ dir: URL) -> [String: String] {
        ["HOME": dir.path, "STYLIZE_HOME": "", "XDG_CONFIG_HOME": "", "XDG_CACHE_HOME": "", "KERAS_HOME": "",
         "TORCH_HOME": "", "HF_HOME": "", "HF_HUB_CACHE": ""]
    }

    static func requireImages() throws {
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent("images/starry_night.jpg").path) else {
            throw XCTSkip("images/ is missing: run scripts/setup")
        }
    }

    static func listing(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }
}
