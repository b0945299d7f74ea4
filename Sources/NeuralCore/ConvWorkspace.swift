import Foundation

/// Scratch memory for the banded im2col / col2im of `Conv3x3`, reused across calls.
///
/// A band is `B` consecutive output rows; its column matrix is `(B * W, 9 * Cin)`. The band
/// height is the largest `B <= H` whose column matrix fits in `scratchLimitBytes`, but at
/// least one row, so the scratch holds at most
/// `max(scratchLimitBytes / 4, W * 9 * Cin)` floats (one row of a 512-wide, 512-channel
/// layer is 9.4 MB). The network owns one workspace and passes it to every convolution.
public final class ConvWorkspace {
    /// Upper bound for the column buffer in bytes (exceeded only when a single row needs more).
    public let scratchLimitBytes: Int
    /// The column buffer; it grows to the largest band seen and never shrinks.
    var columns: [Float] = []

    /// Threads for the passes around the GEMMs (im2col, col2im, bias + ReLU) and for the Winograd workers; a GEMM
    /// itself splits its rows over `GEMM.threadCount` threads (OpenBLAS stays single-threaded).
    public var workers: Int

    /// Target bytes of one Winograd block's transformed input and output (per worker): `defaultWinogradBlockBytes`.
    public var winogradBlockBytes = ConvWorkspace.defaultWinogradBlockBytes
    /// The size of one core's L2 cache as the system reports it, within 1...4 MiB; 4 MiB where it reports none.
    /// Larger blocks share each product's reading of its kernel among more rows; smaller ones keep a block's `V` and
    /// `M` nearer the core. Measured with `stylize-bench --tune alternate-block-kib=N` (evaluations of both sizes in
    /// turn in one process, 30 pairs, median ratio of the pairs; AMD EPYC family 25 model 17, L2 1 MiB, AVX-512,
    /// OpenBLAS Cooperlake): 1 MiB against 4 MiB 0.906 (VGG16 426x426) and 0.934 (VGG19 512x512), 1.5 MiB 0.912 and
    /// 0.951, 2 MiB 0.987 and 0.960, 512 KiB 0.985 (20 pairs). On the Xeon family 6 model 207 (L2 2 MiB, OpenBLAS
    /// SkylakeX), separate runs of VGG19 512x512 took 0.87 s at 4 MiB, 0.89 s at 2 MiB and 8 MiB, 0.93 s at 1 MiB.
    public static let defaultWinogradBlockBytes = blockBytes(levelTwoCache: levelTwoCacheBytes)
    /// The rule of `defaultWinogradBlockBytes` for an L2 cache of `bytes` (nil: unknown).
    public static func blockBytes(levelTwoCache bytes: Int?) -> Int {
        bytes.map { min(max($0, 1 << 20), 4 << 20) } ?? 4 << 20
    }
    /// One core's L2 cache in bytes (`sysconf(_SC_LEVEL2_CACHE_SIZE)`), nil where the system does not report it.
    public static let levelTwoCacheBytes: Int? = {
        let bytes = sysconf(Int32(_SC_LEVEL2_CACHE_SIZE))
        return bytes > 0 ? bytes : nil
    }()
    /// The fewest tiles per Winograd block: the GEMMs' row count.
    public var winogradMinimumBlockTiles = 32
    /// A block has at least `(Cin + Cout) / winogradChannelsPerBlockTile` tiles: 64 for the 512-channel layers,
    /// whose blocks would otherwise be thin (28 tiles in 4 MiB). Measured as above: 0.87 s at 16, 0.86 s at 8
    /// (peak RSS 370 against 388 MiB), 0.99 s without this floor.
    public var winogradChannelsPerBlockTile = 16
    /// Per-worker Winograd scratch (see `Conv3x3.winogradForward`).
    var winogradScratch: [WinogradScratch] = []
    var winogradCapacity = (v: 0, m: 0, edge: 0)

    /// - Parameters:
    ///   - scratchLimitBytes: bound for the column buffer, 4 MiB by default.
    ///   - workers: threads for im2col / col2im / bias; OpenBLAS' thread count by default.
    public init(scratchLimitBytes: Int = 4 << 20, workers: Int? = nil) {
        precondition(scratchLimitBytes > 0, "scratch limit must be positive")
        self.scratchLimitBytes = scratchLimitBytes
        self.workers = max(1, workers ?? GEMM.threadCount)
    }

    deinit { releaseWinograd() }

    /// Bytes the column buffer currently holds.
    public var scratchBytes: Int { columns.count * MemoryLayout<Float>.stride }

    /// Rows per band for an image of the given width and input channels.
    public func bandHeight(height: Int, width: Int, inChannels: Int) -> Int {
        let rowFloats = max(1, width * 9 * inChannels)
        return max(1, min(height, scratchLimitBytes / MemoryLayout<Float>.stride / rowFloats))
    }

