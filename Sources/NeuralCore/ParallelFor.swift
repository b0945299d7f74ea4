import Dispatch
import Synchronization

/// The fewest Float values a piece of a memory-bound pass (im2col, col2im, pools) should touch: about 64 KiB,
/// so that handing the piece to another thread (a few microseconds) costs less than the work.
let minimumValuesPerPart = 16384
/// The fewest Float values a piece of the bias-and-ReLU pass writes: it is lighter per value than a copy.
let minimumBiasValuesPerPart = 4096
/// The fewest ReLU mask words a piece of a mask pass handles: 1024 words of 64 bits stand for 65536 values, four
/// times `minimumValuesPerPart`, as a value there costs a compare and a bit, less than a copy.
let minimumMaskWordsPerPart = 1024

/// The fewest positions of `channels` values each a piece of the bias-and-ReLU pass takes: just over
/// `minimumBiasValuesPerPart` values.
@inline(__always)
func biasPositionsPerPart(channels: Int) -> Int { minimumBiasValuesPerPart / max(1, channels) + 1 }

/// Runs `body` on `parts` contiguous pieces of `0 ..< count` at once (`DispatchQueue.concurrentPerform`),
/// or on the whole range in the calling thread when `parts <= 1` or the range is small.
///
/// Used for the memory-bound passes around the GEMMs (im2col, col2im, bias + ReLU), which
/// OpenBLAS does not thread; `body` must only write to memory its own piece owns.
@inline(__always)
func parallelFor(_ count: Int, parts: Int, minimumPerPart: Int = 1, _ body: (Range<Int>) -> Void) {
    let n = min(parts, count / max(1, minimumPerPart))
    if n <= 1 {
        body(0 ..< count)
        return
    }
    withoutActuallyEscaping(body) { body in
        // The pieces write disjoint memory (the caller's contract), so sharing `body` is safe.
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: n) { i in
            work(count * i / n ..< count * (i + 1) / n)
        }
    }
}

/// Runs `body(i, piece)` on exactly `parts` contiguous pieces of `0 ..< count` at once (fewer when
/// `count < parts`), `i` numbering the pieces from 0, so that each can use scratch of its own.
@inline(__always)
func parallelForIndexed(_ count: Int, parts: Int, _ body: (Int, Range<Int>) -> Void) {
    let n = max(1, min(parts, count))
    if n == 1 {
        body(0, 0 ..< count)
        return
    }
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: n) { i in
            work(i, count * i / n ..< count * (i + 1) / n)
        }
    }
}

/// Runs `body(worker, chunk)` for every chunk in `0 ..< chunks` on `parts` threads at once, each thread taking the next
/// chunk not yet taken as it finishes one, `worker` numbering the threads from 0 so that each can use scratch of
/// its own. A thread that runs slower (a busier core, a page fault) takes fewer chunks instead of holding the others up
/// at the end, as a fixed split into `parts` pieces would.
@inline(__always)
func parallelForChunks(_ chunks: Int, parts: Int, _ body: (Int, Int) -> Void) {
    let n = max(1, min(parts, chunks))
    if n == 1 {
        for chunk in 0 ..< chunks { body(0, chunk) }
        return
    }
    let next = Atomic<Int>(0)
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: n) { worker in
            while true {
                let chunk = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if chunk >= chunks { break }
                work(worker, chunk)
            }
        }
    }
}
