import Foundation
import Hummingbird
import Logging
import Imaging
import NeuralCore
import StyleTransfer

/// The studio's web server: the page, the live events, the pictures on request, and the controls.
///
/// Every route is Hummingbird's; nothing parses HTTP by hand. The server listens on 127.0.0.1 unless another
/// host is given, and on a loopback address it answers only requests whose `Host` names a loopback address (a
/// web page elsewhere cannot reach it through a DNS name pointing at 127.0.0.1), and refuses changes whose
/// `Origin` is another site's.
///
/// Routes (JSON unless said):
/// - `GET /`: the page (`StudioPage.html`)
/// - `GET /api/events`: server-sent events: `run` (a run or segment starts), `step` (the `--log` record of a step
///   with its run, segment, time, budget and peak memory), `end`, `queue`, `note`
/// - `GET /api/state`: the current run, whether it runs, the queue, the folder's images, the presets
/// - `GET /api/image`: the current picture as JPEG, encoded on request
/// - `GET /api/grams.png`, `GET /api/features.png?layer=L`: the Gram comparison sheet, a layer's 5x8 feature grid;
///   `/api/grams.png?auto=1&have=KEY` for a page's automatic refresh (the last sheet while a new one is not due;
///   204 when it is the sheet KEY, as `X-Sheet` named it)
/// - `POST /api/stop`, `POST /api/settings` (`StudioSettings`: weights, style scale, colour, size),
///   `POST /api/preset` (`{"name", "weights"}`)
/// - `POST /api/runs` (`{"content", "style", "preset", "size", "iterations"}`, names from the folder),
///   `PUT /api/upload?name=NAME.png` (the image's bytes)
public struct StudioServer: Sendable {
    public let hub: StudioHub
    public let engine: (any StudioEngine)?
    /// The folder runs are picked from; nil when the studio watches one transfer (`--studio`).
    public let folder: StudioFolder?
    public let host: String
    public let port: Int

    /// The largest JSON body accepted.
    static let jsonLimit = 64 << 10
    /// A run started from the page: a size in `StudioSettings.sizeRange`, and 1 up to this many evaluations per scale.
    public static let iterationLimit = 2000

    public init(hub: StudioHub, engine: (any StudioEngine)?, folder: StudioFolder?, host: String = "127.0.0.1", port: Int = 0) {
        self.hub = hub
        self.engine = engine
        self.folder = folder
        self.host = host
        self.port = port
    }

