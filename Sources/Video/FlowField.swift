import CFlow
import Imaging

/// A dense optical flow: for each pixel `p` of the frame it was computed on, the displacement `(u, v)` to where
/// that pixel's content lies in the other frame (`first(x, y) ≈ second(x + u, y + v)`).
public struct FlowField: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// data is (H, W, 2), interleaved (u, v) = (Δx, Δy) in pixels.
    public var data: [Float]

    /// A zero flow.
    public init(width: Int, height: Int) {
        precondition(width >= 0 && height >= 0, "negative flow size")
        self.width = width
        self.height = height
        data = [Float](repeating: 0, count: width * height * 2)
    }

    public init(width: Int, height: Int, data: [Float]) {
        precondition(data.count == width * height * 2, "flow data does not match \(width)x\(height)x2")
        self.width = width
        self.height = height
        self.data = data
    }
}

/// How the flow is computed: OpenCV's DIS with one of its presets (Kroeger, Timofte, Dai & Van Gool, "Fast Optical
/// Flow using Dense Inverse Search", ECCV 2016), or Farneback's polynomial expansion (SCIA 2003).
public enum FlowMethod: String, Sendable, CaseIterable {
    case disUltrafast = "dis-ultrafast"
    case disFast = "dis-fast"
    case disMedium = "dis-medium"
    case farneback

    var code: Int32 {
        switch self {
        case .disUltrafast: return Int32(CFLOW_DIS_ULTRAFAST)
        case .disFast: return Int32(CFLOW_DIS_FAST)
        case .disMedium: return Int32(CFLOW_DIS_MEDIUM)
        case .farneback: return Int32(CFLOW_FARNEBACK)
        }
    }
}

/// OpenCV failed on a pair of frames; the description is one line.
public struct FlowError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ message: String) { description = message }
}

extension FlowField {
    /// The flow from `first` to `second` (same size), computed by OpenCV on their grey levels.
    /// - Complexity: linear in the pixels; at 256×192 a pair of flows took 11 ms (DIS ultrafast) to 63 ms (DIS medium)
    ///   and about 100 ms (Farneback) on this project's 2-core test machine (README, Video).
    /// - Throws: `FlowError` when the sizes differ or OpenCV fails.
    public static func compute(from first: RGBImage, to second: RGBImage, method: FlowMethod = .disMedium) throws -> FlowField {
        guard first.width == second.width, first.height == second.height else {
            throw FlowError("optical flow needs two frames of one size, not \(first.width)x\(first.height) and \(second.width)x\(second.height)")
        }
        guard first.width > 0, first.height > 0 else { throw FlowError("optical flow needs non-empty frames") }
        var flow = FlowField(width: first.width, height: first.height)
        var message = [CChar](repeating: 0, count: 512)
        let count = flow.data.count
        let code = first.pixels.withUnsafeBufferPointer { a in
            second.pixels.withUnsafeBufferPointer { b in
                flow.data.withUnsafeMutableBufferPointer { out in
                    cflow_compute(a.baseAddress, b.baseAddress, Int32(first.width), Int32(first.height), 3, method.code,
                                  out.baseAddress, count, &message, message.count)
                }
            }
        }
        guard code == Int32(CFLOW_OK) else {
            throw FlowError("optical flow (\(method.rawValue)) failed: " + String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return flow
    }
}
