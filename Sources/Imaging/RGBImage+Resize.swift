// Resizing. Each axis is resampled separately with a table of (source index, weight) per output position:
//   shrinking (output <= input along the axis): area averaging, as OpenCV's INTER_AREA: output pixel i covers the
//     input interval [i*s, (i+1)*s), s = in/out, and averages the input pixels weighted by their overlap.
//   enlarging: bilinear with half-pixel centres, as OpenCV's INTER_LINEAR: src = (i + 0.5)*s - 0.5, clamped to
//     [0, in-1] (a position left of pixel 0 or right of the last pixel takes that edge pixel).
// An image shrunk along one axis and enlarged along the other uses the rule of each axis (OpenCV's INTER_AREA
// instead falls back to a bilinear variant there). Results are rounded to nearest; they match OpenCV within 1.

/// One axis of a separable resampling: output position i reads `weights[offsets[i]..<offsets[i+1]]`.
struct ResampleAxis {
    var offsets: [Int] = [0]
    var sources: [Int] = []
    var weights: [Float] = []

    /// The table for resampling `input` positions to `output` positions (area when shrinking, bilinear when not).
    init(input: Int, output: Int) {
        let scale = Double(input) / Double(output)
        for i in 0..<output {
            if output <= input {
                // OpenCV computeResizeAreaTab: partial cells at both ends, whole cells in between.
                let start = Double(i) * scale, end = start + scale
                let cell = min(scale, Double(input) - start)
                let first = Int(start.rounded(.up)), last = min(Int(end.rounded(.down)), input)
                if Double(first) - start > 1e-3 { append(first - 1, (Double(first) - start) / cell) }
                if first < last { for s in first..<last { append(s, 1 / cell) } }
                if end - Double(last) > 1e-3 && last < input { append(last, min(min(end - Double(last), 1), cell) / cell) }
            } else {
                var position = (Double(i) + 0.5) * scale - 0.5
                var left = Int(position.rounded(.down))
                if left < 0 { left = 0; position = 0 }
                if left >= input - 1 { left = input - 1; position = Double(left) }
                let fraction = position - Double(left)
                append(left, 1 - fraction)
                if fraction > 0 { append(left + 1, fraction) }
            }
            offsets.append(sources.count)
        }
    }

    private mutating func append(_ source: Int, _ weight: Double) {
        sources.append(source)
        weights.append(Float(weight))
    }
}

extension RGBImage {
    /// The image resized to `width` x `height`: area averaging along an axis that shrinks (OpenCV INTER_AREA),
    /// bilinear with half-pixel centres along an axis that grows (OpenCV INTER_LINEAR).
    /// - Complexity: O(width * height * taps) with taps = ceil(in/out) + 1 when shrinking, 2 when enlarging.
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth >= 1 && newHeight >= 1, "resize target \(newWidth)x\(newHeight) must be at least 1x1")
        precondition(width >= 1 && height >= 1, "cannot resize an empty image")
        if newWidth == width && newHeight == height { return self }
        let xAxis = ResampleAxis(input: width, output: newWidth)
        let yAxis = ResampleAxis(input: height, output: newHeight)
        let srcWidth = width, srcHeight = height

        // Horizontal pass: rows is (srcHeight, newWidth, 3) in Float.
        var rows = [Float](repeating: 0, count: srcHeight * newWidth * 3)
        pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { dst in
                for y in 0..<srcHeight {
                    let srcRow = y * srcWidth * 3, dstRow = y * newWidth * 3
                    for x in 0..<newWidth {
                        var r: Float = 0, g: Float = 0, b: Float = 0
                        for k in xAxis.offsets[x]..<xAxis.offsets[x + 1] {
                            let s = srcRow + xAxis.sources[k] * 3, w = xAxis.weights[k]
                            r += w * Float(src[s])
                            g += w * Float(src[s + 1])
                            b += w * Float(src[s + 2])
                        }
                        dst[dstRow + x * 3] = r
                        dst[dstRow + x * 3 + 1] = g
                        dst[dstRow + x * 3 + 2] = b
                    }
                }
            }
        }
        // Vertical pass into the result: (newHeight, newWidth, 3) in UInt8.
        var result = RGBImage(width: newWidth, height: newHeight)
        let rowLength = newWidth * 3
        var accumulator = [Float](repeating: 0, count: rowLength)
        rows.withUnsafeBufferPointer { src in
            result.pixels.withUnsafeMutableBufferPointer { dst in
                accumulator.withUnsafeMutableBufferPointer { acc in
                    for y in 0..<newHeight {
                        for i in 0..<rowLength { acc[i] = 0 }
                        for k in yAxis.offsets[y]..<yAxis.offsets[y + 1] {
                            let srcRow = yAxis.sources[k] * rowLength, w = yAxis.weights[k]
                            for i in 0..<rowLength { acc[i] += w * src[srcRow + i] }
                        }
                        let dstRow = y * rowLength
                        for i in 0..<rowLength { dst[dstRow + i] = UInt8(min(max(acc[i] + 0.5, 0), 255)) }
                    }
                }
            }
        }
        return result
    }

    /// The image resized so its longer side is `longestEdge` pixels, keeping the aspect ratio; the other side is
    /// rounded to the nearest integer, at least 1. See `resized(width:height:)` for the filters.
    public func resized(longestEdge: Int) -> RGBImage {
        precondition(longestEdge >= 1, "longest edge \(longestEdge) must be at least 1")
        let (w, h) = RGBImage.fittedSize(width: width, height: height, longestEdge: longestEdge)
        return resized(width: w, height: h)
    }

    /// The size of a `width` x `height` image fitted to `longestEdge`, the shorter side rounded to nearest (>= 1).
    public static func fittedSize(width: Int, height: Int, longestEdge: Int) -> (width: Int, height: Int) {
        if width >= height {
            let h = Int((Double(height) * Double(longestEdge) / Double(width)).rounded())
            return (longestEdge, max(1, h))
        }
        let w = Int((Double(width) * Double(longestEdge) / Double(height)).rounded())
        return (max(1, w), longestEdge)
    }
}
