import ArgumentParser
import Foundation
import NeuralCore

/// The tutorial's layer listing, like Keras' `model.summary()`.
struct LayersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layers",
        abstract: "List the network's layers with their output shapes and parameter counts.")

    @Option(name: .long, help: "Architecture to list (default: that of the weights in use, as a transfer would load them).")
    var model: ModelChoice?

    @Flag(name: .long, help: "Include the classifier top (flatten, fc1, fc2, predictions; input fixed at 224x224).")
    var includeTop = false

    @OptionGroup var network: NetworkOptions

    func validate() throws {
        if model != nil && network.weights != nil { throw CLIError("give --model or --weights, not both") }
    }

    func run() throws {
        let arch: VGGArchitecture
        if let model {
            arch = model.architecture
        } else {
            let weights = try network.loadWeights()
            FileHandle.standardError.write(Data("weights: \(weights.source)\n".utf8))
            arch = weights.architecture
        }
        let rows = arch.layerSummary(includeTop: includeTop, inputSize: includeTop ? (224, 224) : nil)
        print("Model: \"\(arch.name)\" (\(rows.count) layers)")
        let header = " #  " + "Layer (type)".padding(toLength: 30, withPad: " ", startingAt: 0)
            + "Output Shape".padding(toLength: 26, withPad: " ", startingAt: 0) + "Param #"
        print(header)
        print(String(repeating: "=", count: header.count + 4))
        for (i, row) in rows.enumerated() {
            let shape = "(" + row.shape.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + ")"
            print(String(format: "%2d  ", i) + "\(row.name) (\(row.kind.rawValue))".padding(toLength: 30, withPad: " ", startingAt: 0)
                  + shape.padding(toLength: 26, withPad: " ", startingAt: 0) + LayersCommand.grouped(row.params))
        }
        print(String(repeating: "=", count: header.count + 4))
        let total = rows.reduce(0) { $0 + $1.params }
        print("Total params: \(LayersCommand.grouped(total)) (\(String(format: "%.2f", Double(total) * 4 / 1_048_576)) MB)")
    }

    /// 20024384 -> "20,024,384".
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }
}

/// `--model vgg19|vgg16`.
enum ModelChoice: String, ExpressibleByArgument, CaseIterable {
    case vgg19, vgg16
    var architecture: VGGArchitecture { self == .vgg19 ? .vgg19 : .vgg16 }
}
