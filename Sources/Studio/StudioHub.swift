import Foundation
import Imaging
import NeuralCore
import StyleTransfer

/// What the page is told about a run when it starts (and every page that opens later): its names, weights, scales
/// and outputs.
public struct StudioRunInfo: Sendable, Codable {
    public struct Scale: Sendable, Codable {
        public var width: Int
        public var height: Int
        public var evaluations: Int
        /// The tile core edge, nil for whole images.
        public var tile: Int?
        public init(width: Int, height: Int, evaluations: Int, tile: Int?) {
            self.width = width
            self.height = height
            self.evaluations = evaluations
            self.tile = tile
        }
    }
    public var id: Int
    /// The segment: 0 for the run as started, one more for each change of settings (each continues the one before).
    public var segment: Int
    public var content: String
    public var style: String
    public var preset: String
    public var weights: StudioWeights
    public var styleScale: Double
    public var color: ColorMode
    /// The output's longest edge.
    public var size: Int
    /// The style layers in the network's order.
    public var layers: [String]
    public var scales: [Scale]
    public var output: String
    public var checkpoint: String?
    /// The plan's estimate of its peak memory, and of its time on this machine (nil without a calibration).
    public var memoryBytes: Int
    public var estimatedSeconds: Double?

    public init(id: Int, segment: Int, content: String, style: String, preset: String, weights: StudioWeights,
                styleScale: Double = 1, color: ColorMode = .style, size: Int? = nil, layers: [String],
                scales: [Scale], output: String, checkpoint: String?, memoryBytes: Int, estimatedSeconds: Double?) {
        self.id = id
        self.segment = segment
        self.content = content
        self.style = style
        self.preset = preset
        self.weights = weights
        self.styleScale = styleScale
        self.color = color
        self.size = size ?? scales.last.map { max($0.width, $0.height) } ?? 0
        self.layers = layers
        self.scales = scales
        self.output = output
        self.checkpoint = checkpoint
        self.memoryBytes = memoryBytes
        self.estimatedSeconds = estimatedSeconds
    }
}

/// The meeting point of a run's thread and the web server's: the run reports its steps here and reads what the page
/// asked for; the server reads the latest state and streams the events to every page that listens.
///
/// The run's side costs one lock and a few small copies per step: the current image is kept as the tensor the
/// stylizer already made for its report, and encoded only when a page asks for it, on the server's thread.
public final class StudioHub: @unchecked Sendable {   // every mutable field is guarded by `lock`
    private let lock = NSCondition()
    private var info: StudioRunInfo?
    private var active = false
    /// The run's step events so far (every segment), replayed to a page that opens later; at most `replayLimit`.
    private var events: [String] = []
    private var image: (tensor: Tensor, iteration: Int, key: String)?
    /// The picture of an iterate as the run writes it (with `keep`, the photo's colours), or nil for the iterate itself.
    private var encoded: (key: String, bytes: [UInt8])?
    private var control: StudioControl?
    private var listeners: [Int: AsyncStream<String>.Continuation] = [:]
    private var nextListener = 0
    private var queue: [StudioJob] = []
    private var nextJob = 1
    private var closed = false
    /// Seconds of the segments before the current one, so that the page's time axis runs on.
    private var timeOffset = 0.0
    private var lastElapsed = 0.0
    public private(set) var inspector: StudioInspector?

    /// Most step events kept for a page that opens during a run (a record is about 600 bytes).
    public static let replayLimit = 5000
    /// Most events waiting for one slow page; older ones are dropped for it.
    public static let listenerBuffer = 2000
    /// Most runs waiting in the queue.
    public static let queueLimit = 20

    public init() {}

    // MARK: - The run's side

    /// A run or a segment starts; `inspector` draws its Gram matrices and feature maps on request.
    public func runStarted(_ run: StudioRunInfo, inspector: StudioInspector?) {
        lock.lock()
        if run.segment == 0 || info?.id != run.id {
            events = []
            timeOffset = 0
        } else {
            timeOffset += lastElapsed
        }
        lastElapsed = 0
        info = run
        active = true
        control = nil
        self.inspector = inspector
        broadcastLocked(Self.event("run", Self.json(run)))
        lock.unlock()
    }

    /// One step of the running transfer: keeps the image (no copy: `image` is the report's own tensor), sends the
    /// record (the `--log` line) to every page, and returns what the page asked for since the last step.
    public func step(_ p: StylizeProgress, image x: Tensor, styleWeight: Double) -> StudioControl? {
        guard let record = p.recordJSON(styleWeight: styleWeight) else { return takeControl() }
        lock.lock()
        let run = info?.id ?? 0, segment = info?.segment ?? 0
        let budget = info.map { $0.scales.indices.contains(p.scaleIndex) ? $0.scales[p.scaleIndex].evaluations : p.evaluationBudget } ?? p.evaluationBudget
        let head = "{\"run\":\(run),\"segment\":\(segment),\"time\":\(timeOffset + p.elapsed),\"budget\":\(budget),\"peak_rss\":\(Self.peakResidentBytes()),\"record\":"
        let event = Self.event("step", head + String(decoding: record, as: UTF8.self) + "}")
        events.append(event)
        if events.count > Self.replayLimit { events.removeFirst(events.count - Self.replayLimit) }
        image = (x, p.iteration, "\(run)-\(segment)-\(p.scaleIndex)-\(p.iteration)")
        lastElapsed = p.elapsed
        let asked = control
        control = nil
        broadcastLocked(event)
        lock.unlock()
        return asked
    }

