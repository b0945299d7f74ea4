import Foundation
import Imaging
import StyleTransfer
import Video

/// `stylize video --check`: how much a styled clip flickers, from its work folder (the PNG frames, not the
/// compressed clip) and the input frames.
///
/// Per pair of consecutive frames: the warping error of Lai et al. (ECCV 2018; `WarpingError.pair`, flow on the input
/// frames at the output size, occlusion from the forward-backward check) and the batch's flicker of static regions
/// (`FrameSequence.flicker`); per frame, the style term of the final loss from the manifest.
struct VideoCheck {
    let source: VideoSource
    let workFolder: String
    let flow: FlowMethod
    let quiet: Bool

    func run() throws {
        let manifest = (workFolder as NSString).appendingPathComponent("manifest.jsonl")
        guard let data = FileManager.default.contents(atPath: manifest) else {
            throw CLIError("\(manifest): no manifest; style the clip first (stylize video ... -o the same output), or join its shards with --merge")
        }
        let records = try BatchRecord.parse(String(decoding: data, as: UTF8.self), path: manifest)
            .filter { $0.status == .done || $0.status == .skipped }.sorted { $0.index < $1.index }
        let inputs = try source.frames()
        let count = min(records.count, inputs.count)
        guard count >= 2 else { throw CLIError("\(manifest): fewer than two finished frames to compare") }
        let flowTimes = VideoTiming.all(in: workFolder)
        var errors: [Double] = [], flickers: [Double] = [], inputErrors: [Double] = []
        var checkFlowSeconds = 0.0
        var previous: (output: RGBImage, input: RGBImage)?
        if !quiet { Console.output("pair   warping error   flicker\n") }
        for i in 0 ..< count {
            let output = try RGBImage(contentsOf: (workFolder as NSString).appendingPathComponent(records[i].output))
            var input = try RGBImage(contentsOf: inputs[i])
            if input.width != output.width || input.height != output.height { input = input.resized(width: output.width, height: output.height) }
            if let (o0, i0) = previous {
                guard o0.width == output.width, o0.height == output.height else {
                    throw CLIError("\(records[i].output): the frame is \(output.width)x\(output.height), the one before \(o0.width)x\(o0.height)")
                }
                let started = Date()
                let toNext = try FlowField.compute(from: i0, to: input, method: flow)
                let fromNext = try FlowField.compute(from: input, to: i0, method: flow)
                checkFlowSeconds += Date().timeIntervalSince(started)
                // The input's own warping error: what is left when the flow is right and nothing flickers (lighting,
                // noise, the flow's own errors); a better flow makes it smaller.
                if let e = WarpingError.pair(outputs: (i0, input), toNext: toNext, fromNext: fromNext)?.error { inputErrors.append(e) }
                let e = WarpingError.pair(outputs: (o0, output), toNext: toNext, fromNext: fromNext)?.error
                let f = FrameSequence.flicker(outputs: (o0, output), frames: (i0, input))?.mean
                if let e { errors.append(e) }
                if let f { flickers.append(f) }
                if !quiet {
                    Console.output(String(format: "%4d   %13@   %7@\n", i, e.map { String(format: "%.5f", $0) } ?? "-",
                                          f.map { String(format: "%.2f", $0) } ?? "-"))
                }
            }
            previous = (output, input)
        }
        func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
        let used = records.prefix(count)
        let styles = used.compactMap(\.styleLoss), seconds = used.compactMap(\.seconds)
        let flowSeconds = used.compactMap { flowTimes[$0.name] }
        var line = String(format: "check: %d frames, warping error %.5f (mean of %d pairs), flicker %.2f, style %.4g (mean per frame), %.1f s per frame",
                          count, mean(errors), errors.count, mean(flickers), mean(styles), mean(seconds))
        if !flowSeconds.isEmpty {
            // The first frame has no flow; the share is of the frames that have one.
            let flowed = used.filter { flowTimes[$0.name] != nil }.compactMap(\.seconds)
            line += String(format: ", flow %.2f s per frame (%.1f%% of those frames' time)", mean(flowSeconds),
                           100 * flowSeconds.reduce(0, +) / max(1e-9, flowed.reduce(0, +)))
        }
        line += String(format: "; the input frames' own warping error %.5f (flow %@, %.0f ms a pair of flows)", mean(inputErrors),
                       flow.rawValue, 1000 * checkFlowSeconds / Double(max(1, count - 1)))
        Console.output(line + "\n")
    }
}
