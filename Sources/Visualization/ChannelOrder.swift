/// A channel permutation that puts similar channels next to each other, so block structure in a Gram matrix
/// becomes visible; the same order can be applied to several matrices to compare them.
public enum ChannelOrder {
    /// Greedy nearest-neighbour ordering by row correlation (deterministic).
    ///
    /// Rows i and j are compared by their Pearson correlation (a constant row correlates 0 with everything).
    /// The order starts at the channel with the largest diagonal value, then repeatedly appends the unplaced
    /// channel most correlated with the last placed one; ties go to the lowest index.
    /// - Parameter matrix: (n x n) row-major, e.g. a Gram matrix.
    /// - Returns: a permutation of 0..<n; `order[k]` is the channel shown at position k.
    /// - Complexity: O(n^3) for the correlations, O(n^2) for the walk.
    public static func cluster(matrix: [Float], n: Int) -> [Int] {
        precondition(matrix.count == n * n, "matrix must be n x n")
        if n == 0 { return [] }
        // Centre and normalise each row so a dot product is the correlation.
        var z = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            var mean = 0.0
            for j in 0..<n { mean += Double(matrix[i * n + j]) }
            mean /= Double(n)
            var ss = 0.0
            for j in 0..<n {
                let d = Double(matrix[i * n + j]) - mean
                z[i * n + j] = d
                ss += d * d
            }
            let inv = ss > 0 && ss.isFinite ? 1 / ss.squareRoot() : 0
            for j in 0..<n { z[i * n + j] *= inv }
        }
        var start = 0
        for i in 1..<n where matrix[i * n + i] > matrix[start * n + start] { start = i }
        var placed = [Bool](repeating: false, count: n)
        var order = [start]
        placed[start] = true
        z.withUnsafeBufferPointer { zp in
            while order.count < n {
                let last = order[order.count - 1]
                var best = -1
                var bestCorr = -Double.infinity
                for j in 0..<n where !placed[j] {
                    var dot = 0.0
                    for k in 0..<n { dot += zp[last * n + k] * zp[j * n + k] }
                    if dot > bestCorr { bestCorr = dot; best = j }
                }
                order.append(best)
                placed[best] = true
            }
        }
        return order
    }

    /// The matrix with rows and columns permuted: `out[i][j] = matrix[order[i]][order[j]]`.
    /// - Parameter matrix: (n x n) row-major with n = order.count.
    public static func apply(_ order: [Int], to matrix: [Float]) -> [Float] {
        let n = order.count
        precondition(matrix.count == n * n, "matrix must be n x n for an order of \(n) channels")
        var out = [Float](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n { out[i * n + j] = matrix[order[i] * n + order[j]] }
        }
        return out
    }
}