    /// Whether `host` is a loopback address or name.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Starts listening in the background and waits until it listens.
    /// - Returns: the URL of the page, with the port actually bound (for `port` 0, the one the system chose).
    /// - Throws: `StudioError.badRequest` with the reason when the address cannot be bound.
    public func start() throws -> String {
        let bound = BoundPort()
        let router = makeRouter(boundPort: bound)
        var logger = Logger(label: "stylize.studio")
        logger.logLevel = .error
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "stylize studio"),
                              onServerRunning: { channel in bound.set(channel.localAddress?.port ?? -1) }, logger: logger)
        Task.detached {
            do { try await app.run() } catch { bound.fail("\(error)") }
        }
        switch bound.wait() {
        case .success(let p):
            let shown = host.contains(":") ? "[\(host)]" : host
            return "http://\(shown):\(p)/"
        case .failure(let message):
            throw StudioError.badRequest("cannot listen on \(host):\(port): \(message)")
        }
    }

    func makeRouter(boundPort: BoundPort) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: HostGuard(loopbackOnly: Self.isLoopback(host), port: boundPort))
        router.get("/") { _, _ in Self.response("text/html; charset=utf-8", ByteBuffer(string: StudioPage.html)) }
        router.get("/api/events") { _, _ in
            let stream = hub.subscribe()
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                            body: ResponseBody { writer in
                                for await event in stream { try await writer.write(ByteBuffer(string: event)) }
                                try await writer.finish(nil)
                            })
        }
        router.get("/api/state") { _, _ in Self.json(state()) }
        router.get("/api/image") { _, _ in
            guard let (bytes, _) = try await Self.offload({ hub.currentJPEG() }) else {
                return Self.error(.notFound, "no picture yet: no run has made a step")
            }
            return Self.response("image/jpeg", ByteBuffer(bytes: bytes))
        }
        router.get("/api/grams.png") { request, _ in
            let auto = request.uri.queryParameters["auto"] == "1"
            let have = request.uri.queryParameters["have"].map(String.init)
            return try await Self.offload {
                try Self.answer {
                    let (inspector, picture) = try inspectable()
                    let sheet = try inspector.gramSheetPNG(of: picture, fresh: !auto)
                    // The page already shows this sheet: nothing to send or decode again.
                    // X-Sheet names the sheet (`StudioInspector.gramSheetPNG`).
                    if sheet.key == have { return Response(status: .noContent, headers: [.cacheControl: "no-store", .init("X-Sheet")!: sheet.key]) }
                    return Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-store", .init("X-Sheet")!: sheet.key],
                                    body: .init(byteBuffer: ByteBuffer(bytes: sheet.png)))
                }
            }
        }
        router.get("/api/features.png") { request, _ in
            let layer = request.uri.queryParameters["layer"].map(String.init) ?? "block1_conv1"
            return try await Self.offload {
                try Self.answer {
                    let (inspector, picture) = try inspectable()
                    return Self.png(try inspector.featureGrid(of: picture, layer: layer))
                }
            }
        }
        router.post("/api/stop") { _, _ in
            hub.request(.stop) ? Self.json(["stopping": true], status: .accepted) : Self.error(.conflict, "no run is going")
        }
        router.post("/api/settings") { request, _ in
            try await Self.answer {
                let settings = try await Self.decode(StudioSettings.self, from: request)
                guard let run = hub.current.info, hub.current.active else { throw StudioError.conflict("no run is going") }
                if let problem = settings.problem(knownLayers: Set(run.layers)) { throw StudioError.badRequest(problem) }
                _ = hub.request(.apply(settings))
                return Self.json(["applying": true], status: .accepted)
            }
        }
        router.post("/api/preset") { request, _ in
            try await Self.answer {
                struct Save: Decodable { var name: String; var weights: StudioWeights }
                let save = try await Self.decode(Save.self, from: request)
                guard let engine else { throw StudioError.conflict("this studio cannot save presets") }
                guard let run = hub.current.info else { throw StudioError.conflict("no run to take the preset from") }
                if let problem = save.weights.problem(knownLayers: Set(run.layers)) { throw StudioError.badRequest(problem) }
                let path = try engine.savePreset(name: save.name, weights: save.weights, hub: hub)
                hub.note("preset \(save.name) saved: \(path)")
                return Self.json(["path": path, "name": save.name], status: .created)
            }
        }
        router.post("/api/runs") { request, _ in
            try await Self.answer {
                struct Ask: Decodable { var content: String; var style: String; var preset: String?; var size: Int?; var iterations: Int? }
                let ask = try await Self.decode(Ask.self, from: request)
                guard let folder, let engine else {
                    throw StudioError.conflict("this studio watches one transfer; start `stylize studio --folder DIR` to start runs from the page")
                }
                _ = try folder.image(named: ask.content)
                _ = try folder.image(named: ask.style)
                let size = ask.size ?? 256, iterations = ask.iterations ?? 100
                if let problem = Preset.Limits.rangeProblem(size, StudioSettings.sizeRange) { throw StudioError.badRequest("size \(problem)") }
                guard (1...Self.iterationLimit).contains(iterations) else { throw StudioError.badRequest("iterations must be in 1...\(Self.iterationLimit)") }
                if let preset = ask.preset, !engine.presetNames().contains(preset) {
                    throw StudioError.badRequest("no preset named \(preset.debugDescription) (\(engine.presetNames().joined(separator: ", ")))")
                }
                let job = StudioJob(id: 0, content: ask.content, style: ask.style, preset: ask.preset, size: size, iterations: iterations)
                guard let queued = hub.enqueue(job) else { throw StudioError.conflict("the queue is full (\(StudioHub.queueLimit) runs)") }
                return Self.json(queued, status: .accepted)
            }
        }
        router.put("/api/upload") { request, _ in
            try await Self.answer {
                guard let folder else { throw StudioError.conflict("this studio has no folder to upload into") }
                guard let name = request.uri.queryParameters["name"].map(String.init) else {
                    throw StudioError.badRequest("name the upload: PUT /api/upload?name=NAME.png")
                }
                if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > StudioFolder.uploadLimit {
                    throw StudioError.tooLarge("the upload is larger than \(StudioFolder.uploadLimit >> 20) MiB")
                }
                let body: ByteBuffer
                do { body = try await request.body.collect(upTo: StudioFolder.uploadLimit) } catch {
                    throw StudioError.tooLarge("the upload is larger than \(StudioFolder.uploadLimit >> 20) MiB")
                }
                try folder.store(upload: body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? [], name: name)
                return Self.json(["name": name], status: .created)
            }
        }
        return router
    }

    /// The inspector of the current run and its current picture.
    private func inspectable() throws -> (StudioInspector, Tensor) {
        guard let inspector = hub.inspector, let picture = hub.currentTensor else {
            throw StudioError.notFound("no picture yet: no run has made a step")
        }
        return (inspector, picture)
    }

    private struct State: Encodable {
        var run: StudioRunInfo?
        var active: Bool
        var queue: [StudioJob]
        var images: [String]
        var presets: [String]
        var canStart: Bool
        /// The layers whose feature maps the page can ask for.
        var featureLayers: [String]
    }

    private func state() -> State {
        let current = hub.current
        return State(run: current.info, active: current.active, queue: hub.queued, images: folder?.images() ?? [],
                     presets: engine?.presetNames() ?? [], canStart: folder != nil && engine != nil,
                     featureLayers: hub.inspector?.featureLayers ?? [])
    }

    /// Runs `work` (an encoding or a network pass, milliseconds to seconds) on a dispatch queue, so that it never
    /// holds one of the few threads that serve the events and the other requests.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try work() }) }
        }
    }

    // MARK: - Responses

    /// The response of `body`, or the error it threw: a `StudioError` with its status, anything else (a failed
    /// drawing or write) as 500 with its one line.
    static func answer(_ body: () throws -> Response) throws -> Response {
        do { return try body() } catch let e as StudioError { return error(e) } catch { return Self.error(.internalServerError, "\(error)") }
    }

    static func answer(_ body: () async throws -> Response) async throws -> Response {
        do { return try await body() } catch let e as StudioError { return error(e) } catch { return Self.error(.internalServerError, "\(error)") }
    }

    static func error(_ e: StudioError) -> Response {
        switch e {
        case .badRequest(let m): return error(.badRequest, m)
        case .notFound(let m): return error(.notFound, m)
        case .conflict(let m): return error(.conflict, m)
        case .tooLarge(let m): return error(.contentTooLarge, m)
        case .unsupportedMediaType(let m): return error(.unsupportedMediaType, m)
        }
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(["error": message], status: status)
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        body(StudioHub.json(object), status: status)
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        body(StudioHub.json(value), status: status)
    }

    private static func body(_ text: String, status: HTTPResponse.Status) -> Response {
        response("application/json", ByteBuffer(string: text), status: status)
    }

    static func png(_ image: RGBImage) -> Response { response("image/png", ByteBuffer(bytes: image.encodePNG())) }

    /// A response of `type` that no cache keeps.
    static func response(_ type: String, _ body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: type, .cacheControl: "no-store"], body: .init(byteBuffer: body))
    }

    /// A JSON body of at most `jsonLimit` bytes. - Throws: `.tooLarge`, or `.badRequest` naming what is wrong.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: jsonLimit) } catch {
            throw StudioError.tooLarge("the request body is larger than \(jsonLimit >> 10) KiB")
        }
        do { return try JSONDecoder().decode(T.self, from: Data(body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? [])) } catch {
            throw StudioError.badRequest("the request body is not the JSON expected: \(Self.describe(error))")
        }
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "\(key.stringValue) is missing"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            "\(c.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"
        case DecodingError.dataCorrupted(let c):
            c.codingPath.isEmpty ? c.debugDescription : "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        default: "\(error)"
        }
    }
}

