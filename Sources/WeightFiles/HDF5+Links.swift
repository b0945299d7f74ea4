/// Where a link of a group leads: an object in this file (hard link), or a soft or external link, which the
/// reader never follows (a soft link can lead back up the tree, an external link to any file on the machine).
enum HDF5Link: Equatable {
    case hard(UInt64)
    case soft
    case external
}

/// What a path names.
enum HDF5Resolution: Equatable {
    case absent
    /// A soft or external link on the path.
    case notFollowed
    case object(UInt64)
}

extension HDF5File {
    /// Follows the hard links of an absolute `/`-separated path from the root group.
    func resolve(_ path: String) throws(FormatProblem) -> HDF5Resolution {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard components.count <= Self.maxPathComponents else {
            throw FormatProblem("path has more than \(Self.maxPathComponents) components")
        }
        var address = superblock.rootAddress
        for component in components {
            guard try objectHeader(at: address).isGroup else { return .absent }
            switch try links(ofGroupAt: address)[String(component)] {
            case nil: return .absent
            case .soft?, .external?: return .notFollowed
            case .hard(let next)?: address = next
            }
        }
        return .object(address)
    }

    /// The address of the object at `path`, or an error when there is none.
    func existing(_ path: String) throws(FormatProblem) -> UInt64 {
        switch try resolve(path) {
        case .object(let address): return address
        case .absent: throw FormatProblem("no such object")
        case .notFollowed: throw FormatProblem("is reached through a soft or external link, which is not followed")
        }
    }

    /// The links of the group whose object header is at `address`, by name; decoded once and cached.
    func links(ofGroupAt address: UInt64) throws(FormatProblem) -> [String: HDF5Link] {
        if let cached = groupLinks[address] { return cached }
        let header = try objectHeader(at: address)
        var links: [String: HDF5Link] = [:]
        if let table = try header.message(HDF5Message.symbolTable, "symbol table") {
            links = try symbolTableLinks(table.body)
        } else if header.isGroup {
            for message in header.messages where message.type == HDF5Message.link {
                let (name, link) = try decodeLink(message.body, "link message in object header at address \(address)")
                links[name] = link
                guard links.count <= Self.maxLinks else { throw FormatProblem("group has more than \(Self.maxLinks) links") }
            }
            if let info = try header.message(HDF5Message.linkInfo, "link info") {
                for (name, link) in try denseLinks(info.body, group: address) {
                    links[name] = link
                    guard links.count <= Self.maxLinks else { throw FormatProblem("group has more than \(Self.maxLinks) links") }
                }
            }
        } else {
            throw FormatProblem("is not a group")
        }
        groupLinks[address] = links
        return links
    }

    /// Decodes a link message (HDF5 specification IV.A.2.g): version 1, flags, optional type, creation order and
    /// character set, the name's length (1-8 bytes) and name, then the hard link's address or the other kinds' data.
    func decodeLink(_ body: [UInt8], _ what: String) throws(FormatProblem) -> (String, HDF5Link) {
        var b = HDF5Bytes(body, offsetSize: superblock.offsetSize, lengthSize: superblock.lengthSize, what: what)
        let version = try b.u8()
        guard version == 1 else { throw FormatProblem("\(what) has version \(version)") }
        let flags = try b.u8()
        let type = flags & 0x08 != 0 ? try b.u8() : 0
        if flags & 0x04 != 0 { try b.skip(8) }
        if flags & 0x10 != 0 { try b.skip(1) }
        let length = try b.int(1 << Int(flags & 0x03), "name length")
        let name = String(decoding: try b.take(length), as: UTF8.self)
        switch type {
        case 0:
            guard let address = try b.address() else { throw FormatProblem("\(what): hard link \(name) has no address") }
            return (name, .hard(address))
        case 1: return (name, .soft)
        case 64: return (name, .external)
        default: throw FormatProblem("\(what): link \(name) has unknown type \(type)")
        }
    }
}
