import Dispatch
import Foundation
import SafeIO
import Synchronization

/// Turns SIGINT (Ctrl-C) and SIGTERM into a request to stop after the current step, so that the best image so far
/// can be written. A second signal quits at once without writing.
///
/// The signals are handled on a dispatch queue, never in a signal handler. The first one only sets a flag that the
/// run loop reads after each step. A second one, at least `repeatWindow` later, removes the temporary files of writes
/// in progress and ends the process with `_exit` while holding the console lock: no `exit()` (whose atexit handlers
/// and destructors would run while the computation goes on), and no line printed after "stopped without saving".
/// Two signals closer than `repeatWindow` count as one: GNU `timeout` signals the process and then its process group,
/// so the process receives its signal twice within microseconds.
final class Interrupt: @unchecked Sendable {   // `sources` is set once in init; the state is atomic
    /// The one handler of the process, installed on first use (the transfer touches it before validating, so that
    /// a signal during loading stops cleanly too).
    static let shared = Interrupt()

    /// Two signals within this many seconds are one request (GNU timeout's double delivery); a person pressing
    /// Ctrl-C twice is slower.
    static let repeatWindow = 0.3

    private final class State: Sendable {
        /// The first signal received, 0 before any.
        let signal = Atomic<Int32>(0)
        /// When the first signal arrived (DispatchTime nanoseconds).
        let firstTime = Atomic<UInt64>(0)
    }

    private let state = State()
    private let sources: [any DispatchSourceSignal]

    private init() {
        var sources: [any DispatchSourceSignal] = []
        let queue = DispatchQueue(label: "stylize.signals")
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [state] in
                let now = DispatchTime.now().uptimeNanoseconds
                if state.signal.compareExchange(expected: 0, desired: sig, ordering: .relaxed).exchanged {
                    state.firstTime.store(now, ordering: .relaxed)
                    Console.error("\nstylize: stopping after this step to save the best image so far (again to quit at once)\n")
                    return
                }
                let first = state.firstTime.load(ordering: .relaxed)
                if Double(now - first) / 1e9 < Interrupt.repeatWindow { return }
                StagedFile.removePendingTemporaries()
                Console.exitNow("\nstylize: stopped without saving\n", status: 128 + sig)
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
        Interrupt.waitUntilCaught([SIGINT, SIGTERM])
    }

    /// libdispatch installs its handler for a signal source asynchronously after `resume`; until then the signal
    /// is ignored (SIG_IGN above) and a Ctrl-C would be lost. Waits, at most a second, until the kernel reports
    /// both signals as caught (`SigCgt` in /proc/self/status), so that once `shared` exists no signal is lost.
    private static func waitUntilCaught(_ signals: [Int32]) {
        let wanted = signals.reduce(UInt64(0)) { $0 | (1 << UInt64($1 - 1)) }
        for _ in 0..<5_000 {
            guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
                  let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16)
            else { return }   // no /proc: nothing to wait on
            if mask & wanted == wanted { return }
            usleep(200)
        }
    }

    var isRequested: Bool { state.signal.load(ordering: .relaxed) != 0 }

    /// The exit status for an interrupted run: 128 + the signal (130 for SIGINT, 143 for SIGTERM).
    var exitStatus: Int32 { 128 + state.signal.load(ordering: .relaxed) }
}
