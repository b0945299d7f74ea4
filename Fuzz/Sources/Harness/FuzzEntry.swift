import Foundation

// The libFuzzer harness: every input goes through `FuzzTarget.run` of the target named by the environment
// variable STYLIZE_FUZZ_TARGET (png, jpeg, safetensors, hdf5, preset, checkpoint, manifest, calibration, torch). Built by
// scripts/fuzz with
// `-sanitize=fuzzer,address`. Errors are the expected outcome for bad input; a crash, a sanitizer report, a leak
// or a timeout is a finding.

/// The target chosen for this process, from STYLIZE_FUZZ_TARGET; exits with status 2 when it is not set.
let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["STYLIZE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        complain("set STYLIZE_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")) (got \"\(name)\")")
        exit(2)
    }
    return target
}()

/// This process's scratch file, removed at exit.
let scratchFile: ScratchFile = {
    let file = ScratchFile(tag: selectedTarget.rawValue, fileExtension: selectedTarget.fileExtension)
    atexit { scratchFile.remove() }
    return file
}()

/// libFuzzer's start-up hook: checks STYLIZE_FUZZ_TARGET before the first input.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    _ = selectedTarget
    return 0
}

/// libFuzzer's callback: one input through the selected parser. Always returns 0 (the input may enter the corpus).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size > 0 ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    if let error = selectedTarget.run(bytes, scratch: scratchFile) as? ScratchError {
        complain("\(error)")
        exit(2)
    }
    return 0
}

/// libFuzzer's driver (its documented entry for programs with their own main).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// The entry point SwiftPM links an executable target to (`--defsym main=stylize_fuzz_main`): hands the command
/// line to libFuzzer's driver, so the harness runs the same whichever `main` the linker keeps.
@_cdecl("stylize_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOneInput)
}

/// One line on standard error.
func complain(_ text: String) {
    FileHandle.standardError.write(Data("stylize-fuzz: \(text)\n".utf8))
}
