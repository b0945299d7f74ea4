import Foundation

/// How much of the processors other programs took while something was measured: the machine's busy time from
/// `/proc/stat` (every CPU) minus this process' own CPU time (`getrusage`), over the machine's capacity in that time.
///
/// A time calibration made while another program ran would make every later estimate too long (a busy machine
/// once made the demo's estimate 14 minutes instead of 5), so one made while others took more than
/// `busyShare` is used for the run at hand but not kept.
public struct MachineLoad: Sendable {
    /// Others' share of the machine above which a measurement is not kept: a quarter (half a core of two).
    public static let busyShare = 0.25

    /// One reading: the machine's busy and total CPU seconds, and this process' CPU seconds.
    public struct Reading: Sendable, Equatable {
        public var machineBusy: Double
        public var machineTotal: Double
        public var own: Double

        public init(machineBusy: Double, machineTotal: Double, own: Double) {
            self.machineBusy = machineBusy
            self.machineTotal = machineTotal
            self.own = own
        }
    }

    /// The reading now, or nil where `/proc/stat` cannot be read (then nothing is judged busy).
    public static func read() -> Reading? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let times = cpuTimes(procStat: text) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard ticks > 0 else { return nil }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return Reading(machineBusy: times.busy / ticks, machineTotal: times.total / ticks,
                       own: seconds(usage.ru_utime) + seconds(usage.ru_stime))
    }

    /// The all-CPU line of `/proc/stat` ("cpu user nice system idle iowait irq softirq steal ..."), in ticks:
    /// busy = user + nice + system + irq + softirq + steal, total = busy + idle + iowait (guest time is already in
    /// user). Nil when the line is missing or malformed.
    public static func cpuTimes(procStat: String) -> (busy: Double, total: Double)? {
        guard let line = procStat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 8, fields.allSatisfy({ $0 >= 0 && $0.isFinite }) else { return nil }
        let busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
        return (busy, busy + fields[3] + fields[4])
    }

    /// Others' share of the machine between two readings, in 0...1 (nil when no time passed).
    public static func othersShare(from a: Reading, to b: Reading) -> Double? {
        let total = b.machineTotal - a.machineTotal
        guard total > 0 else { return nil }
        let others = (b.machineBusy - a.machineBusy) - (b.own - a.own)
        return min(max(others / total, 0), 1)
    }
}