    private func takeControl() -> StudioControl? {
        lock.lock(); defer { lock.unlock() }
        let asked = control
        control = nil
        return asked
    }

    /// The run ended (finished, stopped or failed): `message` is its summary line.
    public func runEnded(_ message: String, failed: Bool = false) {
        lock.lock()
        active = false
        control = nil
        let event = Self.event("end", Self.json(["run": info?.id ?? 0, "message": message, "failed": failed] as [String: Any]))
        events.append(event)
        broadcastLocked(event)
        lock.unlock()
    }

    /// A line for every page (a queued run that could not start, a preset saved).
    public func note(_ message: String) {
        lock.lock()
        broadcastLocked(Self.event("note", Self.json(["message": message])))
        lock.unlock()
    }

    // MARK: - The page's side

    /// The run in progress (or the last one), and whether it is running.
    public var current: (info: StudioRunInfo?, active: Bool) {
        lock.lock(); defer { lock.unlock() }
        return (info, active)
    }

    /// Asks the running transfer to stop or to change its settings after the current step.
    /// - Returns: false when no run is active.
    @discardableResult
    public func request(_ c: StudioControl) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard active else { return false }
        control = c
        return true
    }

    /// The current image as JPEG, encoded now (on the caller's thread) unless the same step's was already, and its key.
    public func currentJPEG() -> (bytes: [UInt8], key: String)? {
        lock.lock()
        guard let image else { lock.unlock(); return nil }
        if let encoded, encoded.key == image.key { lock.unlock(); return (encoded.bytes, encoded.key) }
        lock.unlock()
        // The iterate is the written picture in every colour mode (with `keep`, the luminance under the photo's chroma).
        guard let bytes = try? RGBImageJPEG.encode(RGBImage(image.tensor)) else { return nil }
        lock.lock()
        encoded = (image.key, bytes)
        lock.unlock()
        return (bytes, image.key)
    }

    /// The current image's tensor (H, W, 3) in 0...255, for the inspector.
    public var currentTensor: Tensor? {
        lock.lock(); defer { lock.unlock() }
        return image?.tensor
    }

    /// A stream of server-sent events for one page: first the current run and its steps so far, then every new event.
    public func subscribe() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(Self.listenerBuffer))
        lock.lock()
        let id = nextListener
        nextListener += 1
        if let info {
            // The run event of the current segment first: the page takes its layer list from it.
            continuation.yield(Self.event("run", Self.json(info)))
        }
        for event in events { continuation.yield(event) }
        continuation.yield(Self.event("queue", Self.json(queue)))
        listeners[id] = continuation
        lock.unlock()
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.lock.lock()
            self.listeners[id] = nil
            self.lock.unlock()
        }
        return stream
    }

    /// How many pages listen now.
    public var listenerCount: Int {
        lock.lock(); defer { lock.unlock() }
        return listeners.count
    }

    /// Sends `event` to every page; called with `lock` held, so that every page gets the events in the order they
    /// were made, and a page that subscribes gets each event once, from the replay or from here.
    private func broadcastLocked(_ event: String) {
        for t in listeners.values { t.yield(event) }
    }

    // MARK: - The queue

    /// Adds a run to the queue. - Returns: the job with its id, or nil when the queue is full or closed.
    public func enqueue(_ job: StudioJob) -> StudioJob? {
        lock.lock()
        guard !closed, queue.count < Self.queueLimit else { lock.unlock(); return nil }
        var j = job
        j.id = nextJob
        nextJob += 1
        queue.append(j)
        broadcastLocked(Self.event("queue", Self.json(queue)))
        lock.signal()
        lock.unlock()
        return j
    }

    /// The runs waiting.
    public var queued: [StudioJob] {
        lock.lock(); defer { lock.unlock() }
        return queue
    }

    /// Waits up to `timeout` seconds for the next job and takes it off the queue.
    public func takeJob(timeout: Double) -> StudioJob? {
        lock.lock()
        if queue.isEmpty && !closed { _ = lock.wait(until: Date(timeIntervalSinceNow: timeout)) }
        guard !queue.isEmpty else { lock.unlock(); return nil }
        let job = queue.removeFirst()
        broadcastLocked(Self.event("queue", Self.json(queue)))
        lock.unlock()
        return job
    }

    /// No more jobs are taken (the server is stopping); every page's stream ends.
    public func close() {
        lock.lock()
        closed = true
        let targets = Array(listeners.values)
        lock.signal()
        lock.unlock()
        for t in targets { t.finish() }
    }

    // MARK: - Events

    /// One server-sent event: `event: NAME`, one `data:` line (the JSON has no newline), and the blank line.
    static func event(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func json(_ object: [String: Any]) -> String {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The process's peak resident memory so far (`VmHWM` of /proc/self/status), 0 where it cannot be read.
    static func peakResidentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kib * 1024
    }
}
