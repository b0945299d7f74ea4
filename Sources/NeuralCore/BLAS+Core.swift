import CCPU
import COpenBLAS
import Foundation

/// The vector instruction set of a processor, of an OpenBLAS core, or of this build's own kernels, in the
/// order of the x86-64 micro-architecture levels.
public enum VectorISA: Int, Comparable, Sendable, CustomStringConvertible {
    /// x86-64 with SSE2 (and SSE3 for OpenBLAS' Prescott core), or any processor that is not x86.
    case baseline = 0
    /// x86-64-v3: AVX2 and FMA.
    case avx2 = 1
    /// x86-64-v4: AVX-512 F, BW, CD, DQ and VL.
    case avx512 = 2

    public static func < (a: VectorISA, b: VectorISA) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(cString: ccpu_isa_name(Int32(rawValue))) }

    /// The level this build's kernels were compiled for (Package.swift, `STYLIZE_ISA`).
    public static var kernels: VectorISA { VectorISA(rawValue: Int(ccpu_build_isa())) ?? .baseline }
}

/// The processor this process runs on, as cpuid reports it.
public struct Processor: Sendable, Equatable {
    public var vendor: String
    public var family: Int
    public var model: Int
    /// The widest level every feature of which the processor and the OS support.
    public var isa: VectorISA

    public init(vendor: String, family: Int, model: Int, isa: VectorISA) {
        (self.vendor, self.family, self.model, self.isa) = (vendor, family, model, isa)
    }

    public static let current: Processor = {
        var info = ccpu_info()
        ccpu_read(&info)
        let vendor = withUnsafeBytes(of: info.vendor) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return Processor(vendor: vendor, family: Int(info.family), model: Int(info.model),
                         isa: VectorISA(rawValue: Int(info.isa)) ?? .baseline)
    }()

    /// `/proc/cpuinfo`'s model name, e.g. "AMD EPYC 7B13" ("unknown processor" where it has none).
    public static let modelName: String = {
        (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown processor"
    }()

    /// "Intel(R) Xeon(R) Processor (GenuineIntel family 6 model 207, AVX-512)".
    public var summary: String { "\(Processor.modelName) (\(vendor) family \(family) model \(model), \(isa))" }
}

/// Which of its kernels ("cores") OpenBLAS runs, and the correction when it chose one older than the processor.
///
/// Debian's OpenBLAS is built with `DYNAMIC_ARCH`: when the library loads, it picks a core from the processor's
/// model number, or takes the one named by `OPENBLAS_CORETYPE`. A processor newer than the library (OpenBLAS 0.3.21
/// and some Xeon models) gets its `Prescott` fallback, which runs SSE3 kernels three times slower than the right
/// ones. The variable is read only while the library loads, so a process that finds the fallback sets it and
/// executes itself again (`correctByReexecuting`) before any BLAS work: the cost is one more process start
/// (about 11 ms), against loading OpenBLAS by hand (`dlopen`) behind every BLAS call of the module.
public enum BLASCore {
    /// The core OpenBLAS runs: `openblas_get_corename()`, e.g. "Haswell", "SkylakeX", "Zen", "Prescott".
    public static var name: String { String(cString: openblas_get_corename()) }

    /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// The library and its version: the first two words of the configuration ("OpenBLAS 0.3.21").
    public static var library: String { configuration.split(separator: " ").prefix(2).joined(separator: " ") }

    /// The vector level of an OpenBLAS x86-64 core (its SGEMM kernel); nil for a name this table does not know.
    public static func isa(ofCore core: String) -> VectorISA? {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return .avx512
        case "haswell", "zen", "excavator": return .avx2
        case "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "nano", "sandybridge", "opteron",
             "opteron_sse3", "barcelona", "bobcat", "bulldozer", "piledriver", "steamroller", "katmai", "coppermine",
             "northwood", "banias", "athlon": return .baseline
        default: return nil
        }
    }

    /// The core to ask for on a processor: SkylakeX for AVX-512, Zen (AMD) or Haswell (others) for AVX2; nil below.
    public static func bestCore(for processor: Processor) -> String? {
        switch processor.isa {
        case .avx512: return "SkylakeX"
        case .avx2: return processor.vendor == "AuthenticAMD" ? "Zen" : "Haswell"
        case .baseline: return nil
        }
    }

    /// What to do about the core OpenBLAS loaded with.
    public enum Decision: Equatable, Sendable {
        /// The core uses what the processor has (or the processor has nothing wider).
        case keep
        /// OpenBLAS fell back to an older core by itself: load it again with `OPENBLAS_CORETYPE` set to this.
        case correct(to: String)
        /// The user set `OPENBLAS_CORETYPE`; it is kept. `better` names a wider core the processor supports.
        case userChoice(String, better: String?)
    }

