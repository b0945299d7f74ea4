import Dispatch
import Foundation
import Synchronization

/// Turns SIGINT (Ctrl-C) and SIGTERM into a request to stop after the current step, so that the
/// best image so far can be written. A second signal quits at once without writing.
final class Interrupt: Sendable {
    private let requested = Atomic<Bool>(false)
    private let sources: [any DispatchSourceSignal]

    init() {
        var sources: [any DispatchSourceSignal] = []
        let queue = DispatchQueue(label: "stylize.signals")
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            sources.append(DispatchSource.makeSignalSource(signal: sig, queue: queue))
        }
        self.sources = sources
        for (source, sig) in zip(sources, [SIGINT, SIGTERM]) {
            source.setEventHandler { [requested] in
                if requested.exchange(true, ordering: .relaxed) {
                    FileHandle.standardError.write(Data("\nstylize: stopped without saving\n".utf8))
                    exit(128 + sig)
                }
                FileHandle.standardError.write(Data("\nstylize: stopping after this step to save the best image so far (again to quit at once)\n".utf8))
            }
            source.resume()
        }
    }

    var isRequested: Bool { requested.load(ordering: .relaxed) }
}
