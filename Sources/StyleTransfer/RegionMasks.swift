// Spatial control of a transfer by a mask of flat colours: one region per colour, each with its own style or none
// (Gatys, Ecker, Bethge, Hertzmann & Shechtman, "Controlling Perceptual Factors in Neural Style Transfer", CVPR 2017,
// section 4: guided Gram matrices with the "simple" guidance channels).
//
// A content mask is split into one soft mask per region at the mask's own resolution (every pixel to the nearest
// region colour, so that anti-aliased edges go to one side), then each region's mask is resized to the image of a
// scale (area averaging), feathered if asked (a Gaussian of `feather` pixels, the same for every region, so the
// masks still sum to 1 at every pixel), and pooled to each style layer's grid (`LayerMask.pooled(toFactor:)`).
import Foundation
import Imaging
import NeuralCore

/// A region's colour in a mask, `#rrggbb`.
public struct RegionColor: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var red: UInt8, green: UInt8, blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        (self.red, self.green, self.blue) = (red, green, blue)
    }

    /// The common names a mask is drawn with; `green` is the pure `#00ff00` that paint programs give, not CSS's.
    public static let names: [String: RegionColor] = [
        "white": .init(red: 255, green: 255, blue: 255), "black": .init(red: 0, green: 0, blue: 0),
        "red": .init(red: 255, green: 0, blue: 0), "green": .init(red: 0, green: 255, blue: 0),
        "blue": .init(red: 0, green: 0, blue: 255), "yellow": .init(red: 255, green: 255, blue: 0),
        "cyan": .init(red: 0, green: 255, blue: 255), "magenta": .init(red: 255, green: 0, blue: 255),
        "grey": .init(red: 128, green: 128, blue: 128), "gray": .init(red: 128, green: 128, blue: 128),
        "orange": .init(red: 255, green: 165, blue: 0), "purple": .init(red: 128, green: 0, blue: 128),
    ]

    /// `#rrggbb`, `#rgb` (each digit doubled) or a name of `names`; nil for anything else.
    public init?(parsing text: String) {
        let t = text.lowercased()
        if let named = RegionColor.names[t] { self = named; return }
        guard t.hasPrefix("#") else { return nil }
        var digits = Array(t.dropFirst())
        if digits.count == 3 { digits = digits.flatMap { [$0, $0] } }
        guard digits.count == 6, let v = UInt32(String(digits), radix: 16) else { return nil }
        self.init(red: UInt8(v >> 16 & 0xFF), green: UInt8(v >> 8 & 0xFF), blue: UInt8(v & 0xFF))
    }

    public var description: String {
        "#" + [red, green, blue].map { let s = String($0, radix: 16); return s.count == 1 ? "0" + s : s }.joined()
    }

    /// The largest difference of one channel: how far a mask pixel is from this colour.
    func distance(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        max(abs(Int(red) - Int(r)), abs(Int(green) - Int(g)), abs(Int(blue) - Int(b)))
    }

    // Codable as its `#rrggbb` text, so that a checkpoint's and a preset's JSON read as the command line.
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let color = RegionColor(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a colour: \(text)"))
        }
        self = color
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// The regions of a run, as resolved into its plan: the content mask's path, each region's colour, style (an index
/// into the plan's styles, or nil for none) and weight, the style images' own masks, and the feathering.
public struct RegionMap: Sendable, Equatable, Codable {
    public struct Region: Sendable, Equatable, Codable {
        public var color: RegionColor
        /// Index into `RunPlan.styles`; nil: no style term in this region (the content loss alone holds it).
        public var style: Int?
        /// The region's factor on its style term, > 0.
        public var weight: Double
    }
    public var contentMask: String
    public var regions: [Region]
    /// Per style image of the plan, the path of its mask (grey: white uses the pixel, black leaves it out), or nil.
    public var styleMasks: [String?]
    /// Standard deviation in pixels of the output size of the Gaussian that softens the regions' edges; 0: none.
    public var feather: Double

