import Dispatch
import Foundation
import Synchronization

/// Turns SIGINT (Ctrl-C) and SIGTERM into a request to stop after the current step, so that the
/// best image so far can be written. A second signal quits at once without writing.
final class Interrupt {
    private final class Flag: Sendable {
        /// The first signal received, 0 before any.
        let signal = Atomic<Int32>(0)
    }

    private let flag = Flag()
    private var sources: [any DispatchSourceSignal] = []

    init() {
        let queue = DispatchQueue(label: "stylize.signals")
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [flag] in
                if flag.signal.exchange(sig, ordering: .relaxed) != 0 {
                    FileHandle.standardError.write(Data("\nstylize: stopped without saving\n".utf8))
                    exit(128 + sig)
                }
                FileHandle.standardError.write(Data("\nstylize: stopping after this step to save the best image so far (again to quit at once)\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
    }

    var isRequested: Bool { flag.signal.load(ordering: .relaxed) != 0 }

    /// The exit status for an interrupted run: 128 + the signal (130 for SIGINT, 143 for SIGTERM).
    var exitStatus: Int32 { 128 + flag.signal.load(ordering: .relaxed) }
}
