import Foundation
import NeuralCore

extension RunPlan {
    /// Every setting of the plan as (name, value) rows, for `--dry-run` and the run report.
    public var settings: [(key: String, value: String)] {
        let p = preset
        func number(_ v: Double) -> String { "\(v)" }
        let rows: [(key: String, value: String)] = [("content", content), ("style", styles.joined(separator: ", ")),
                ("style blend", blend.map(number).joined(separator: ", ")),
                ("preset", p.name),
                ("scales", scales.map { "\($0.output) (\($0.evaluations) evaluations)" }.joined(separator: " → ")),
                ("style sizes", scales.map { $0.styles.map(\.description).joined(separator: " + ") }.joined(separator: " → ")),
                ("tiles", tileDescription),
                ("content weight", number(p.contentWeight)), ("style weight", number(p.styleWeight)),
                ("tv weight", number(p.tvWeight)), ("content layer", p.contentLayer),
                ("style layers", p.styleLayers.map { "\($0.layer)=\($0.weight)" }.joined(separator: ", ")),
                ("style scale", number(p.styleScale)), ("init", initialization.name), ("seed", "\(seed)"),
                ("original colors", "\(p.originalColors)"), ("L-BFGS history", "\(p.history) pairs, \(historyPrecision.rawValue)"),
                ("normalization", p.normalization.rawValue),
                ("pixel box", pixelBox ? "0...255 during optimisation" : "off (clamped on writing)"),
                ("preconditioner", preconditioned == true ? "image pyramid" : "none"),
                ("network", architecture),
                ("output", outputs.image)]
        let regionRows: [(key: String, value: String)] = regions.map { [("regions", regionDescription($0))] } ?? []
        return rows + regionRows
            + [("report", outputs.report), ("log", outputs.log),
               ("intermediates", outputs.saveEvery.map { "every \($0) steps" }),
               ("checkpoint", outputs.checkpoint.map { path in path + (outputs.checkpointEvery.map { " every \($0) steps and" } ?? "") + " on interruption" })]
                .compactMap { key, value in value.map { (key, $0) } }
    }

    /// "docs/mask.png: #ff0000 starry_night.jpg, #0000ff none (held to the photo); feather 8 px; style masks a.jpg=m.png".
    public func regionDescription(_ map: RegionMap) -> String {
        func name(_ path: String) -> String { (path as NSString).lastPathComponent }
        let regions = map.regions.map { r -> String in
            let style = r.style.map { name(styles[$0]) } ?? "none (held to the photo)"
            return "\(r.color) \(style)" + (r.weight == 1 ? "" : " ×\(r.weight)")
        }
        let masks = zip(styles, map.styleMasks).compactMap { style, mask in mask.map { "\(name(style))=\(name($0))" } }
        return "\(map.contentMask): " + regions.joined(separator: ", ")
            + (map.feather > 0 ? "; feather \(map.feather) px" : "")
            + (masks.isEmpty ? "" : "; style masks " + masks.joined(separator: ", "))
    }

    /// Per tiled scale: "4096x2831 in 6 tiles of 1536 px + 80 px halo", or "none (whole images)".
    var tileDescription: String {
        let tiled: [String] = scales.compactMap { scale in
            guard let arch = VGGArchitecture.named(architecture),
                  let grid = tileGrid(scale.output, tile: scale.tile, architecture: arch) else { return nil }
            return "\(scale.output) in \(grid.tiles.count == 1 ? "1 tile" : "\(grid.tiles.count) tiles") of \(grid.core) px + \(grid.halo) px halo"
        }
        return tiled.isEmpty ? "none (whole images)" : tiled.joined(separator: ", ")
    }

    /// The largest checkpoint file of this plan: the header aside, the vectors of the largest scale with the
    /// longest history it can reach.
    public var checkpointBytes: Int {
        scales.map { Checkpoint.vectorBytes(values: $0.output.values, pairs: historyPairs($0)) }.max() ?? 0
    }
}

/// "42s", "3m05s", "1h02m".
public func durationText(_ seconds: Double) -> String {
    guard seconds.isFinite, abs(seconds) < 1e15 else { return "?" }   // Int(seconds) must not overflow
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%dh%02dm", s / 3600, s % 3600 / 60) }
    return s >= 60 ? String(format: "%dm%02ds", s / 60, s % 60) : "\(s)s"
}
