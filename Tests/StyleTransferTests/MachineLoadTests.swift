import Foundation
import StyleTransfer
import XCTest

/// The busy-machine reading behind the calibration cache: `/proc/stat`'s all-CPU line as the kernel documents it
/// (proc(5): user nice system idle iowait irq softirq steal guest guest_nice, in ticks), and the share of the
/// machine others took, checked against hand-computed values and against a real busy process.
final class MachineLoadTests: XCTestCase {
    func testProcStatLineIsParsedAsProc5Documents() throws {
        let text = "cpu  100 20 30 400 50 6 7 8 90 0\ncpu0 50 10 15 200 25 3 3 4 45 0\nintr 1 2 3\n"
        let times = try XCTUnwrap(MachineLoad.cpuTimes(procStat: text))
        XCTAssertEqual(times.busy, 100 + 20 + 30 + 6 + 7 + 8)
        XCTAssertEqual(times.total, 171 + 400 + 50)
        XCTAssertNil(MachineLoad.cpuTimes(procStat: "cpu0 1 2 3 4 5 6 7 8\n"), "no all-CPU line")
        XCTAssertNil(MachineLoad.cpuTimes(procStat: "cpu  1 2 x 4 5 6 7 8\n"), "malformed")
        XCTAssertNil(MachineLoad.cpuTimes(procStat: "cpu  1 2 3\n"), "too short")
    }

    func testOthersShareSubtractsOwnTime() throws {
        // 2 cores for 10 s: capacity 20 s; the machine was busy 15 s, of which 5 s were ours: others took half.
        let a = MachineLoad.Reading(machineBusy: 100, machineTotal: 1000, own: 1)
        let b = MachineLoad.Reading(machineBusy: 115, machineTotal: 1020, own: 6)
        XCTAssertEqual(try XCTUnwrap(MachineLoad.othersShare(from: a, to: b)), 0.5, accuracy: 1e-12)
        XCTAssertNil(MachineLoad.othersShare(from: a, to: a), "no time passed")
        // Our own time counted slightly above the machine's (tick rounding) is no one else's load.
        let c = MachineLoad.Reading(machineBusy: 101, machineTotal: 1020, own: 6)
        XCTAssertEqual(MachineLoad.othersShare(from: a, to: c), 0)
    }

    /// A real reading while a child process spins on one core for about 0.6 s: others' share rises well above 0
    /// (at least a fifth of one core of the machine's capacity, whatever the core count).
    func testRealReadingSeesABusyProcess() throws {
        guard let before = MachineLoad.read() else { throw XCTSkip("/proc/stat is not readable here") }
        let spin = Process()
        spin.executableURL = URL(fileURLWithPath: "/bin/sh")
        spin.arguments = ["-c", "end=$(($(date +%s%N) + 600000000)); while [ $(date +%s%N) -lt $end ]; do :; done"]
        try spin.run()
        spin.waitUntilExit()
        let after = try XCTUnwrap(MachineLoad.read())
        let share = try XCTUnwrap(MachineLoad.othersShare(from: before, to: after))
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        XCTAssertGreaterThan(share, 0.2 / cores, "a spinning child is someone else's load")
    }

    /// A kept calibration that a run contradicts by more than `correctionFactor` either way is scaled by the run's
    /// ratio (hand-computed: 10 s observed where 40 s were predicted scales the evaluation terms by 0.25); within
    /// the factor, on too few evaluations, or on a busy machine it stands.
    func testCalibrationIsCorrectedOnlyByAQuietRunFarFromIt() throws {
        let kept = TimeCalibration(fixed: 0.02, perMultiply: 4e-11, perVectorValue: 3e-10, kernelTransforms: 0.08)
        let faster = try XCTUnwrap(kept.corrected(observed: 10, predicted: 40, evaluations: 30, othersShare: 0))
        XCTAssertEqual(faster.fixed, 0.005, accuracy: 1e-15)
        XCTAssertEqual(faster.perMultiply, 1e-11, accuracy: 1e-24)
        XCTAssertEqual(faster.kernelTransforms, 0.02, accuracy: 1e-15)
        XCTAssertEqual(faster.perVectorValue, kept.perVectorValue, "the vector term is measured apart and kept")
        let slower = try XCTUnwrap(kept.corrected(observed: 80, predicted: 40, evaluations: 30, othersShare: nil))
        XCTAssertEqual(slower.perMultiply, 8e-11, accuracy: 1e-24)
        XCTAssertNil(kept.corrected(observed: 55, predicted: 40, evaluations: 30, othersShare: 0), "within 1.5x either way")
        XCTAssertNil(kept.corrected(observed: 30, predicted: 40, evaluations: 30, othersShare: 0), "within 1.5x either way")
        XCTAssertNil(kept.corrected(observed: 10, predicted: 40, evaluations: 19, othersShare: 0), "too few evaluations")
        XCTAssertNil(kept.corrected(observed: 80, predicted: 40, evaluations: 30, othersShare: 0.5), "others took half the machine")
        XCTAssertNil(kept.corrected(observed: .nan, predicted: 40, evaluations: 30, othersShare: 0))
        XCTAssertNil(kept.corrected(observed: 10, predicted: 0, evaluations: 30, othersShare: 0))
        XCTAssertNil(kept.corrected(observed: 1e30, predicted: 1e-30, evaluations: 30, othersShare: 0), "an implausible result is not kept")
    }
}
