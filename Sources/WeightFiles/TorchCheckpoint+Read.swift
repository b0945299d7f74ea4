import SafeIO

extension TorchCheckpoint {
    /// Records every storage the pickle names (the legacy container needs their element sizes to step over them).
    final class StorageLog {
        var refs: [String: TorchStorageRef] = [:]

        /// torch's persistent id `('storage', torch.XStorage, key, location, count)`; the legacy container adds a
        /// sixth item, the view of a larger storage, which is None in every file since PyTorch 0.4.
        func load(_ pid: PickleValue) throws(PickleProblem) -> PickleValue {
            guard case .tuple(let t) = pid, t.count == 5 || t.count == 6, t[0] == .string("storage"),
                  case .global(.storageType(let dtype)) = t[1], case .string(let key) = t[2], case .string = t[3],
                  case .int(let count) = t[4], count >= 0 else {
                throw PickleProblem("persistent id is not a torch storage ('storage', type, key, location, size)")
            }
            guard t.count == 5 || t[5] == .none else { throw PickleProblem("storage \(key) is a view of another storage (PyTorch < 0.4)", unsupported: true) }
            let ref = TorchStorageRef(key: key, dtype: dtype, count: count)
            if let seen = refs[key], seen != ref { throw PickleProblem("storage \(key) is named twice with different types or sizes") }
            guard refs.count < TorchCheckpoint.maxStorages || refs[key] != nil else { throw PickleProblem("more than \(TorchCheckpoint.maxStorages) storages") }
            refs[key] = ref
            return .persistent(ref)
        }
    }

    static func run(_ machine: inout PickleMachine, _ name: String, _ what: String) throws(WeightsError) -> PickleValue {
        do { return try machine.load() } catch {
            throw WeightsError(error.unsupported ? .unsupported : .corrupt, file: name, "\(what): \(error.message)")
        }
    }

    /// The tensors of a dict, nested dicts' names joined with dots (`{"state_dict": {"features.0.weight": ...}}`
    /// gives `state_dict.features.0.weight`); values that are not tensors are skipped.
    static func collect(_ value: PickleValue, prefix: String, into found: inout [(String, TorchTensorRef)],
                        _ name: String) throws(WeightsError) {
        guard case .dict(let items) = value else {
            if prefix.isEmpty { throw WeightsError(.unrecognized, file: name, "torch.save file that holds no dict of tensors") }
            return
        }
        for item in items {
            let key: String
            switch item.key {
            case .string(let s): key = s
            case .int(let n): key = String(n)
            default: continue
            }
            let full = prefix.isEmpty ? key : "\(prefix).\(key)"
            if case .tensor(let tensor) = item.value { found.append((full, tensor)) } else {
                try collect(item.value, prefix: full, into: &found, name)
            }
        }
    }

    static func error(_ problem: ZipArchive.Problem, _ name: String) -> WeightsError {
        WeightsError(problem.truncated ? .truncated : .corrupt, file: name, problem.message)
    }

    /// The tensor `key` as float32 in row-major order of its shape (strided tensors are gathered).
    func floats(_ key: String) throws(WeightsError) -> [Float] {
        guard let tensor = tensors[key] else { throw WeightsError(.missingLayer, file: name, "no tensor \(key)") }
        let dtype = tensor.storage.dtype
        guard dtype.isReadable else {
            throw WeightsError(.unsupported, file: name, "\(key) is \(dtype.rawValue); float32, float16, bfloat16, float64 and uint8 are read")
        }
        guard let extent = tensor.extent else {
            throw WeightsError(.corrupt, file: name, "\(key): shape \(tensor.shape), strides \(tensor.strides) and offset \(tensor.offset) are not a valid tensor")
        }
        let (count, end) = extent
        if count == 0 { return [] }
        guard count <= TorchCheckpoint.maxTensorElements else {
            throw WeightsError(.unsupported, file: name, "\(key) has \(count) elements, more than \(TorchCheckpoint.maxTensorElements)")
        }
        let size = dtype.size
        // The storage must hold the elements the tensor reaches: by its pickled count and by its bytes in the file.
        let available: Int
        switch storages[tensor.storage.key] {
        case .member(let member)?: available = member.size / size
        case .bytes(_, let bytes)?: available = bytes / size
        case nil: throw WeightsError(.corrupt, file: name, "\(key): storage \(tensor.storage.key) is missing")
        }
        guard end <= min(tensor.storage.count, available) else {
            throw WeightsError(.corrupt, file: name, "\(key): \(shapeText(tensor.shape)) at offset \(tensor.offset) needs \(end) elements, "
                               + "its storage holds \(min(tensor.storage.count, available))")
        }
        let first = tensor.offset, span = end - tensor.offset
        let raw: [UInt8]
        switch storages[tensor.storage.key]! {
        case .member(let member):
            do { raw = try zip!.read(member, offset: first * size, count: span * size) } catch { throw Self.error(error, name) }
        case .bytes(let offset, _):
            raw = try file.bytes(offset + first * size, span * size, name: name)
        }
        let values = dtype.floats(raw, count: span)
        if tensor.isContiguous { return Array(values.prefix(count)) }
        // Strided: walk the index like an odometer, last dimension fastest.
        var out = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: tensor.shape.count)
        var at = 0
        for i in 0..<count {
            out[i] = values[at]
            var d = index.count - 1
            while d >= 0 {
                index[d] += 1
                at += tensor.strides[d]
                if index[d] < tensor.shape[d] { break }
                at -= tensor.strides[d] * tensor.shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}
