// Resampling of interleaved float images with the same rules as `RGBImage.resized` (area averaging along an axis
// that shrinks, bilinear with half-pixel centres along one that grows), without 8-bit rounding or clamping: the
// coarse-to-fine schedule enlarges its optimised float image with it.

/// Resizes `pixels`, (height, width, channels) interleaved, to (newHeight, newWidth, channels).
/// - Precondition: all sizes at least 1 and `pixels.count == height * width * channels`.
public func resampled(_ pixels: [Float], width: Int, height: Int, channels: Int,
                      toWidth newWidth: Int, height newHeight: Int) -> [Float] {
    precondition(width >= 1 && height >= 1 && channels >= 1 && newWidth >= 1 && newHeight >= 1,
                 "resample sizes must be at least 1")
    precondition(pixels.count == width * height * channels, "resample: pixels must be (height, width, channels)")
    if newWidth == width && newHeight == height { return pixels }
    let xAxis = ResampleAxis(input: width, output: newWidth)
    let yAxis = ResampleAxis(input: height, output: newHeight)
    var rows = [Float](repeating: 0, count: height * newWidth * channels)
    pixels.withUnsafeBufferPointer { src in
        rows.withUnsafeMutableBufferPointer { dst in
            for y in 0..<height {
                let srcRow = y * width * channels, dstRow = y * newWidth * channels
                for x in 0..<newWidth {
                    for k in xAxis.offsets[x]..<xAxis.offsets[x + 1] {
                        let s = srcRow + xAxis.sources[k] * channels, w = xAxis.weights[k]
                        for c in 0..<channels { dst[dstRow + x * channels + c] += w * src[s + c] }
                    }
                }
            }
        }
    }
    let rowLength = newWidth * channels
    var result = [Float](repeating: 0, count: newHeight * rowLength)
    rows.withUnsafeBufferPointer { src in
        result.withUnsafeMutableBufferPointer { dst in
            for y in 0..<newHeight {
                for k in yAxis.offsets[y]..<yAxis.offsets[y + 1] {
                    let srcRow = yAxis.sources[k] * rowLength, w = yAxis.weights[k]
                    for i in 0..<rowLength { dst[y * rowLength + i] += w * src[srcRow + i] }
                }
            }
        }
    }
    return result
}
