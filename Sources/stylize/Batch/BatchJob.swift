import Foundation
import Imaging
import NeuralCore
import SafeIO
import StyleTransfer

/// A batch, typed: what `stylize batch` was given (`BatchCommand.job()`), or what `stylize video` asks of it. Each
/// item becomes a `TransferJob` with its content, style, preset and outputs set as fields and these settings.
struct BatchJob {
    /// The contents as given: a folder, a glob, a .txt list or a numbered pattern (`BatchContents.expand`).
    var content: String
    var styles: [String]
    /// Each preset a separate item; nil: the transfer's default, with no name part.
    var presets: [String?]
    /// The output folder.
    var folder: String
    /// The transfer settings of every item.
    var settings: TransferSettings
    /// The part of the batch this process runs, and the scheduler variable it came from.
    var shard: BatchShard = .whole
    var shardSource: String? = nil
    /// The contents are a video's frames, in order: each starts from the previous frame's result.
    var frames = false
    /// With `frames`: the previous result's weight in a frame's start (0: independent frames).
    var frameBlend = 0.5
    var report = false
    var quiet = false
    var dryRun = false
    /// Spatial control (`--content-mask`, `--region`, ...): the regions' styles are every item's styles, and the
    /// content mask is one file for every photo, or a folder holding a mask per photo, `FOLDER/NAME.png` for
    /// `NAME.jpg` (`regions(for:)`).
    var regions: RegionRequest? = nil

    /// The styles that make items: `--style`, or with regions the first region's style (which names the items).
    var itemStyles: [String] {
        guard let regions else { return styles }
        return Array(regions.styleFiles(after: []).prefix(1))
    }

    /// The regions of the item of `content`: its own mask when `--content-mask` is a folder.
    func regions(for content: String) -> RegionRequest? {
        guard var regions else { return nil }
        if let folder = maskFolder {
            regions.contentMask = (folder as NSString).appendingPathComponent(BatchItems.stem(content) + ".png")
        }
        return regions
    }

    /// `--content-mask` when it is a folder of masks, one per photo.
    var maskFolder: String? {
        guard let mask = regions?.contentMask, isFolder(mask) else { return nil }
        return mask
    }

    /// Refuses, before any item runs, a batch whose mask folder lacks a photo's mask, naming the first missing.
    func checkMasks(_ contents: [String]) throws {
        guard let folder = maskFolder else { return }
        let missing = contents.filter { content in
            !FileManager.default.fileExists(atPath: regions(for: content)!.contentMask)
        }
        if let first = missing.first {
            throw CLIError("\(regions(for: first)!.contentMask): no mask for \(first) in --content-mask \(folder) (a mask per photo,"
                           + " named as the photo with .png)" + (missing.count > 1 ? "; \(missing.count) photos have none" : ""))
        }
    }

    /// The settings checked once before the first item: planned for each preset on square stand-in images
    /// with VGG19's layers, so that settings no item can run with (`--size 32 --scales 32`) stop the batch before it
    /// starts. A square is the largest image at a given longest edge and VGG19 has every layer of VGG16, so a
    /// problem found here is a problem of every item.
    func checkEveryItem() throws {
        let square = RGBImage(width: 64, height: 64)
        for preset in presets {
            // An item always has a checkpoint (`BatchRun.itemOutputs`), which `--checkpoint-every` needs.
            let item = TransferJob(content: "content.png", styles: ["style.png"], preset: preset ?? "default", settings: settings,
                                   outputs: RunOutputs(image: "item.png", checkpoint: "item.ckpt", checkpointEvery: settings.checkpointEvery))
            let request = item.request(preset: try Preset.find(item.preset))
            do { _ = try RunPlan(request: request, inputs: RunInputs(content: square, styles: [square]), architecture: .vgg19) } catch {
                throw CLIError("every item would fail: \(error)")
            }
        }
    }

}
