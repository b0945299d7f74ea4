import Dispatch
import Foundation
import Synchronization

/// Turns SIGINT (Ctrl-C) and SIGTERM into a request to stop after the current step, so that the
/// best image so far can be written. A second signal quits at once without writing.
final class Interrupt {
    private final class Flag: Sendable {
        let raised = Atomic<Bool>(false)
    }

    private let flag = Flag()
    private var sources: [any DispatchSourceSignal] = []

    init() {
        let queue = DispatchQueue(label: "stylize.signals")
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [flag] in
                if flag.raised.exchange(true, ordering: .relaxed) {
                    FileHandle.standardError.write(Data("\nstylize: stopped without saving\n".utf8))
                    exit(128 + sig)
                }
                FileHandle.standardError.write(Data("\nstylize: stopping after this step to save the best image so far (again to quit at once)\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
    }

    var isRequested: Bool { flag.raised.load(ordering: .relaxed) }
}