    /// The largest feather: more would blur a 4096 px mask for minutes and leave no region.
    public static let maximumFeather = 64.0

    /// Pixels of a flat colour, as a share of the mask, above which a colour no region names is refused rather
    /// than given to the nearest region: 1%, far above the anti-aliased pixels of a drawn edge.
    static let unnamedColorShare = 0.01
    /// A mask colour farther than this (largest channel difference) from every region's is "unnamed".
    static let unnamedColorDistance = 40
}

/// A mask or a region that cannot be used: one line naming the file and the problem.
public struct RegionError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A soft mask on a grid, `(H, W)` row-major values in `0...1`: a region at an image's or a layer's resolution.
public struct LayerMask: Sendable, Equatable {
    public var height: Int
    public var width: Int
    public var values: [Float]

    public init(height: Int, width: Int, values: [Float]) {
        precondition(values.count == height * width, "LayerMask: (H, W) values")
        (self.height, self.width, self.values) = (height, width, values)
    }

    /// Σ m, the mass that normalises a guided Gram matrix.
    public var mass: Double { values.reduce(0.0) { $0 + Double($1) } }

    /// 2x2 average pooling that rounds down as `MaxPool2x2` does, so that the pooled mask lies on the next block's
    /// grid: `(H / 2, W / 2)`.
    public func pooled() -> LayerMask {
        let (h, w) = (height / 2, width / 2)
        var out = [Float](repeating: 0, count: h * w)
        for y in 0 ..< h {
            for x in 0 ..< w {
                let i = 2 * y * width + 2 * x
                out[y * w + x] = 0.25 * (values[i] + values[i + 1] + values[i + width] + values[i + width + 1])
            }
        }
        return LayerMask(height: h, width: w, values: out)
    }

    /// The mask on the grid of a layer `factor` (a power of two) times smaller: pooled log2(factor) times, mirroring
    /// the network's pools (the paper's "simple" guidance channels).
    public func pooled(toFactor factor: Int) -> LayerMask {
        var m = self, f = factor
        while f > 1 { m = m.pooled(); f /= 2 }
        return m
    }

    /// The mask blurred by a Gaussian of standard deviation `sigma` pixels (truncated at 3σ, edges clamped); a
    /// partition of unity blurred by one kernel stays one.
    public func feathered(sigma: Double) -> LayerMask {
        guard sigma > 0 else { return self }
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        var kernel = (-radius ... radius).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        var rows = [Float](repeating: 0, count: values.count), out = rows
        for y in 0 ..< height {
            for x in 0 ..< width {
                var s: Float = 0
                for k in -radius ... radius { s += kernel[k + radius] * values[y * width + min(max(x + k, 0), width - 1)] }
                rows[y * width + x] = s
            }
        }
        for y in 0 ..< height {
            for x in 0 ..< width {
                var s: Float = 0
                for k in -radius ... radius { s += kernel[k + radius] * rows[min(max(y + k, 0), height - 1) * width + x] }
                out[y * width + x] = s
            }
        }
        return LayerMask(height: height, width: width, values: out)
    }
}

/// The regions of a content mask at the mask's resolution, one `(H, W)` share per region of a `RegionMap`, summing
/// to 1 at every pixel.
public struct RegionMasks: Sendable, Equatable {
    /// (H, W) each, the mask image's size.
    public var shares: [LayerMask]

