import Foundation
import Synchronization

/// Standard output and standard error behind one lock, so that a process ending at once (a second Ctrl-C)
/// can take the lock, print its last line and exit with nothing printed after it.
enum Console {
    private static let lock = Mutex<Void>(())

    /// Writes `text` to standard error (unbuffered).
    static func error(_ text: String) {
        lock.withLock { _ in writeAll(STDERR_FILENO, text) }
    }

    /// Writes `text` to standard output (unbuffered: a command uses either this or `print`, not both).
    static func output(_ text: String) {
        lock.withLock { _ in writeAll(STDOUT_FILENO, text) }
    }

    /// Prints `text` on standard error and ends the process with `status` at once (`_exit`: no atexit handlers,
    /// so nothing runs on while other threads compute), holding the lock so that no other line follows.
    static func exitNow(_ text: String, status: Int32) -> Never {
        lock.withLock { _ in
            writeAll(STDERR_FILENO, text)
            _exit(status)
        }
    }

    private static func writeAll(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            done += n
        }
    }
}
