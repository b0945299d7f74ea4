import ArgumentParser
import Foundation
import NeuralCore
import SafeIO
import StyleTransfer

/// `stylize resume run.ckpt`: continues a transfer from its checkpoint.
struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a transfer from the checkpoint its --checkpoint option wrote.",
        discussion: """
        The checkpoint holds the plan, the optimizer's whole state and fingerprints
        of the weights and the inputs, which must not have changed. On the same
        machine and thread count the resumed run ends with the same image, byte for
        byte, and the same log lines as a run that was never stopped. The checkpoint
        keeps being written as before.
          stylize --content images/building.jpg --style images/starry_night.jpg \\
                  --checkpoint run.ckpt    # then Ctrl-C, or a reboot
          stylize resume run.ckpt
        """)

    @Argument(help: "The checkpoint file (.ckpt).")
    var checkpoint: String

    @Option(name: [.short, .long], help: "Write the image here instead of the output the run named.")
    var output: String?

    @Option(name: .long, help: "Weight file of the run, when it is no longer where the run found it (its fingerprint must match).")
    var weights: String?

    @Flag(name: .long, help: "Print only the final summary.")
    var quiet = false

    func validate() throws {
        _ = Interrupt.shared
        if let output { try OutputPath.checkFile(output, option: "-o", extensions: ["png", "jpg", "jpeg"]) }
    }

    func run() throws { try perform() }

    /// The resumed run; `stylize batch` calls it for an interrupted item, with its own `progress`.
    @discardableResult
    func perform(progress: ProgressDisplay? = nil, interruptedHint: String? = nil) throws -> StylizeResult? {
        // Read before the roles are checked: the checkpoint is an input that this command writes again.
        let saved: Checkpoint
        do { saved = try Checkpoint.read(path: checkpoint, memoryLimit: AvailableMemory.bytes) } catch { throw CLIError(error.description) }
        ReadFiles.forget(path: checkpoint)   // read once; the run writes it again (in a batch, recording is already on)
        var plan = saved.plan
        if let output { plan.outputs.image = output }
        plan.outputs.checkpoint = checkpoint
        // The run's whole write set, the checkpoint included: it is written again, so no other output may be it.
        var reads: [FileRoles.Role] = [(plan.content, "the run's --content")] + plan.styles.map { ($0, "the run's --style") }
        if let i = plan.initialization.path { reads.append((i, "the run's --init")) }
        if let regions = plan.regions {
            reads.append((regions.contentMask, "the run's --content-mask"))
            reads += regions.styleMasks.compactMap { $0 }.map { ($0, "the run's --style-mask") }
        }
        try TransferRunner.roles(plan.outputs, reads: reads).check()

        var network = NetworkOptions()
        network.weights = weights ?? saved.weightsSpec
        network.conv = ConvAlgorithm(rawValue: saved.convolution) ?? .auto
        let loaded = try network.loadWeights()
        guard Fingerprint.of(loaded) == saved.weights else {
            throw CLIError("\(checkpoint): the run used other weights than \(loaded.source) (their fingerprints differ); "
                           + "give the run's weight file with --weights")
        }
        // The fingerprints catch accidents; a plan edited to match other weights or images is refused here.
        do { try plan.check(architecture: loaded.architecture) } catch {
            throw CLIError("\(checkpoint): damaged plan: \(error)")
        }
        var inputs = try RunInputs.read(content: plan.content, styles: plan.styles, initialization: plan.initialization, using: readImage)
        try inputs.readMasks(for: plan.regions, using: readImage)
        guard Fingerprint.of(inputs) == saved.inputs else {
            throw CLIError("\(checkpoint): the content, style, --init or mask images changed since the run started "
                           + "(\(([plan.content] + plan.styles).joined(separator: ", "))); the run cannot continue on other images")
        }
        do { try plan.check(inputs: inputs) } catch {
            throw CLIError("\(checkpoint): the plan does not match its images: \(error)")
        }
        if saved.threads != ProcessInfo.processInfo.activeProcessorCount && !quiet {
            Console.error("stylize: the run had \(saved.threads) threads, this machine \(ProcessInfo.processInfo.activeProcessorCount):"
                          + " it continues, but its last bits may differ from an uninterrupted run\n")
        }
        var run = TransferRunner(plan: plan, inputs: inputs, weights: loaded, network: network, quiet: quiet, resume: saved)
        run.progress = progress
        run.interruptedHint = interruptedHint
        return try run.execute(dryRun: false, fit: false)
    }
}
