import ArgumentParser
import Foundation
import SafeIO
import Studio
import StyleTransfer

/// `stylize studio`: a web page on this machine to start runs, watch them form, look at their Gram matrices and
/// feature maps, change their weights as they run, stop them and save their weights as a preset.
struct StudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studio",
        abstract: "Start the studio: a web page on this machine to start, watch, steer and stop runs.",
        discussion: """
        Prints the page's address; open it in a browser. The page picks a photo and a style among the
        images of --folder (or takes an upload into it) and writes the results and checkpoints into
        its output/ folder. One run at a time; more wait in a queue. Ctrl-C stops the run (saving the
        best image and the checkpoint) and the studio.
        """)

    @Option(name: .long, help: "The folder of the photos and styles the page may pick, and of its uploads; results go into its output/ folder.")
    var folder: String = "."

    @OptionGroup var listen: StudioListenOptions

    @OptionGroup var network: NetworkOptions

    func validate() throws {
        _ = Interrupt.shared
        guard isFolder(folder) else {
            throw CLIError("--folder \(folder): no such folder; give the folder of the images the studio may use")
        }
        try listen.check()
    }

    func run() throws {
        let interrupt = Interrupt.shared
        let hub = StudioHub()
        let studioFolder = StudioFolder(path: folder)
        let engine = StudioRunner(folder: studioFolder, network: network)
        let url = try listen.start(hub: hub, engine: engine, folder: studioFolder)
        Console.output("studio: \(url)  (images of \(folder): \(studioFolder.images().count); Ctrl-C stops)\n")
        while !interrupt.isRequested {
            guard let job = hub.takeJob(timeout: 0.25) else { continue }
            do { try engine.run(job, hub: hub) } catch let exit as ExitCode {
                hub.close()
                throw exit
            } catch {
                Console.error("stylize studio: run \(job.id): \(error)\n")
            }
        }
        hub.close()
        throw ExitCode(interrupt.exitStatus)
    }
}

/// Where the studio listens: `--host` and `--port` (`stylize studio`), `--studio-host` and `--studio-port` (a transfer's `--studio`).
struct StudioListenOptions: ParsableArguments {
    @Option(name: .long, help: "The address to listen on; anything but a loopback address lets other machines reach the studio.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "The port, 0...65535 (0: a free port, printed).")
    var port: Int = StudioListenOptions.defaultPort

    /// The studio's port unless told: unassigned by IANA, above the ports web servers favour.
    static let defaultPort = 8765

    func check(option: String = "--port") throws {
        guard (0...65535).contains(port) else { throw CLIError("\(option) \(port): a port is 0...65535 (0 picks a free one)") }
        guard !host.isEmpty else { throw CLIError("--host: give an address such as 127.0.0.1") }
    }

    /// Starts the server and says where, with a warning when it listens beyond this machine.
    func start(hub: StudioHub, engine: StudioRunner, folder: StudioFolder?) throws -> String {
        if !StudioServer.isLoopback(host) {
            Console.error("stylize: warning: the studio listens on \(host): other machines that reach it can start and stop runs\n")
        }
        do { return try StudioServer(hub: hub, engine: engine, folder: folder, host: host, port: port).start() } catch {
            throw CLIError("studio: \(error)")
        }
    }
}

/// `--studio` on a transfer: the same page, watching and steering this run.
struct StudioWatchOptions: ParsableArguments {
    @Flag(name: .long, help: "Watch and steer this run in a web page on this machine (see stylize studio); its address is printed. Stop there writes the image and the checkpoint (OUTPUT.ckpt unless --checkpoint).")
    var studio = false

    @Option(name: .long, help: "With --studio: the address to listen on (default 127.0.0.1).")
    var studioHost: String = "127.0.0.1"

    @Option(name: .long, help: "With --studio: the port, 0...65535 (0: a free port; default \(StudioListenOptions.defaultPort)).")
    var studioPort: Int = StudioListenOptions.defaultPort

    /// Runs `first` watched by the page, its checkpoint beside the output unless one is named.
    func watch(_ first: TransferRunner, request: RunRequest, preset: Preset, fit: Bool) throws -> StylizeResult? {
        var run = first
        var request = request
        if run.plan.outputs.checkpoint == nil {
            let path = (run.plan.outputs.image as NSString).deletingPathExtension + ".ckpt"
            run.plan.outputs.checkpoint = path
            request.outputs.checkpoint = path
        }
        var listen = StudioListenOptions()
        listen.host = studioHost
        listen.port = studioPort
        try listen.check(option: "--studio-port")
        let hub = StudioHub()
        let engine = StudioRunner(folder: nil, network: run.network)
        engine.setBase(preset)
        let url = try listen.start(hub: hub, engine: engine, folder: nil)
        Console.error("studio: \(url)\n")
        defer { hub.close() }
        func name(_ path: String) -> String { (path as NSString).lastPathComponent }
        return try engine.drive(hub: hub, runID: 1, content: name(request.content), style: request.styles.map(name).joined(separator: "+"))
            .run(run, request: request, fit: fit)
    }
}