    /// Splits `mask` into the regions of `colors`: every pixel goes to the nearest colour (largest channel
    /// difference; ties to the first).
    /// - Throws: `RegionError` naming `path`: a region no pixel is nearest to ("empty region"), or a flat colour
    ///   covering more than 1% of the mask far from every region's ("a colour with no style").
    public init(mask: RGBImage, colors: [RegionColor], path: String) throws(RegionError) {
        precondition(!colors.isEmpty, "RegionMasks: one colour at least")
        let n = mask.width * mask.height
        var owner = [Int](repeating: 0, count: n)
        var unnamed: [Int: Int] = [:]   // packed colour -> pixels
        var counts = [Int](repeating: 0, count: colors.count)
        mask.pixels.withUnsafeBufferPointer { p in
            for i in 0 ..< n {
                let (r, g, b) = (p[3 * i], p[3 * i + 1], p[3 * i + 2])
                var best = 0, bestDistance = Int.max
                for (k, color) in colors.enumerated() {
                    let d = color.distance(r, g, b)
                    if d < bestDistance { (best, bestDistance) = (k, d) }
                }
                owner[i] = best
                counts[best] += 1
                if bestDistance > RegionMap.unnamedColorDistance { unnamed[Int(r) << 16 | Int(g) << 8 | Int(b), default: 0] += 1 }
            }
        }
        if let (packed, count) = unnamed.max(by: { $0.value < $1.value }), Double(count) > RegionMap.unnamedColorShare * Double(n) {
            let color = RegionColor(red: UInt8(packed >> 16), green: UInt8(packed >> 8 & 0xFF), blue: UInt8(packed & 0xFF))
            let share = (100 * Double(count) / Double(n)).rounded()
            throw RegionError("\(path): colour \(color) covers \(Int(share))% of the mask and no --region names it;"
                              + " add --region \(color)=STYLE (or =none)")
        }
        if let empty = counts.firstIndex(of: 0) {
            let present = Set(owner).sorted().map { colors[$0].description }.joined(separator: ", ")
            throw RegionError("\(path): no pixel has the colour \(colors[empty]) of --region \(colors[empty]) (the mask's regions: \(present));"
                              + " draw it or drop the --region")
        }
        shares = colors.indices.map { k in
            LayerMask(height: mask.height, width: mask.width, values: owner.map { $0 == k ? 1 : 0 })
        }
    }

    /// Each region's share at `width` x `height` (area averaging when shrinking, bilinear when enlarging, as images
    /// are resized), feathered by `feather` pixels, renormalised to sum to 1 at every pixel.
    public func resized(width: Int, height: Int, feather: Double) -> [LayerMask] {
        var resized = shares.map { share -> LayerMask in
            LayerMask.resize(share, width: width, height: height).feathered(sigma: feather)
        }
        for i in 0 ..< width * height {
            let total = resized.reduce(Float(0)) { $0 + $1.values[i] }
            if total > 0 { for k in resized.indices { resized[k].values[i] /= total } }
        }
        return resized
    }
}

extension LayerMask {
    /// A grey image read as a mask (white 1, black 0; the mean of the three channels), for style masks.
    public init(grey image: RGBImage) {
        let n = image.width * image.height
        var values = [Float](repeating: 0, count: n)
        for i in 0 ..< n {
            values[i] = (Float(image.pixels[3 * i]) + Float(image.pixels[3 * i + 1]) + Float(image.pixels[3 * i + 2])) / (3 * 255)
        }
        self.init(height: image.height, width: image.width, values: values)
    }

    /// `mask` resized as an image is (`RGBImage.resized`), through 16-bit steps: the resampling tables are the
    /// images', the values stay floats.
    static func resize(_ mask: LayerMask, width: Int, height: Int) -> LayerMask {
        if mask.width == width && mask.height == height { return mask }
        // The image resampler works on bytes; two passes (high and low byte) would complicate it for nothing: a
        // region's share is 0 or 1 before resizing, so 8 bits lose nothing but the rounding of edge pixels (1/255).
        var image = RGBImage(width: mask.width, height: mask.height)
        for i in 0 ..< mask.values.count {
            let v = UInt8(max(0, min(255, (mask.values[i] * 255).rounded())))
            image.pixels[3 * i] = v; image.pixels[3 * i + 1] = v; image.pixels[3 * i + 2] = v
        }
        let small = image.resized(width: width, height: height)
        return LayerMask(height: height, width: width, values: (0 ..< width * height).map { Float(small.pixels[3 * $0]) / 255 })
    }
}
