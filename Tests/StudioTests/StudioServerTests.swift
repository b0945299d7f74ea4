import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Imaging
import NeuralCore
@testable import Studio
@testable import StyleTransfer
import XCTest

/// The studio's endpoints over loopback, on a real server bound to a free port: what a page (or anything else that
/// reaches the port) may ask, and the clear HTTP errors for everything else.
final class StudioServerTests: XCTestCase {
    /// An engine that runs nothing and records the presets it is asked to save.
    final class FakeEngine: StudioEngine, @unchecked Sendable {
        var saved: [String] = []
        func run(_ job: StudioJob, hub: StudioHub) throws {}
        func savePreset(name: String, weights: StudioWeights, hub: StudioHub) throws -> String {
            saved.append(name)
            return "/nowhere/\(name).json"
        }
        func presetNames() -> [String] { ["default", "strong-style"] }
    }

    var root: URL!
    var folder: URL!
    var hub: StudioHub!
    var base: String!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("studio-tests-\(UUID().uuidString)")
        folder = root.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(RGBImage(width: 8, height: 6, pixels: [UInt8](repeating: 120, count: 8 * 6 * 3)).encodePNG())
            .write(to: folder.appendingPathComponent("photo.png"))
        try Data(RGBImage(width: 8, height: 6, pixels: [UInt8](repeating: 30, count: 8 * 6 * 3)).encodePNG())
            .write(to: folder.appendingPathComponent("style.png"))
        hub = StudioHub()
        base = try StudioServer(hub: hub, engine: FakeEngine(), folder: StudioFolder(path: folder.path), port: 0).start()
    }

    override func tearDownWithError() throws {
        hub.close()
        try? FileManager.default.removeItem(at: root)
    }

    // MARK: - A small client

    struct Answer {
        var status: Int
        var body: Data
        var contentType: String
        /// The Gram sheet's key (`X-Sheet`), or "".
        var sheet: String = ""
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func request(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws -> Answer {
        try Self.send(base: base, method, path, body: body, headers: headers)
    }

    static func send(base: String, _ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws -> Answer {
        var r = URLRequest(url: URL(string: base + path.dropFirst())!)
        r.httpMethod = method
        r.httpBody = body
        r.timeoutInterval = 30
        for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var answer: Answer?
        nonisolated(unsafe) var failure: Error?
        URLSession.shared.dataTask(with: r) { data, response, error in
            if let http = response as? HTTPURLResponse {
                answer = Answer(status: http.statusCode, body: data ?? Data(),
                                contentType: http.value(forHTTPHeaderField: "Content-Type") ?? "",
                                sheet: http.value(forHTTPHeaderField: "X-Sheet") ?? "")
            } else { failure = error }
            done.signal()
        }.resume()
        done.wait()
        if let failure { throw failure }
        return answer!
    }

    func json(_ object: Any) -> Data { try! JSONSerialization.data(withJSONObject: object) }

    /// The folder's and its parent's files (names, recursively), to show that nothing was written where it should not be.
    func files() -> [String] {
        (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).sorted()
    }

    static func progress(iteration: Int, style: Double) -> StylizeProgress {
        var terms = LossTerms()
        terms.content = 1.5
        terms.style = style
        terms.tv = 0.01
        terms.styleByLayer = ["block1_conv1": style / 0.1]
        return StylizeProgress(scaleIndex: 0, scaleCount: 1, width: 8, height: 6, iteration: iteration, evaluations: iteration + 1,
                               evaluationBudget: 10, terms: terms, step: 1, seconds: Double(iteration), elapsed: Double(iteration),
                               objectiveSeconds: 0.1, optimizerSeconds: 0.01, gradientNorm: 2)
    }

    func startRun(layers: [String] = ["block1_conv1"], inspector: StudioInspector? = nil) {
        hub.runStarted(StudioRunInfo(id: 1, segment: 0, content: "photo.png", style: "style.png", preset: "default",
                                     weights: StudioWeights(content: 1, style: 0.1, tv: 1, layers: ["block1_conv1": 1]),
                                     layers: layers, scales: [.init(width: 8, height: 6, evaluations: 10, tile: nil)],
                                     output: "out.png", checkpoint: "out.ckpt", memoryBytes: 1, estimatedSeconds: nil),
                       inspector: inspector)
    }

    // MARK: - Tests

    func testThePageIsServedWholeAndUnknownPathsAre404() throws {
        let page = try request("GET", "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.contentType.hasPrefix("text/html"), page.contentType)
        // Self-contained: no script, style sheet or font from elsewhere.
        XCTAssertFalse(page.text.contains("src=\"http"), "the page loads something from another site")
        XCTAssertFalse(page.text.contains("href=\"http"), "the page links a resource from another site")
        XCTAssertFalse(page.text.contains("@import"), "the page imports a style sheet")
        XCTAssertTrue(page.text.contains("new EventSource(\"/api/events\")"))
        for path in ["/nothing", "/api/nothing", "/api", "/../etc/passwd", "/images/photo.png"] {
            XCTAssertEqual(try request("GET", path).status, 404, path)
        }
    }

    func testListensOnLoopbackOnlyByDefault() throws {
        XCTAssertTrue(base.hasPrefix("http://127.0.0.1:"), base)
        let port = Int(base.split(separator: ":").last!.dropLast())!
        // The kernel's table of listening TCP sockets: this port is bound to 127.0.0.1 (0100007F), to nothing wider.
        let table = try String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) + ((try? String(contentsOfFile: "/proc/net/tcp6", encoding: .utf8)) ?? "")
        let hex = String(format: "%04X", port)
        let rows: [[Substring]] = table.split(separator: "\n").map { $0.split(separator: " ") }
        let listening: [String] = rows.filter { row in row.count > 3 && row[1].hasSuffix(":" + hex) && row[3] == "0A" }
            .map { row in String(row[1]) }
        XCTAssertEqual(listening, ["0100007F:" + hex], "listening sockets on port \(port): \(listening)")
        // A request naming another host (a DNS name pointed at 127.0.0.1 by another site) is refused.
        XCTAssertEqual(try request("GET", "/api/state", headers: ["Host": "attacker.example:\(port)"]).status, 403)
        // So is a change sent by another site's page.
        let stop = try request("POST", "/api/stop", headers: ["Origin": "http://attacker.example"])
        XCTAssertEqual(stop.status, 403, stop.text)
    }

    func testUploadsAreCheckedAndWrittenOnlyIntoTheFolder() throws {
        let before = files()
        let png = RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 200, count: 48)).encodePNG()
        // Names that would leave the folder, hidden names, and no name at all.
        for name in ["../escape.png", "..%2Fescape.png", "sub/x.png", "%2Ftmp%2Fx.png", ".hidden.png", "..", ""] {
            let r = try request("PUT", "/api/upload?name=\(name)", body: Data(png))
            XCTAssertEqual(r.status, 400, "\(name): \(r.text)")
            XCTAssertTrue(r.text.contains("error"), r.text)
        }
        XCTAssertEqual(try request("PUT", "/api/upload", body: Data(png)).status, 400)
        XCTAssertEqual(try request("PUT", "/api/upload?name=notes.txt", body: Data("hello".utf8)).status, 400)
        // Bytes that are no image, under an image's name.
        let fake = try request("PUT", "/api/upload?name=fake.png", body: Data("GIF89a not a png".utf8))
        XCTAssertEqual(fake.status, 415, fake.text)
        // Too large: refused before it is read whole.
        let big = try request("PUT", "/api/upload?name=big.png", body: Data(count: StudioFolder.uploadLimit + 1))
        XCTAssertEqual(big.status, 413, big.text)
        XCTAssertEqual(files(), before, "a refused upload wrote a file")
        // A good one lands in the folder, once.
        XCTAssertEqual(try request("PUT", "/api/upload?name=new%20one.png", body: Data(png)).status, 201)
        XCTAssertEqual(try request("PUT", "/api/upload?name=new%20one.png", body: Data(png)).status, 409)
        XCTAssertEqual(files(), (before + ["images/new one.png"]).sorted())
        XCTAssertEqual(try RGBImage(contentsOf: folder.appendingPathComponent("new one.png").path).width, 4)
    }

    func testRunsNameImagesOfTheFolderOnly() throws {
        let before = files()
        for (content, status) in [("../images/photo.png", 400), ("/etc/passwd", 400), ("..", 400), ("missing.png", 404), ("photo.png", 202)] {
            let r = try request("POST", "/api/runs", body: json(["content": content, "style": "style.png", "size": 64, "iterations": 5]))
            XCTAssertEqual(r.status, status, "\(content): \(r.text)")
        }
        XCTAssertEqual(hub.queued.map(\.content), ["photo.png"])
        XCTAssertEqual(try request("POST", "/api/runs", body: json(["content": "photo.png", "style": "style.png", "size": 5000])).status, 400)
        XCTAssertEqual(try request("POST", "/api/runs", body: json(["content": "photo.png", "style": "style.png", "preset": "../x"])).status, 400)
        XCTAssertEqual(try request("POST", "/api/runs", body: Data("{not json".utf8)).status, 400)
        XCTAssertEqual(try request("POST", "/api/runs", body: json(["content": "photo.png"])).status, 400)
        XCTAssertEqual(try request("POST", "/api/runs", body: Data(count: 100_000)).status, 413)
        let state = try JSONSerialization.jsonObject(with: request("GET", "/api/state").body) as! [String: Any]
        XCTAssertEqual(state["images"] as? [String], ["photo.png", "style.png"])
        XCTAssertEqual(files(), before)
    }

    func testControlsNeedARunAndValidSettings() throws {
        XCTAssertEqual(try request("POST", "/api/stop").status, 409)
        XCTAssertEqual(try request("GET", "/api/image").status, 404)
        XCTAssertEqual(try request("GET", "/api/grams.png").status, 404)
        let weights: [String: Any] = ["content": 1, "style": 2.5, "tv": 0, "layers": ["block1_conv1": 3]]
        let good: [String: Any] = ["weights": weights, "styleScale": 0.5, "color": "match-cholesky", "size": 96]
        XCTAssertEqual(try request("POST", "/api/settings", body: json(good)).status, 409, "no run is going")
        startRun()
        func with(_ key: String, _ value: Any) -> [String: Any] { var s = good; s[key] = value; return s }
        func weighted(_ key: String, _ value: Any) -> [String: Any] { var w = weights; w[key] = value; return with("weights", w) }
        var withoutSize = good
        withoutSize["size"] = nil
        // Each bad value is refused with 400 and a message naming its field.
        for (bad, field) in [(weighted("content", -1), "content_weight"), (weighted("style", 1e9), "style_weight"),
                             (weighted("layers", ["block9_conv9": 1]), "block9_conv9"), (weighted("tv", "x"), "tv"),
                             (with("styleScale", 0), "style_scale"), (with("styleScale", 9), "style_scale"),
                             (with("color", "sepia"), "color"), (with("size", 31), "size"), (with("size", 5000), "size"),
                             (with("size", 96.5), "size"), (withoutSize, "size")] {
            let answer = try request("POST", "/api/settings", body: json(bad))
            XCTAssertEqual(answer.status, 400, "\(bad)")
            XCTAssertTrue(answer.text.contains(field), "\(answer.text) names \(field)")
        }
        // None of them reached the run: its next step is asked for nothing.
        XCTAssertNil(hub.step(Self.progress(iteration: 0, style: 1), image: Tensor(height: 6, width: 8, channels: 3), styleWeight: 0.1))
        XCTAssertEqual(try request("POST", "/api/settings", body: json(good)).status, 202)
        XCTAssertEqual(hub.step(Self.progress(iteration: 1, style: 1), image: Tensor(height: 6, width: 8, channels: 3), styleWeight: 0.1),
                       .apply(StudioSettings(weights: StudioWeights(content: 1, style: 2.5, tv: 0, layers: ["block1_conv1": 3]),
                                             styleScale: 0.5, color: .matchCholesky, size: 96)))
        XCTAssertEqual(try request("POST", "/api/stop").status, 202)
        XCTAssertEqual(hub.step(Self.progress(iteration: 2, style: 1), image: Tensor(height: 6, width: 8, channels: 3), styleWeight: 0.1), .stop)
        let save = try request("POST", "/api/preset", body: json(["name": "mine", "weights": weights]))
        XCTAssertEqual(save.status, 201, save.text)
        hub.runEnded("done")
        XCTAssertEqual(try request("POST", "/api/stop").status, 409)
    }

    /// A new size scales the scales still to run so that the last is the new size; scales that meet at the smallest
    /// size are dropped (worked by hand from the rule: 128·(384/256) = 192).
    func testANewSizeScalesTheScalesLeft() {
        let up = StudioSettings.continuedScales(edges: [128, 256], evaluations: [30, 50], size: 384)
        XCTAssertEqual(up.edges, [192, 384])
        XCTAssertEqual(up.evaluations, [30, 50])
        let same = StudioSettings.continuedScales(edges: [64], evaluations: [20], size: 64)
        XCTAssertEqual(same.edges, [64])
        XCTAssertEqual(same.evaluations, [20])
        // 64·(40/128) = 20 and 100·(40/128) = 31.25 both become the smallest size, 32; only the last stays below 40.
        let down = StudioSettings.continuedScales(edges: [64, 100, 128], evaluations: [10, 20, 30], size: 40)
        XCTAssertEqual(down.edges, [32, 40])
        XCTAssertEqual(down.evaluations, [20, 30])
    }

    func testTheImageIsEncodedOnRequestAtTheRunsSize() throws {
        startRun()
        var x = Tensor(height: 6, width: 8, channels: 3)
        for i in 0..<x.count { x.data[i] = Float(i % 256) }
        _ = hub.step(Self.progress(iteration: 3, style: 1), image: x, styleWeight: 0.1)
        let r = try request("GET", "/api/image")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.contentType, "image/jpeg")
        let picture = try RGBImage(decoding: [UInt8](r.body), path: "image.jpg")
        XCTAssertEqual([picture.width, picture.height], [8, 6])
    }

    /// Events reach a page in the order of the steps, each carrying the `--log` record of its step; a page that
    /// opens during a run (a second tab) gets the same run and steps.
    func testEventsCarryTheLogRecordsInOrder() throws {
        startRun()
        for i in 0..<5 { _ = hub.step(Self.progress(iteration: i, style: 1 / Double(i + 1)), image: Tensor(height: 6, width: 8, channels: 3), styleWeight: 0.1) }
        hub.runEnded("finished")
        nonisolated(unsafe) var answers: [Answer] = []
        let lock = NSLock()
        let group = DispatchGroup()
        let base = self.base!
        for _ in 0..<2 {   // two pages
            group.enter()
            DispatchQueue.global().async {
                let a = try? Self.send(base: base, "GET", "/api/events")
                lock.lock(); if let a { answers.append(a) }; lock.unlock()
                group.leave()
            }
        }
        let deadline = Date().addingTimeInterval(20)
        while hub.listenerCount < 2 && Date() < deadline { usleep(10_000) }
        XCTAssertEqual(hub.listenerCount, 2)
        hub.close()   // ends the streams, so the answers complete
        group.wait()
        XCTAssertEqual(answers.count, 2)
        for a in answers {
            XCTAssertEqual(a.status, 200)
            XCTAssertTrue(a.contentType.hasPrefix("text/event-stream"), a.contentType)
            let events = a.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            XCTAssertEqual(events.map { $0.split(separator: "\n")[0] }, ["event: run"] + Array(repeating: "event: step", count: 5) + ["event: end", "event: queue"])
            let steps = events.filter { $0.hasPrefix("event: step") }.map { event -> [String: Any] in
                let data = event.split(separator: "\n")[1].dropFirst("data: ".count)
                return try! JSONSerialization.jsonObject(with: Data(data.utf8)) as! [String: Any]
            }
            for (i, step) in steps.enumerated() {
                let record = step["record"] as! [String: Any]
                XCTAssertEqual(record["iteration"] as? Int, i)
                // The record is the --log line of that step, key for key.
                let expected = try JSONSerialization.jsonObject(with: Self.progress(iteration: i, style: 1 / Double(i + 1)).recordJSON(styleWeight: 0.1)!) as! NSDictionary
                XCTAssertEqual(record as NSDictionary, expected)
                XCTAssertEqual(step["budget"] as? Int, 10)
            }
        }
    }

    func testGramsAndFeatureMapsAreDrawnOnRequest() throws {
        let weights = VGGWeights.random(architecture: .vgg16, seed: 3)
        let style = RGBImage(width: 16, height: 16, pixels: (0..<768).map { UInt8($0 % 251) })
        let inspector = StudioInspector(network: VGGNetwork(weights: weights), styles: [style], blend: [1], styleScale: 1,
                                        layers: ["block1_conv1", "block2_conv1"])
        startRun(layers: ["block1_conv1", "block2_conv1"], inspector: inspector)
        var x = Tensor(height: 32, width: 32, channels: 3)
        for i in 0..<x.count { x.data[i] = Float((i * 7) % 256) }
        _ = hub.step(Self.progress(iteration: 1, style: 1), image: x, styleWeight: 0.1)
        let grams = try request("GET", "/api/grams.png")
        XCTAssertEqual(grams.status, 200, grams.text)
        XCTAssertEqual(grams.contentType, "image/png")
        let sheet = try RGBImage(decoding: [UInt8](grams.body), path: "grams.png")
        // One row per style layer: the sheet of one layer is half as tall.
        let one = try RGBImage(decoding: StudioInspector(network: VGGNetwork(weights: weights), styles: [style], blend: [1], styleScale: 1,
                                                         layers: ["block1_conv1"]).gramSheetPNG(of: x).png, path: "one.png")
        XCTAssertGreaterThan(Double(sheet.height), 1.8 * Double(one.height), "two layers, two rows")
        // The current picture's matrices: another picture gives another sheet.
        var y = x
        for i in 0..<y.count { y.data[i] = 255 - y.data[i] }
        _ = hub.step(Self.progress(iteration: 2, style: 1), image: y, styleWeight: 0.1)
        let fresh = try request("GET", "/api/grams.png")
        XCTAssertNotEqual(fresh.body, grams.body, "the sheet follows the current picture")
        // An automatic refresh right after a drawing gets that drawing again (drawing anew would take far more than
        // the inspector's share of the time since); a new picture shows at the next asked-for or due drawing.
        var z = y
        for i in 0..<z.count { z.data[i] = Float((i * 13) % 256) }
        _ = hub.step(Self.progress(iteration: 3, style: 1), image: z, styleWeight: 0.1)
        XCTAssertEqual(try request("GET", "/api/grams.png?auto=1").body, fresh.body, "an automatic refresh within the budget")
        // A page that shows that sheet already (it names its key) gets nothing to decode again.
        XCTAssertFalse(fresh.sheet.isEmpty, "the sheet's key")
        let unchanged = try request("GET", "/api/grams.png?auto=1&have=\(fresh.sheet)")
        XCTAssertEqual(unchanged.status, 204)
        XCTAssertTrue(unchanged.body.isEmpty)
        XCTAssertEqual(try request("GET", "/api/grams.png?auto=1&have=0").status, 200, "another key gets the sheet")
        let anew = try request("GET", "/api/grams.png")
        XCTAssertNotEqual(anew.body, fresh.body, "a sheet asked for is drawn anew")
        XCTAssertNotEqual(anew.sheet, fresh.sheet, "with its own key")
        let features = try request("GET", "/api/features.png?layer=block1_conv1")
        XCTAssertEqual(features.status, 200, features.text)
        XCTAssertEqual(try request("GET", "/api/features.png?layer=block9_conv1").status, 400)
        XCTAssertEqual(try request("GET", "/api/features.png?layer=..%2F..%2Fetc").status, 400)
    }
}
