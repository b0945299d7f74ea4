/// A restricted reader of the pickles `torch.save` writes (Python's pickle protocol 2, PEP 307; the opcodes as
/// `Lib/pickletools.py` documents them).
///
/// It is a stack machine like Python's `Unpickler`, but it never imports or calls anything: a GLOBAL is accepted
/// only when it names one of the few callables `torch.save` emits for a dict of tensors (`PickleGlobal`), and
/// REDUCE knows what each of those builds. Any other global or opcode stops the read with one line naming it.
/// The stack, the MARK depth, the nesting of values, the memo and the work spent copying containers are bounded,
/// so that no input can make it recurse deeply, run for long or allocate much beyond the pickle's own size.
indirect enum PickleValue: Equatable {
    case none
    case bool(Bool)
    case int(Int)
    /// A LONG1 integer wider than 64 bits, as its little-endian two's-complement bytes (the legacy magic number).
    case bigInt([UInt8])
    case string(String)
    case tuple([PickleValue])
    case list([PickleValue])
    /// A dict or `collections.OrderedDict`, its items in insertion order.
    case dict([PickleItem])
    case global(PickleGlobal)
    /// The object a persistent id stands for (torch: a storage).
    case persistent(TorchStorageRef)
    case tensor(TorchTensorRef)
}

/// One key and value of a dict.
struct PickleItem: Equatable { var key, value: PickleValue }

/// The only globals a pickle may name: what `torch.save` writes for a (nested) dict of tensors.
enum PickleGlobal: Equatable {
    case orderedDict
    case rebuildTensor, rebuildTensorV2, rebuildParameter
    case storageType(TorchDType)

    /// `module name` as the GLOBAL opcode spells it -> the allowed callable.
    static func allowed(module: String, name: String) -> PickleGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor"): return .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch", _): return TorchDType(storageName: name).map { .storageType($0) }
        default: return nil
        }
    }

    /// The Python name, for messages.
    var name: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensor: return "torch._utils._rebuild_tensor"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .storageType(let dtype): return "the \(dtype.rawValue) storage type"
        }
    }
}

/// A pickle that the restricted reader refuses; `unsupported` for names and opcodes it will not handle.
struct PickleProblem: Error {
    let message: String
    let unsupported: Bool
    init(_ message: String, unsupported: Bool = false) { (self.message, self.unsupported) = (message, unsupported) }
}

struct PickleMachine {
    /// The deepest nesting of tuples, lists and dicts (a torch state dict needs 4).
    static let maxDepth = 32
    /// Values on the stack at once (pickle writes SETITEMS in batches of 1000 pairs).
    static let maxStack = 100_000
    /// Memo entries (a VGG19 state dict uses 390).
    static let maxMemo = 1 << 20
    /// Container items copied or added in all (a dict of n items in batches of 1000 costs about n^2 / 2000).
    static let maxWork = 1 << 26

    private let bytes: [UInt8]
    private(set) var position: Int
    private var stack: [(value: PickleValue, depth: Int)] = []
    private var marks: [Int] = []
    private var memo: [UInt32: (value: PickleValue, depth: Int)] = [:]
    private var work = 0
    /// Turns a persistent id (BINPERSID) into a value; torch's ids are tuples `('storage', type, key, location, n)`.
    private let persistentLoad: (PickleValue) throws(PickleProblem) -> PickleValue

    init(_ bytes: [UInt8], at position: Int = 0,
         persistentLoad: @escaping (PickleValue) throws(PickleProblem) -> PickleValue) {
        self.bytes = bytes
        self.position = position
        self.persistentLoad = persistentLoad
    }

