import Imaging

/// Everything about one style-transfer run that the HTML report shows.
///
/// `html()` turns it into one self-contained file: images embedded as PNG data URIs, inline CSS, no scripts,
/// no external resources.
public struct RunReport {
    /// One style image and its blend weight.
    public struct Style {
        public var name: String
        public var image: RGBImage
        public var weight: Double

        public init(name: String, image: RGBImage, weight: Double) {
            self.name = name
            self.image = image
            self.weight = weight
        }
    }

    /// Loss terms (e.g. "content", "style", "tv", "total") after one optimizer step.
    public struct LossRecord {
        /// Steps since the run started, over all scales (the plot's x); a scale's step 0, its starting image, sits
        /// at the previous scale's last step.
        public var iteration: Int
        public var terms: [String: Double]
        /// The scale the step belongs to, e.g. "256×177 px" (nil for a single-scale run); the plot marks where it
        /// changes.
        public var scale: String?

        public init(iteration: Int, terms: [String: Double], scale: String? = nil) {
            self.iteration = iteration
            self.terms = terms
            self.scale = scale
        }
    }

    /// A Gram comparison figure of one layer (e.g. from `Heatmap.compare`) and how closely the Grams match.
    public struct GramComparison {
        public var layer: String
        public var image: RGBImage
        /// ‖G_result − G_style‖_F / ‖G_style‖_F (see `relativeFrobeniusError`).
        public var relativeError: Double

        public init(layer: String, image: RGBImage, relativeError: Double) {
            self.layer = layer
            self.image = image
            self.relativeError = relativeError
        }
    }

    public var title: String
    public var content: RGBImage?
    public var styles: [Style] = []
    public var result: RGBImage?
    /// A run with regions: the result with its content mask over it (`RunReport.overlay`), and its caption.
    public var regionOverlay: (image: RGBImage, caption: String)?
    /// In iteration order.
    public var lossHistory: [LossRecord] = []
    public var gramComparisons: [GramComparison] = []
    public var preset: String?
    /// All effective settings, in the order to show them.
    public var settings: [(key: String, value: String)] = []
    /// Which weights were used (file, format, architecture).
    public var weightsDescription: String?
    /// Wall-clock times, e.g. ("load", "0.4 s").
    public var timings: [(key: String, value: String)] = []
    /// Why the optimiser stopped.
    public var stopReason: String?

    public init(title: String) {
        self.title = title
    }

    /// ‖b − a‖_F / ‖a‖_F over two equally long matrices (infinity when a is zero and b is not; 0 when both are).
    public static func relativeFrobeniusError(reference a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "matrices differ in size")
        var num = 0.0, den = 0.0
        for i in 0..<a.count {
            let d = Double(b[i]) - Double(a[i])
            num += d * d
            den += Double(a[i]) * Double(a[i])
        }
        if den == 0 { return num == 0 ? 0 : .infinity }
        return (num / den).squareRoot()
    }

    /// Where the history moves to another scale: (x of the new scale's first record, its label).
    public func scaleChanges() -> [(x: Double, label: String)] {
        var out: [(x: Double, label: String)] = []
        for (previous, record) in zip(lossHistory, lossHistory.dropFirst()) where record.scale != previous.scale {
            out.append((Double(record.iteration), record.scale ?? ""))
        }
        return out
    }

    /// The loss history as plot series, one per term: "total" first, the others by name.
    public func lossSeries() -> (x: [Double], series: [(name: String, values: [Double])]) {
        var names = Set<String>()
        for record in lossHistory { names.formUnion(record.terms.keys) }
        let ordered = names.sorted { ($0 == "total" ? 0 : 1, $0) < ($1 == "total" ? 0 : 1, $1) }
        let series = ordered.map { name in (name: name, values: lossHistory.map { $0.terms[name] ?? .nan }) }
        return (lossHistory.map { Double($0.iteration) }, series)
    }
}

extension RunReport {
    /// `picture` with `mask` (resized to it, nearest pixel) over it: each pixel a mix of 60% picture and 40% mask
    /// colour, and the borders between the mask's colours in full colour, so that a reader sees where each
    /// region's style went.
    /// - Parameters:
    ///   - picture: the result.
    ///   - mask: the content mask, of any size.
    public static func overlay(_ picture: RGBImage, mask: RGBImage) -> RGBImage {
        let (w, h) = (picture.width, picture.height)
        var out = picture
        guard w > 0, h > 0, mask.width > 0, mask.height > 0 else { return out }
        func maskPixel(_ x: Int, _ y: Int) -> Int {
            let mx = min(mask.width - 1, x * mask.width / w), my = min(mask.height - 1, y * mask.height / h)
            return 3 * (my * mask.width + mx)
        }
        for y in 0 ..< h {
            for x in 0 ..< w {
                let m = maskPixel(x, y), o = 3 * (y * w + x)
                let sameRight = x + 1 == w || (0 ..< 3).allSatisfy { mask.pixels[maskPixel(x + 1, y) + $0] == mask.pixels[m + $0] }
                let sameBelow = y + 1 == h || (0 ..< 3).allSatisfy { mask.pixels[maskPixel(x, y + 1) + $0] == mask.pixels[m + $0] }
                for k in 0 ..< 3 {
                    let c = Double(mask.pixels[m + k])
                    out.pixels[o + k] = sameRight && sameBelow
                        ? UInt8((0.6 * Double(picture.pixels[o + k]) + 0.4 * c).rounded()) : UInt8(c)
                }
            }
        }
        return out
    }
}
