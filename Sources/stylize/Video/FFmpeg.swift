import Foundation
import Imaging

/// Debian's `ffmpeg` and `ffprobe` (5.1), run as processes: what a clip is, its frames as PNG files, and frames
/// encoded back into a clip. Every failure is one line naming the file.
enum FFmpeg {
    /// What `ffprobe` says of a clip's first video stream.
    struct Probe: Equatable {
        var width: Int
        var height: Int
        /// Frames per second as ffprobe's `r_frame_rate` gives it (`10/1`, `30000/1001`): kept as text for ffmpeg.
        var frameRate: String
        var framesPerSecond: Double
    }

    /// The full path of `tool` on PATH, or nil.
    static func locate(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `tool` with `arguments`; standard input from `input` when given (written in pieces by it), standard output
    /// returned, standard error kept for the message of a failure.
    /// - Throws: `CLIError` naming `file` when the tool is missing or exits with a non-zero status (its last line of
    ///   standard error says why).
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], file: String, what: String,
                    input: ((FileHandle) throws -> Void)? = nil) throws -> String {
        guard let executable = locate(tool) else {
            throw CLIError("\(file): \(tool) is not installed; scripts/setup installs Debian's ffmpeg (or apt-get install ffmpeg)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        // Standard output and error are read on their own threads, so that neither pipe fills and blocks the tool.
        let outData = PipeData(), errData = PipeData()
        let group = DispatchGroup()
        outData.read(out, group: group)
        errData.read(err, group: group)
        do { try process.run() } catch {
            throw CLIError("\(file): cannot start \(executable) (\(error.localizedDescription))")
        }
        var inputError: Error?
        if let input {
            signal(SIGPIPE, SIG_IGN)   // a tool that stops reading makes the write fail, not the process die
            do { try input(inPipe.fileHandleForWriting) } catch { inputError = error }
            try? inPipe.fileHandleForWriting.close()
        }
        process.waitUntilExit()
        group.wait()
        if process.terminationStatus != 0 || process.terminationReason != .exit {
            let lines = String(decoding: errData.data, as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            let last = lines.last(where: { !$0.isEmpty }) ?? "exit status \(process.terminationStatus)"
            throw CLIError("\(file): \(tool) could not \(what): \(last)")
        }
        if let inputError { throw inputError }
        return String(decoding: outData.data, as: UTF8.self)
    }

    /// The size and frame rate of the clip's first video stream.
    /// - Throws: `CLIError` when ffprobe cannot read the file, it has no video stream, or its values are not usable
    ///   (a size outside `ImageLimits`, a frame rate that is not a positive fraction).
    static func probe(_ clip: String) throws -> Probe {
        let text = try run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,r_frame_rate",
                                       "-of", "default=noprint_wrappers=1", clip], file: clip, what: "read it as a video")
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        guard let w = fields["width"].flatMap({ Int($0) }), let h = fields["height"].flatMap({ Int($0) }),
              let rate = fields["r_frame_rate"] else {
            throw CLIError("\(clip): --content has no video stream ffprobe can read")
        }
        let pixels = w.multipliedReportingOverflow(by: h)
        guard w > 0, h > 0, w <= ImageLimits.maxSide, h <= ImageLimits.maxSide, !pixels.overflow, pixels.partialValue <= ImageLimits.maxPixels else {
            throw CLIError("\(clip): the video is \(w)x\(h), outside the accepted 1...\(ImageLimits.maxSide) pixels a side and \(ImageLimits.maxPixels) pixels")
        }
        let parts = rate.split(separator: "/").map { Double($0) }
        guard let num = parts.first ?? nil, num > 0, num.isFinite,
              let den = parts.count == 2 ? parts[1] : 1, den > 0, den.isFinite, num / den <= 1000 else {
            throw CLIError("\(clip): ffprobe gives no usable frame rate (\(rate))")
        }
        return Probe(width: w, height: h, frameRate: rate, framesPerSecond: num / den)
    }

    /// The scale filter that gives a frame of longest edge `size`, the other edge even (yuv420p clips) and in
    /// proportion, shrinking by area averages as `RGBImage.resized` does.
    static func scaleFilter(size: Int) -> String {
        "scale=w='if(gte(iw,ih),\(size),-2)':h='if(gte(iw,ih),-2,\(size))':flags=area"
    }

    /// Decodes the clip's frames (at most `limit`, every frame as it is stored: no frame dropped or doubled) into
    /// `folder` as `000001.png`, `000002.png`, ...; with `size`, each frame's longest edge is `size`.
    static func decode(_ clip: String, into folder: String, limit: Int?, size: Int?) throws {
        var args = ["-v", "error", "-nostdin", "-i", clip, "-map", "0:v:0", "-fps_mode", "passthrough"]
        if let limit { args += ["-frames:v", "\(limit)"] }
        if let size { args += ["-vf", scaleFilter(size: size)] }
        args += ["-start_number", "1", (folder as NSString).appendingPathComponent("%06d.png")]
        try run("ffmpeg", args, file: clip, what: "decode its frames")
    }

    /// Encodes `frames` (PNG or JPEG files of one size, in order) at `frameRate` into `output` (H.264 in the
    /// container its extension names), through a temporary file in the same folder renamed into place: a failed or
    /// stopped encoding leaves no half-written clip.
    static func encode(frames: [String], frameRate: String, to output: String) throws {
        guard let first = frames.first else { throw CLIError("\(output): no frame to encode") }
        let firstImage = try RGBImage(contentsOf: first)
        let (w, h) = (firstImage.width, firstImage.height)
        let folder = (output as NSString).deletingLastPathComponent
        let name = (output as NSString).lastPathComponent
        let temporary = ((folder.isEmpty ? "." : folder) as NSString)
            .appendingPathComponent(".\(name).\(ProcessInfo.processInfo.processIdentifier).partial.\((name as NSString).pathExtension)")
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        // yuv420p needs even sides: an odd one gets a copy of its last row or column.
        let args = ["-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(w)x\(h)", "-framerate", frameRate,
                    "-i", "-", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18",
                    "-r", frameRate, temporary]
        try run("ffmpeg", args, file: output, what: "encode the frames", input: { handle in
            for path in frames {
                let image = path == first ? firstImage : try RGBImage(contentsOf: path)
                guard image.width == w, image.height == h else {
                    throw CLIError("\(path): the frame is \(image.width)x\(image.height), the clip's first is \(w)x\(h)")
                }
                try handle.write(contentsOf: Data(image.pixels))
            }
        })
        guard rename(temporary, output) == 0 else {
            throw CLIError("\(output): cannot move the encoded clip into place (\(String(cString: strerror(errno))))")
        }
    }
}

/// What one pipe of a tool gave, read to its end on a thread of its own; `data` is read after the group's wait.
private final class PipeData: @unchecked Sendable {
    var data = Data()

    func read(_ pipe: Pipe, group: DispatchGroup) {
        group.enter()
        DispatchQueue.global().async {
            self.data = pipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
    }
}
