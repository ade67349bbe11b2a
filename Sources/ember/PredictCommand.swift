import ArgumentParser
import Ember
import Foundation

/// `ember predict`: classify one test image or an image file and show it in the terminal.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify one image with a saved model: a test image by index, or a PNG, JPEG or PGM file.")

    @OptionGroup var data: DataOptions

    @OptionGroup var modelFile: ModelFileOptions

    @Option(help: "Index of a test image (0 to 9999).")
    var index: Int?

    @Option(help: "A PNG, JPEG, PGM or PPM file: a light digit on a dark background, like MNIST (see --invert); turned gray and resized to 28x28.")
    var image: String?

    @Flag(help: "Invert the image file's gray levels (for a dark digit on a light background).")
    var invert = false

    func validate() throws {
        guard (index == nil) != (image == nil) else {
            throw ValidationError("give exactly one of --index N or --image FILE")
        }
        if let index, index < 0 { throw ValidationError("--index must be non-negative, got \(index)") }
    }

    func run() throws {
        data.applyThreads()
        let (model, _, _) = try modelFile.load()
        let (mean, std) = data.dataset.normalization
        var pixels: [UInt8]
        var label: Int? = nil
        var classNames = data.dataset.spec.classes
        if let index {
            let test = try data.load(train: false)
            guard index < test.count else {
                throw ValidationError("--index \(index) is out of range: the test set has \(test.count) images (0...\(test.count - 1))")
            }
            let plane = test.height * test.width
            pixels = Array(test.pixels[index * plane..<(index + 1) * plane])
            label = test.label(index)
            classNames = test.classes
        } else {
            var file = try Image.read(image!).converted(to: .gray)
            if file.width != 28 || file.height != 28 {
                // Any size is scaled (antialiased) to the 28x28 the model was trained on.
                if !data.json { print("\(image!): resized \(file.width)x\(file.height) to 28x28") }
                file = Image(Resize(height: 28, width: 28)(file.tensor()))
            }
            pixels = invert ? file.pixels.map { 255 - $0 } : file.pixels
        }
        let input = Tensor(pixels.map { (Float($0) / 255 - mean) / std }, shape: [1, 1, 28, 28])
        let probabilities = noGrad { model(input).softmax(dim: 1) }.toArray()
        let top = probabilities.enumerated().sorted { $0.element > $1.element }.prefix(3)
        func name(_ c: Int) -> String { c < classNames.count ? classNames[c] : String(c) }
        if data.json {
            var object: [String: Any] = [
                "prediction": top.first!.offset,
                "top3": top.map { ["class": $0.offset, "name": name($0.offset), "probability": Double($0.element)] },
            ]
            if let label { object["label"] = label }
            try printJSON(object)
            return
        }
        print(terminalArt(pixels, width: 28, height: 28))
        if let label { print("label: \(label) (\(name(label)))") }
        for (rank, entry) in top.enumerated() {
            print(String(format: "%d. %@  %6.2f%%", rank + 1, name(entry.offset), entry.element * 100))
        }
    }
}