    /// Grows the column buffer to at least `count` floats.
    func reserve(_ count: Int) {
        if columns.count < count {
            columns = [Float](repeating: 0, count: count)
        }
    }
}

extension Tensor {
    /// Gives the tensor the shape `(H, W, C)`, reallocating only when the element count grows beyond the storage it
    /// already has (a smaller shape keeps the storage, so that tiles of several sizes share one buffer).
    /// The contents are unspecified afterwards.
    public mutating func reshapeForOutput(height: Int, width: Int, channels: Int) {
        let count = height * width * channels
        if data.count > count {
            data.removeLast(data.count - count)
        } else if data.count < count {
            if data.capacity >= count { data.append(contentsOf: repeatElement(0, count: count - data.count)) }
            else { data = [Float](repeating: 0, count: count) }
        }
        self.height = height
        self.width = width
        self.channels = channels
    }
}

extension ConvWorkspace {
    /// Tiles per Winograd block for a layer: as many as keep one block's `V (36, tiles, Cin)` and
    /// `M (36, tiles, Cout)` within `winogradBlockBytes`, but at least `winogradMinimumBlockTiles` and
    /// `(Cin + Cout) / winogradChannelsPerBlockTile` (fewer rows would leave the GEMMs too thin to run near peak:
    /// each GEMM packs its kernel `U_p (Cin, Cout)` again, and only the block's rows share that cost), and no more
    /// than the layer has.
    public func winogradBlockTiles(tiles: Int, inChannels: Int, outChannels: Int) -> Int {
        let perTile = WinogradKernel.positions * (inChannels + outChannels) * MemoryLayout<Float>.stride
        let fitting = winogradBlockBytes / max(1, perTile)
        let thin = max(winogradMinimumBlockTiles, (inChannels + outChannels) / winogradChannelsPerBlockTile)
        let perWorker = (tiles + workers - 1) / workers
        return max(1, min(perWorker, max(thin, fitting)))
    }

    /// The Winograd scratch of every worker once the layers `(height, width, Cin, Cout)` have run: the blocks'
    /// `V` and `M` grow separately to the largest any layer needed (`reserveWinograd`).
    public func winogradScratchBytes(layers: [(height: Int, width: Int, inChannels: Int, outChannels: Int)]) -> Int {
        var (v, m) = (0, 0)
        for layer in layers where layer.height > 0 && layer.width > 0 {
            let tiles = WinogradTile.tiles(height: layer.height, width: layer.width)
            let block = winogradBlockTiles(tiles: tiles, inChannels: layer.inChannels, outChannels: layer.outChannels)
            v = max(v, WinogradKernel.positions * WinogradTile.planeStride(tiles: block, channels: layer.inChannels))
            m = max(m, WinogradKernel.positions * WinogradTile.planeStride(tiles: block, channels: layer.outChannels))
        }
        return workers * (v + m) * MemoryLayout<Float>.stride
    }

    /// Makes sure every worker has scratch for a block of `blockTiles` tiles of this layer.
    func reserveWinograd(workers: Int, blockTiles: Int, inChannels: Int, outChannels: Int) {
        let v = WinogradKernel.positions * WinogradTile.planeStride(tiles: blockTiles, channels: inChannels)
        let m = WinogradKernel.positions * WinogradTile.planeStride(tiles: blockTiles, channels: outChannels)
        let edge = max(inChannels, outChannels)
        if winogradScratch.count >= workers, winogradCapacity.v >= v, winogradCapacity.m >= m,
           winogradCapacity.edge >= edge { return }
        releaseWinograd()
        let capacity = (v: max(v, winogradCapacity.v), m: max(m, winogradCapacity.m), edge: max(edge, winogradCapacity.edge))
        winogradCapacity = capacity
        winogradScratch = (0 ..< max(workers, self.workers)).map { _ in
            let zeros = UnsafeMutablePointer<Float>.allocate(capacity: capacity.edge)
            zeros.initialize(repeating: 0, count: capacity.edge)
            return WinogradScratch(v: .allocate(capacity: capacity.v), m: .allocate(capacity: capacity.m), zeros: zeros,
                                   discard: .allocate(capacity: capacity.edge), rows: .allocate(capacity: 42))
        }
    }

    func releaseWinograd() {
        for s in winogradScratch {
            s.v.deallocate(); s.m.deallocate(); s.zeros.deallocate(); s.discard.deallocate(); s.rows.deallocate()
        }
        winogradScratch = []
        winogradCapacity = (0, 0, 0)
    }

    /// Bytes of Winograd scratch held, all workers.
    public var winogradScratchBytes: Int {
        winogradScratch.count * (winogradCapacity.v + winogradCapacity.m + 2 * winogradCapacity.edge) * MemoryLayout<Float>.stride
    }
}
