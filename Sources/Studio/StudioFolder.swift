import Foundation
import Imaging
import SafeIO

/// A problem with a request: its HTTP status and one line for the page.
public enum StudioError: Error, CustomStringConvertible, Equatable {
    case badRequest(String)
    case notFound(String)
    case conflict(String)
    case tooLarge(String)
    case unsupportedMediaType(String)

    public var description: String {
        switch self {
        case .badRequest(let m), .notFound(let m), .conflict(let m), .tooLarge(let m), .unsupportedMediaType(let m): m
        }
    }
}

/// The folder the studio picks its photos and styles from (`stylize studio --folder DIR`), by name only, and
/// where uploads go. The page never names a path: a name is checked against the folder's listing.
public struct StudioFolder: Sendable {
    /// The folder as given.
    public let path: String

    /// Image files the studio lists and accepts.
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]
    /// The largest upload: 20 MiB, more than a 12-megapixel JPEG from a phone, far less than `InputLimits.imageBytes`.
    public static let uploadLimit = 20 << 20
    /// The longest file name accepted (NAME_MAX less room for the staged write's temporary name).
    public static let nameLimit = 200

    public init(path: String) { self.path = path }

    /// The image files of the folder, by name, sorted; hidden files and subfolders are not listed.
    public func images() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { name in
            Self.isPlainName(name) && Self.extensions.contains((name as NSString).pathExtension.lowercased())
                && FileManager.default.fileExists(atPath: file(name)) && !isFolder(file(name))
        }.sorted()
    }

    /// The path of a listed image.
    /// - Throws: `.badRequest` for a name that is not a plain file name, `.notFound` for one the folder does not list.
    public func image(named name: String) throws -> String {
        guard Self.isPlainName(name) else { throw StudioError.badRequest("\(name.debugDescription) is not a file name: names only, no \"/\" or \"..\"") }
        guard images().contains(name) else { throw StudioError.notFound("no image named \(name.debugDescription) in the studio's folder") }
        return file(name)
    }

    /// Checks an upload, decodes it with the project's image readers and writes it into the folder under `name`.
    /// - Throws: `.badRequest` for a bad name, `.conflict` when the name is taken, `.unsupportedMediaType` for bytes
    ///   that are no PNG or JPEG, `.tooLarge` above `uploadLimit`.
    /// - Returns: the path written.
    @discardableResult
    public func store(upload bytes: [UInt8], name: String) throws -> String {
        guard Self.isPlainName(name) else { throw StudioError.badRequest("\(name.debugDescription) is not a file name: names only, no \"/\" or \"..\"") }
        guard Self.extensions.contains((name as NSString).pathExtension.lowercased()) else {
            throw StudioError.badRequest("\(name): an upload is named NAME.png, NAME.jpg or NAME.jpeg")
        }
        guard bytes.count <= Self.uploadLimit else { throw StudioError.tooLarge("the upload is larger than \(Self.uploadLimit >> 20) MiB") }
        let target = file(name)
        guard !FileManager.default.fileExists(atPath: target) else { throw StudioError.conflict("\(name) exists in the studio's folder; choose another name") }
        do { _ = try RGBImage(decoding: bytes, path: name) } catch {
            throw StudioError.unsupportedMediaType("\(error)")
        }
        do { try AtomicFile.write(bytes, to: target) } catch { throw StudioError.conflict("\(error)") }
        return target
    }

    private func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// A name that stays in the folder: not empty, at most `nameLimit` bytes, no `/`, not starting with `.` (so
    /// neither `..` nor hidden files), no control characters or backslashes.
    public static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= nameLimit && !name.contains("/") && !name.contains("\\") && !name.hasPrefix(".")
            && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}

