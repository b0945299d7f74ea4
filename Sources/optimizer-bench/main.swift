// optimizer-bench: the cost of one L-BFGS step without the objective (two-loop recursion over a full history,
// line-search vector work, history update), on the size of a 512x354 RGB image.
//
// Usage: optimizer-bench [--width 512] [--height 354] [--history 100] [--steps 20] [--box]
//
// The objective is a cheap separable quadratic f = 0.5 sum c_i (x_i - t_i)^2 with seeded random c_i in
// [1e-3, 10] (log-uniform), so L-BFGS never converges within the run. After the history is full, it times `--steps` more
// steps with the same clock that `stylize transfer --log` reports (`optimizer_seconds`).
import Foundation
import NeuralCore
import StyleTransfer

BLASCore.correctByReexecuting(program: "optimizer-bench")
for line in ComputeReport.lines { print(line) }
var width = 512, height = 354, history = 100, steps = 20, box = false
var arguments = CommandLine.arguments.dropFirst()
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("optimizer-bench: \(message)\n".utf8))
    exit(2)
}
while let option = arguments.popFirst() {
    func value() -> Int {
        guard let text = arguments.popFirst(), let v = Int(text), v > 0 else { fail("\(option) needs a positive integer") }
        return v
    }
    switch option {
    case "--width": width = value()
    case "--height": height = value()
    case "--history": history = value()
    case "--steps": steps = value()
    case "--box": box = true
    case "-h", "--help":
        print("usage: optimizer-bench [--width 512] [--height 354] [--history 100] [--steps 20] [--box]")
        exit(0)
    default: fail("unknown option \(option) (see --help)")
    }
}

let n = width * height * 3
var rng = SplitMix64(seed: 1)
let curvature = (0 ..< n).map { _ in Float(pow(10, -3 + 4 * rng.nextUniform())) }
let target = (0 ..< n).map { _ in Float(255 * rng.nextUniform()) }
let x0 = (0 ..< n).map { _ in Float(255 * rng.nextUniform()) }
var options = LBFGSOptions()
options.historySize = history
options.maxIterations = history + steps
options.maxEvaluations = 100 * (history + steps)
options.gradientTolerance = 0
options.progressTolerance = -1
if box { options.bounds = 0 ... 255 }
var optimizerMs: [Double] = [], objectiveMs: [Double] = [], evaluationsPerStep: [Int] = []
var lastEvaluations = 0
let start = Date()
let result = LBFGS(options: options).minimize(x0, objective: { x, g in
    var f = 0.0
    for i in 0 ..< n {
        let r = x[i] - target[i]
        g[i] = curvature[i] * r
        f += Double(0.5 * curvature[i] * r * r)
    }
    return f
}, onIteration: { it, _ in
    if it.iteration > history {
        optimizerMs.append(it.optimizerSeconds * 1000)
        objectiveMs.append(it.objectiveSeconds * 1000)
        evaluationsPerStep.append(it.evaluations - lastEvaluations)
    }
    lastEvaluations = it.evaluations
    return true
})
let sorted = optimizerMs.sorted()
print("n = \(n) (\(width)x\(height)x3), history \(history), \(box ? "box 0...255" : "no box"), \(VectorOps.parts) parts; "
      + String(format: "%.1f s total; %@", Date().timeIntervalSince(start), result.message))
print(String(format: "optimizer step with a full history: median %.1f ms, min %.1f ms, max %.1f ms over %d steps "
             + "(%.2f evaluations per step; the quadratic objective took %.1f ms per step)",
             sorted[sorted.count / 2], sorted.first!, sorted.last!, sorted.count,
             Double(evaluationsPerStep.reduce(0, +)) / Double(evaluationsPerStep.count),
             objectiveMs.reduce(0, +) / Double(objectiveMs.count)))

// The memory floor: the two-loop recursion reads each of the 2m history vectors twice. Time the same reads as
// plain dot products of each vector with itself (one pass, no writes).
do {
    let total = 2 * history * n
    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: total)
    defer { buffer.deallocate() }
    VectorOps.forEachPart(total) { range in for i in range { buffer[i] = Float(i % 7) } }
    var times: [Double] = []
    var sink = 0.0
    for _ in 0 ..< 5 {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0 ..< 2 {
            for v in 0 ..< 2 * history {
                let slice = UnsafeBufferPointer(rebasing: buffer[v * n ..< (v + 1) * n])
                sink += VectorOps.dot(slice, slice)
            }
        }
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-6)
    }
    let bytes = Double(4 * 2 * total)
    print(String(format: "memory floor: reading the history twice (%.0f MB) takes %.1f ms at best (%.1f GB/s)%@",
                 bytes / 1e6, times.min()!, bytes / times.min()! / 1e6, sink.isFinite ? "" : " "))
}
