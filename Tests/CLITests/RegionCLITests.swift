import Foundation
import XCTest

/// `--content-mask`, `--region`, `--style-mask` and `--color` through the real binary: a run with regions writes its
/// picture and resumes from its checkpoint; every bad mask or region gets one line naming the file or the option, a
/// non-zero exit and no output file.
final class RegionCLITests: XCTestCase {
    /// The committed two-region mask (`scripts/gallery-regions` draws it): left half red, right half blue.
    var mask: String { CLI.root.appendingPathComponent("docs/region-mask.png").path }

    func small(_ out: URL) -> [String] {
        ["--content", "images/building.jpg", "--size", "32", "--iterations", "3", "--weights", "random:1:vgg19", "-o", out.path]
    }

    func testRegionsRunAndResume() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("r.png"), ckpt = dir.appendingPathComponent("r.ckpt")
        let r = try CLI.run(small(out) + ["--content-mask", mask, "--region", "red=images/starry_night.jpg",
                                          "--region", "#00f=none:2", "--mask-feather", "2", "--checkpoint", ckpt.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.path))
        let resumed = try CLI.run(["resume", ckpt.path, "-o", dir.appendingPathComponent("again.png").path])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let match = try CLI.run(small(dir.appendingPathComponent("m.png")) + ["--style", "images/starry_night.jpg", "--color", "match"])
        XCTAssertEqual(match.status, 0, match.stderr)
    }

    /// The dry run names the regions and counts their masks and targets in the memory; the report shows the mask
    /// over the result.
    func testDryRunAndReportShowTheRegions() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let regions = ["--content-mask", mask, "--region", "red=images/starry_night.jpg", "--region", "blue=none"]
        func memory(_ text: String) -> Double? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("memory: about ") }) else { return nil }
            return Double(line.dropFirst("memory: about ".count).split(separator: " ")[0])
        }
        let plain = try CLI.run(small(dir.appendingPathComponent("p.png")) + ["--style", "images/starry_night.jpg", "--size", "256", "--dry-run"])
        let masked = try CLI.run(small(dir.appendingPathComponent("m.png")) + regions + ["--size", "256", "--dry-run"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(masked.status, 0, masked.stderr)
        XCTAssertTrue(masked.stdout.contains("regions          \(mask): #ff0000 starry_night.jpg, #0000ff none (held to the photo)"), masked.stdout)
        XCTAssertFalse(plain.stdout.contains("regions "), plain.stdout)
        // Two regions' masks, Gram targets and the hold's photo: a few MiB at 256 px, never less than without.
        let (p, m) = (try XCTUnwrap(memory(plain.stdout)), try XCTUnwrap(memory(masked.stdout)))
        XCTAssertGreaterThan(m, p, "\(masked.stdout)\n\(plain.stdout)")
        XCTAssertEqual(CLI.listing(dir), [], "a dry run writes nothing")

        let report = dir.appendingPathComponent("r.html")
        let r = try CLI.run(small(dir.appendingPathComponent("r.png")) + regions + ["--report", report.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let html = try String(contentsOf: report, encoding: .utf8)
        XCTAssertTrue(html.contains("<figcaption>regions: \(mask): #ff0000 starry_night.jpg, #0000ff none (held to the photo)</figcaption>"),
                      "the report's region overlay")
    }

    func testBadRegionsGetOneLine() throws {
        try CLI.requireImages()
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("bad.png")
        let notImage = dir.appendingPathComponent("mask.png")
        try Data("not a png".utf8).write(to: notImage)
        let cases: [([String], String)] = [
            (["--content-mask", notImage.path, "--region", "red=images/starry_night.jpg"], "\(notImage.path): "),
            (["--content-mask", mask, "--region", "red=images/starry_night.jpg"], "colour #0000ff covers 50% of the mask and no --region names it"),
            (["--content-mask", mask, "--region", "red=none", "--region", "blue=none", "--region", "white=images/baboon.jpg"],
             "no pixel has the colour #ffffff"),
            (["--content-mask", mask, "--style", "images/baboon.jpg", "--region", "red=none", "--region", "blue=none"],
             "--style images/baboon.jpg: with --content-mask each style belongs to a region"),
            (["--region", "red=none"], "--region, --style-mask and --mask-feather need --content-mask FILE"),
            (["--content-mask", mask, "--region", "red=none", "--region", "blue=none", "--style-mask", "images/baboon.jpg=\(mask)"],
             "no --region uses the style images/baboon.jpg"),
            (["--content-mask", mask, "--region", "red=images/baboon.jpg:0", "--region", "blue=none"], "the weight must be > 0"),
            (["--content-mask", mask], "--content-mask needs a --region COLOR=STYLE (or COLOR=none) for each colour of the mask"),
        ]
        for (args, expected) in cases {
            let r = try CLI.run(small(out) + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error") }.count, 1, "\(args): one line: \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(args): no output")
        }
    }
}