/// The port the server bound, once it listens (or why it could not), for `StudioServer.start` to wait on.
final class BoundPort: @unchecked Sendable {   // guarded by `condition`
    private let condition = NSCondition()
    private var result: Outcome?
    enum Outcome { case success(Int), failure(String) }

    func set(_ port: Int) {
        condition.lock(); result = .success(port); condition.broadcast(); condition.unlock()
    }
    func fail(_ message: String) {
        condition.lock(); if result == nil { result = .failure(message) }; condition.broadcast(); condition.unlock()
    }
    var port: Int? {
        condition.lock(); defer { condition.unlock() }
        if case .success(let p) = result { return p }
        return nil
    }
    func wait() -> Outcome {
        condition.lock(); defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}

/// On a loopback address: only requests whose `Host` is a loopback name with the studio's port (no DNS rebinding),
/// and no change (`POST`, `PUT`) from a page of another origin.
struct HostGuard<Context: RequestContext>: RouterMiddleware {
    let loopbackOnly: Bool
    let port: BoundPort

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let authority = request.head.authority ?? ""
        if loopbackOnly {
            let p = port.port.map(String.init) ?? ""
            let allowed = ["127.0.0.1:\(p)", "localhost:\(p)", "[::1]:\(p)"]
            guard allowed.contains(authority.lowercased()) else {
                return StudioServer.error(.forbidden, "the studio answers requests to 127.0.0.1:\(p) or localhost:\(p) only")
            }
        }
        if request.method == .post || request.method == .put, let origin = request.headers[.origin], origin != "http://\(authority)" {
            return StudioServer.error(.forbidden, "a change from another site's page (\(origin)) is refused")
        }
        return try await next(request, context)
    }
}
