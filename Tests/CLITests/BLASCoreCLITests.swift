import Foundation
import NeuralCore
import XCTest

/// The real binary with OpenBLAS made to pick its fallback core: it restarts itself with the core this processor
/// supports and says so; a core the user set is kept, with one line when the processor could do better.
final class BLASCoreCLITests: XCTestCase {
    func testFallbackIsCorrectedAndReported() throws {
        guard let best = BLASCore.bestCore(for: .current) else {
            throw XCTSkip("this processor has neither AVX2 nor AVX-512: Prescott is not a fallback here")
        }
        // OPENBLAS_CORETYPE=Prescott makes the library load its fallback; the simulation variable makes stylize
        // take it for the library's own choice, as on a processor newer than the library.
        let run = try CLI.run(["--version"], env: ["OPENBLAS_CORETYPE": "Prescott", BLASCore.simulateFallbackVariable: "1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("core \(best) (corrected from Prescott"), run.stdout)
        XCTAssertTrue(run.stdout.contains("cpu: "), run.stdout)
        XCTAssertTrue(run.stdout.contains("kernels: \(VectorISA.kernels)"), run.stdout)
        let products = WinogradKernel.buildPanelWidth > 0 ? "\(WinogradKernel.buildPanelWidth)-column panels" : "OpenBLAS sgemm"
        XCTAssertTrue(run.stdout.contains("winograd: ") && run.stdout.contains(products), run.stdout)
        XCTAssertTrue(run.stdout.contains("blocks of \(ConvWorkspace.defaultWinogradBlockBytes >> 10) KiB"), run.stdout)
        XCTAssertEqual(run.stderr, "", "the correction itself prints nothing on standard error")
    }

    func testUserCoreIsKeptAndNamed() throws {
        guard let best = BLASCore.bestCore(for: .current) else { throw XCTSkip("no wider core than Prescott on this processor") }
        let run = try CLI.run(["--version"], env: ["OPENBLAS_CORETYPE": "Prescott", BLASCore.simulateFallbackVariable: ""])
        XCTAssertEqual(run.status, 0, run.stderr)
        let line = run.stdout.split(separator: "\n").first { $0.hasPrefix("blas: ") } ?? ""
        XCTAssertTrue(line.contains("core Prescott (set by OPENBLAS_CORETYPE=Prescott)"), run.stdout)
        XCTAssertTrue(line.contains("runs \(best) about 3x faster"), run.stdout)
        XCTAssertEqual(run.stderr, "")
    }

    func testDryRunNamesTheCore() throws {
        let run = try CLI.run(["--content", "images/building.jpg", "--style", "images/starry_night.jpg", "--size", "64",
                               "--iterations", "2", "--dry-run"])
        guard run.status == 0 else { throw XCTSkip("sample images or weights missing: \(run.stderr)") }
        XCTAssertTrue(run.stdout.contains("blas: OpenBLAS"), run.stdout)
        XCTAssertTrue(run.stdout.contains("core \(BLASCore.name)") || run.stdout.contains("corrected from"), run.stdout)
    }
}