    /// The environment variable that tells a re-executed process which core OpenBLAS had chosen by itself.
    public static let correctedFromVariable = "STYLIZE_BLAS_CORRECTED_FROM"
    /// Tests only: with it set to 1, `OPENBLAS_CORETYPE` stands for OpenBLAS' own choice rather than the user's,
    /// which is how a test simulates the library falling back on a processor it knows.
    public static let simulateFallbackVariable = "STYLIZE_BLAS_SIMULATE_FALLBACK"

    /// Decides from the loaded core, the processor and the environment. Pure, so that tests can give any of them.
    public static func decide(loadedCore: String, processor: Processor, environment: [String: String]) -> Decision {
        let best = bestCore(for: processor)
        let loadedISA = isa(ofCore: loadedCore)
        let userSet = environment["OPENBLAS_CORETYPE"].map { !$0.isEmpty } ?? false
        let simulated = environment[simulateFallbackVariable] == "1"
        if environment[correctedFromVariable] != nil { return .keep }   // this process is the corrected one
        if userSet && !simulated {
            let better = (loadedISA ?? .baseline) < processor.isa ? best : nil
            return .userChoice(environment["OPENBLAS_CORETYPE"]!, better: better)
        }
        guard let best, let loadedISA, loadedISA < processor.isa else { return .keep }
        return .correct(to: best)
    }

    /// First thing in `main`: when OpenBLAS fell back to a core older than this processor supports and the user
    /// set no `OPENBLAS_CORETYPE`, executes this program again with the right core (same arguments and
    /// descriptors). A user's `OPENBLAS_CORETYPE` is kept; `status` says so (some machines set it for every
    /// process, so a line on standard error at every run would be noise).
    /// Returns when nothing needs doing, or when the new execution could not start (with one line).
    public static func correctByReexecuting(program: String) {
        let environment = ProcessInfo.processInfo.environment
        switch decide(loadedCore: name, processor: .current, environment: environment) {
        case .keep, .userChoice:
            return
        case .correct(let core):
            setenv(correctedFromVariable, name, 1)
            setenv("OPENBLAS_CORETYPE", core, 1)
            unsetenv(simulateFallbackVariable)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            // Only reached when the execution failed: carry on with the slow core and say so.
            let reason = String(cString: strerror(errno))
            unsetenv(correctedFromVariable)
            warn("\(program): OpenBLAS runs its \(name) core on this \(Processor.current.isa) processor and restarting with OPENBLAS_CORETYPE=\(core) failed (\(reason)); set it yourself for about 3x the speed")
        }
    }

    /// One line for `--version`, `--dry-run` and the benchmarks, e.g.
    /// "OpenBLAS 0.3.21, core SkylakeX (corrected from Prescott, which this processor outgrows)".
    public static var status: String {
        let environment = ProcessInfo.processInfo.environment
        var text = "\(library), core \(name)"
        if let from = environment[correctedFromVariable] {
            text += " (corrected from \(from), its fallback on this processor)"
        } else if let core = environment["OPENBLAS_CORETYPE"], !core.isEmpty {
            text += " (set by OPENBLAS_CORETYPE=\(core))"
        } else {
            text += " (as OpenBLAS chose it)"
        }
        if let advice = advice(core: name, processor: .current) { text += "; " + advice }
        return text
    }

    /// What to say when `core` is older than the processor supports (nil otherwise), e.g. "this AVX-512 processor
    /// runs SkylakeX about 3x faster (unset OPENBLAS_CORETYPE)". The factor is named only from an SSE3 core: from an
    /// AVX2 core on an AVX-512 processor sgemm gains much less (4 % on a 2-core AMD EPYC family 25 model 17, Zen
    /// against SkylakeX at 2048, `scripts/blas-compare`).
    public static func advice(core: String, processor: Processor) -> String? {
        guard let coreISA = isa(ofCore: core), coreISA < processor.isa, let best = bestCore(for: processor) else { return nil }
        return "this \(processor.isa) processor runs \(best) \(coreISA == .baseline ? "about 3x faster" : "faster") (unset OPENBLAS_CORETYPE)"
    }

    private static func warn(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// The lines that say what runs the arithmetic: processor, BLAS core, the ISA of the project's kernels and what
/// computes the Winograd products.
public enum ComputeReport {
    public static var lines: [String] {
        let products = WinogradKernel.buildPanelWidth > 0
            ? "stylize's own products on kernels in \(WinogradKernel.buildPanelWidth)-column panels (OpenBLAS where a layer's channels are not a multiple)"
            : "OpenBLAS sgemm products"
        let cache = ConvWorkspace.levelTwoCacheBytes.map { "L2 cache \($0 >> 10) KiB" } ?? "no L2 cache size reported"
        return ["cpu: \(Processor.current.summary)",
                "blas: \(BLASCore.status)",
                "kernels: \(VectorISA.kernels) (built for \(VectorISA.kernels == .baseline ? "any x86-64" : "this processor level"); STYLIZE_ISA=baseline|avx2|avx512 rebuilds)",
                "winograd: \(products), blocks of \(ConvWorkspace.defaultWinogradBlockBytes >> 10) KiB (\(cache))"]
    }
}