    /// Runs one pickle from `position` to its STOP; `position` is left just after it.
    mutating func load() throws(PickleProblem) -> PickleValue {
        stack = []; marks = []; memo = [:]
        while true {
            let at = position
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()                                           // PROTO
            case 0x2E:                                                          // STOP
                guard stack.count == 1, marks.isEmpty else { throw PickleProblem("STOP at byte \(at) with \(stack.count) values on the stack") }
                return stack[0].value
            case 0x7D: try push(.dict([]))                                      // EMPTY_DICT
            case 0x5D: try push(.list([]))                                      // EMPTY_LIST
            case 0x29: try push(.tuple([]))                                     // EMPTY_TUPLE
            case 0x28:                                                          // MARK
                guard marks.count < Self.maxDepth else { throw PickleProblem("more than \(Self.maxDepth) nested MARKs at byte \(at)") }
                marks.append(stack.count)
            case 0x4E: try push(.none)                                          // NONE
            case 0x88, 0x89: try push(.bool(op == 0x88))                        // NEWTRUE, NEWFALSE
            case 0x4B: try push(.int(Int(try byte())))                          // BININT1
            case 0x4D: try push(.int(Int(try unsigned(2))))                     // BININT2
            case 0x4A: try push(.int(Int(Int32(truncatingIfNeeded: try unsigned(4)))))  // BININT
            case 0x8A:                                                          // LONG1
                let raw = try take(Int(try byte()))
                if raw.count <= 8 {
                    var v: UInt64 = 0
                    for (i, b) in raw.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
                    let shift = UInt64(64 - 8 * raw.count)
                    try push(.int(raw.isEmpty ? 0 : Int(Int64(bitPattern: v << shift) >> Int64(shift))))
                } else {
                    try push(.bigInt(Array(raw)))
                }
            case 0x58: try push(.string(try text(Int(try unsigned(4)), at: at)))  // BINUNICODE
            case 0x8C: try push(.string(try text(Int(try byte()), at: at)))      // SHORT_BINUNICODE
            case 0x74: try pushTuple(try popMark(at), at)                       // TUPLE
            case 0x85, 0x86, 0x87:                                              // TUPLE1, TUPLE2, TUPLE3
                let n = Int(op - 0x84)
                guard stack.count - (marks.last ?? 0) >= n else { throw PickleProblem("TUPLE\(n) at byte \(at) on a short stack") }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                try pushTuple(items, at)
            case 0x71: try put(UInt32(try byte()), at)                          // BINPUT
            case 0x72: try put(UInt32(try unsigned(4)), at)                     // LONG_BINPUT
            case 0x68, 0x6A:                                                    // BINGET, LONG_BINGET
                let index = try op == 0x68 ? UInt32(byte()) : unsigned(4)
                guard let entry = memo[index] else { throw PickleProblem("memo reference \(index) at byte \(at) was never stored") }
                try push(entry.value, depth: entry.depth)
            case 0x63:                                                          // GLOBAL
                let module = try line(at), name = try line(at)
                guard let global = PickleGlobal.allowed(module: module, name: name) else {
                    throw PickleProblem("refuses the pickle global \(module).\(name) at byte \(at) (only torch storages, "
                                        + "torch._utils._rebuild_tensor_v2 and collections.OrderedDict are read)", unsupported: true)
                }
                try push(.global(global))
            case 0x51: try push(try persistentLoad(try pop(at)))                // BINPERSID
            case 0x52:                                                          // REDUCE
                let args = try pop(at), callable = try pop(at)
                try push(try reduce(callable, args, at))
            case 0x62:                                                          // BUILD: an OrderedDict's _metadata
                let state = try pop(at), target = try popEntry(at)
                guard case .dict = target.value, case .dict = state else { throw PickleProblem("BUILD at byte \(at) on a value that is not a dict") }
                try push(target.value, depth: target.depth)
            case 0x73, 0x75:                                                    // SETITEM, SETITEMS
                let items = try op == 0x73 ? popPair(at) : popMark(at)
                guard items.count % 2 == 0 else { throw PickleProblem("SETITEMS at byte \(at) with an odd number of values") }
                try mutateTop(at, adding: items) { container throws(PickleProblem) in
                    guard case .dict(var pairs) = container else { throw PickleProblem("SETITEM at byte \(at) on a value that is not a dict") }
                    for i in stride(from: 0, to: items.count, by: 2) { pairs.append(PickleItem(key: items[i].value, value: items[i + 1].value)) }
                    return .dict(pairs)
                }
            case 0x61, 0x65:                                                    // APPEND, APPENDS
                let items = try op == 0x61 ? [popEntry(at)] : popMark(at)
                try mutateTop(at, adding: items) { container throws(PickleProblem) in
                    guard case .list(var values) = container else { throw PickleProblem("APPEND at byte \(at) on a value that is not a list") }
                    values += items.map(\.value)
                    return .list(values)
                }
            default:
                let printable = (0x21...0x7E).contains(op) ? " '\(Character(UnicodeScalar(op)))'" : ""
                throw PickleProblem("unsupported pickle opcode 0x\(String(op, radix: 16, uppercase: true))\(printable) at byte \(at) "
                                    + "(only the opcodes torch.save writes for tensors are read)", unsupported: true)
            }
        }
    }

    // ---- REDUCE: the allowed callables ---------------------------------------------------------

    private func reduce(_ callable: PickleValue, _ args: PickleValue, _ at: Int) throws(PickleProblem) -> PickleValue {
        guard case .global(let global) = callable, case .tuple(let a) = args else {
            throw PickleProblem("REDUCE at byte \(at) calls something that is not an allowed global")
        }
        switch global {
        case .orderedDict where a.isEmpty: return .dict([])
        case .rebuildTensor where a.count == 4, .rebuildTensorV2 where (6...7).contains(a.count):
            guard case .persistent(let storage) = a[0], case .int(let offset) = a[1],
                  let shape = Self.ints(a[2]), let strides = Self.ints(a[3]) else {
                throw PickleProblem("tensor at byte \(at) lacks a storage, offset, shape or strides")
            }
            return .tensor(TorchTensorRef(storage: storage, offset: offset, shape: shape, strides: strides))
        case .rebuildParameter where a.count == 3:
            guard case .tensor = a[0] else { throw PickleProblem("parameter at byte \(at) does not hold a tensor") }
            return a[0]
        default:
            throw PickleProblem("REDUCE at byte \(at): \(global.name) with \(a.count) arguments is not what torch.save writes")
        }
    }

    /// A tuple of whole numbers (a shape or strides).
    static func ints(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let items) = value else { return nil }
        var out: [Int] = []
        for item in items {
            guard case .int(let n) = item else { return nil }
            out.append(n)
        }
        return out
    }

    // ---- the stack, the memo and the bytes -----------------------------------------------------

    private mutating func push(_ value: PickleValue, depth: Int = 0) throws(PickleProblem) {
        guard stack.count < Self.maxStack else { throw PickleProblem("more than \(Self.maxStack) values on the pickle stack") }
        stack.append((value, depth))
    }

    /// A tuple is one level above its deepest item.
    private mutating func pushTuple(_ items: [(value: PickleValue, depth: Int)], _ at: Int) throws(PickleProblem) {
        let depth = 1 + (items.map(\.depth).max() ?? 0)
        guard depth <= Self.maxDepth else { throw PickleProblem("values nested more than \(Self.maxDepth) deep at byte \(at)") }
        try push(.tuple(items.map(\.value)), depth: depth)
    }

    private mutating func pop(_ at: Int) throws(PickleProblem) -> PickleValue { try popEntry(at).value }

    private mutating func popEntry(_ at: Int) throws(PickleProblem) -> (value: PickleValue, depth: Int) {
        guard stack.count > (marks.last ?? 0), let top = stack.popLast() else { throw PickleProblem("pickle stack underflow at byte \(at)") }
        return top
    }

    private mutating func popPair(_ at: Int) throws(PickleProblem) -> [(value: PickleValue, depth: Int)] {
        let value = try popEntry(at), key = try popEntry(at)
        return [key, value]
    }

    private mutating func popMark(_ at: Int) throws(PickleProblem) -> [(value: PickleValue, depth: Int)] {
        guard let mark = marks.popLast() else { throw PickleProblem("no MARK before byte \(at)") }
        let items = Array(stack[mark...])
        stack.removeLast(stack.count - mark)
        return items
    }

    /// Adds `items` to the container on top of the stack, charging the copy to the work budget.
    private mutating func mutateTop(_ at: Int, adding items: [(value: PickleValue, depth: Int)],
                                    _ change: (PickleValue) throws(PickleProblem) -> PickleValue) throws(PickleProblem) {
        guard stack.count > (marks.last ?? 0) else { throw PickleProblem("pickle stack underflow at byte \(at)") }
        let top = stack.removeLast()
        let size: Int
        switch top.value {
        case .dict(let pairs): size = pairs.count
        case .list(let values): size = values.count
        default: size = 0
        }
        work += size + items.count
        guard work <= Self.maxWork else { throw PickleProblem("pickle builds containers of more than \(Self.maxWork) items in all") }
        let depth = max(top.depth, 1 + (items.map(\.depth).max() ?? 0))
        guard depth <= Self.maxDepth else { throw PickleProblem("values nested more than \(Self.maxDepth) deep at byte \(at)") }
        stack.append((try change(top.value), depth))
    }

    private mutating func put(_ index: UInt32, _ at: Int) throws(PickleProblem) {
        guard let top = stack.last, stack.count > (marks.last ?? 0) else { throw PickleProblem("BINPUT at byte \(at) on an empty stack") }
        guard memo.count < Self.maxMemo || memo[index] != nil else { throw PickleProblem("more than \(Self.maxMemo) memo entries") }
        memo[index] = top
    }

    private mutating func byte() throws(PickleProblem) -> UInt8 {
        guard position < bytes.count else { throw PickleProblem("pickle ends at byte \(position) without STOP") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func unsigned(_ n: Int) throws(PickleProblem) -> UInt32 {
        var v: UInt32 = 0
        for (i, b) in try take(n).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }

    private mutating func take(_ n: Int) throws(PickleProblem) -> ArraySlice<UInt8> {
        guard n <= bytes.count - position else { throw PickleProblem("pickle ends at byte \(bytes.count) inside a value of \(n) bytes") }
        defer { position += n }
        return bytes[position ..< position + n]
    }

    private mutating func text(_ n: Int, at: Int) throws(PickleProblem) -> String {
        guard let s = String(validating: try take(n), as: UTF8.self) else { throw PickleProblem("string at byte \(at) is not UTF-8") }
        return s
    }

    /// One newline-terminated line of a GLOBAL (at most 256 bytes).
    private mutating func line(_ at: Int) throws(PickleProblem) -> String {
        let end = bytes[position...].prefix(257).firstIndex(of: 0x0A)
        guard let end else { throw PickleProblem("GLOBAL at byte \(at) has no name line of at most 256 bytes") }
        let s = try text(end - position, at: at)
        position += 1
        return s
    }
}
