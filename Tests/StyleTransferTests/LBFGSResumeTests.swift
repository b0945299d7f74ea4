import XCTest
import NeuralCore
@testable import StyleTransfer

/// A run resumed from the state of one of its reports against the same run never stopped (the reference): the
/// same evaluations, steps, reports and final point, bit for bit.
final class LBFGSResumeTests: XCTestCase {
    /// Reports as (iteration, evaluations, f bits, step bits) and the result, with a state kept at `keepAt`.
    func run(_ options: LBFGSOptions, keepAt: Int?, from state: LBFGSState? = nil)
        -> (reports: [[UInt64]], result: LBFGSResult, kept: LBFGSState?) {
        var reports: [[UInt64]] = []
        var kept: LBFGSState?
        let result = LBFGS(options: options).minimize(Problems.rosenbrockStart(40), resumingFrom: state,
                                                      objective: Problems.chainedRosenbrock) { it, _, snapshot in
            reports.append([UInt64(it.iteration), UInt64(it.evaluations), it.value.bitPattern, it.step.bitPattern])
            if it.iteration == keepAt { kept = snapshot() }
            return true
        }
        return (reports, result, kept)
    }

    func testResumedRunRepeatsTheUninterruptedRun() {
        // Small history (the ring wraps and drops pairs), with and without the box, stops by budget and by progress.
        for (history, bounds, budget) in [(3, nil, 200), (5, Float(-0.5) ... Float(1.5), 200), (100, nil, 60)] as [(Int, ClosedRange<Float>?, Int)] {
          for precision in HistoryPrecision.allCases {
            var options = LBFGSOptions()
            options.historySize = history
            options.historyPrecision = precision
            options.bounds = bounds
            options.maxEvaluations = budget
            for keepAt in [0, 1, 7, 23] {
                let full = run(options, keepAt: keepAt)
                guard let state = full.kept else { XCTFail("no report at \(keepAt)"); continue }
                XCTAssertTrue(state.isConsistent)
                XCTAssertLessThanOrEqual(state.pairs.count, history)
                let resumed = run(options, keepAt: nil, from: state)
                let label = "history \(history) \(precision), bounds \(String(describing: bounds)), resumed after step \(keepAt)"
                XCTAssertEqual(resumed.reports, Array(full.reports.drop { $0[0] <= UInt64(keepAt) }), label)
                XCTAssertEqual(resumed.result.x.map(\.bitPattern), full.result.x.map(\.bitPattern), label)
                XCTAssertEqual(resumed.result.stop, full.result.stop, label)
                XCTAssertEqual(resumed.result.evaluations, full.result.evaluations, label)
                XCTAssertEqual(resumed.result.iterations, full.result.iterations, label)
            }
          }
        }
    }

    /// The check above can fail: a state with one history pair dropped resumes on another path.
    func testAnAlteredStateChangesThePath() {
        var options = LBFGSOptions()
        options.historySize = 5
        options.maxEvaluations = 100
        let full = run(options, keepAt: 10)
        var state = full.kept!
        state.pairs.removeFirst()
        let altered = run(options, keepAt: nil, from: state)
        XCTAssertNotEqual(altered.result.x.map(\.bitPattern), full.result.x.map(\.bitPattern))
    }
}
