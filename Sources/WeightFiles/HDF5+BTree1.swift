/// Version 1 B-trees (HDF5 specification III.A.1): "TREE", node type (0 group, 1 raw data chunks), level,
/// entries used, left and right siblings, then keys and child addresses alternating (key 0, child 0, ..., key N).
/// Leaves (level 0) point at symbol table nodes or chunks.
extension HDF5File {
    /// Calls `visit(key, child)` for every child of every leaf of the tree at `root`, with the key before it.
    /// Each node is read once (a visited set), the level must fall by one at each step down, and the depth is
    /// at most `maxTreeDepth`.
    func walkBTree1(at root: UInt64, type: UInt8, keySize: Int,
                    _ visit: ([UInt8], UInt64) throws(FormatProblem) -> Void) throws(FormatProblem) {
        var visited: Set<UInt64> = []
        var stack: [(address: UInt64, level: Int?)] = [(root, nil)]
        let o = superblock.offsetSize
        while let (address, expected) = stack.popLast() {
            let what = "B-tree node at address \(address)"
            guard visited.insert(address).inserted else { throw FormatProblem("\(what) is reached twice") }
            var head = try read(address, count: 8 + 2 * o, what)
            try head.signature("TREE")
            let nodeType = try head.u8()
            let level = Int(try head.u8())
            let entries = try head.u16()
            guard nodeType == type else { throw FormatProblem("\(what) has type \(nodeType), expected \(type)") }
            guard level <= Self.maxTreeDepth, expected == nil || level == expected else {
                throw FormatProblem("\(what) has level \(level)\(expected.map { ", expected \($0)" } ?? "")")
            }
            guard let size = checkedProduct(entries, keySize + o).flatMap({ checkedSum($0, 8 + 2 * o + keySize) }) else {
                throw FormatProblem("\(what) is too large")
            }
            var node = try read(address, count: size, what)
            try node.skip(8 + 2 * o)
            var children: [UInt64] = []
            for _ in 0..<entries {
                let key = try node.take(keySize)
                guard let child = try node.address() else { throw FormatProblem("\(what) has an undefined child") }
                if level == 0 { try visit(key, child) } else { children.append(child) }
            }
            for child in children.reversed() { stack.append((child, level - 1)) }
        }
    }
}
