import ArgumentParser
import Ember
import Foundation

/// `ember eval`: accuracy, loss, per-class accuracy and the confusion matrix of a saved model.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a saved model on a test set.",
        discussion: "Reads Ember's safetensors files and PyTorch-written ones (pass --arch when the file does not record it).")

    @OptionGroup var data: DataOptions

    @OptionGroup var modelFile: ModelFileOptions

    @Option(help: "Write the confusion matrix to this SVG file.")
    var plot: String?

    func validate() throws {
        if let plot, !plot.hasSuffix(".svg") { throw ValidationError("--plot writes SVG; give a path ending in .svg, got \(plot)") }
    }

    func run() throws {
        data.applyThreads()
        let (model, architecture, _) = try modelFile.load()
        let test = try data.load(train: false)
        let start = Date()
        model.to(try data.resolvedDevice())
        let result = Evaluation.run(model, on: test, batchSize: data.testBatchSize(for: architecture))
        let seconds = Date().timeIntervalSince(start)
        if let plot {
            try writeTextAtomically(SVGPlot.confusionMatrix(result.confusion,
                title: "\(architecture.rawValue) on \(data.dataset.rawValue): \(String(format: "%.2f", result.accuracy))%"), to: plot)
        }
        if data.json {
            try printJSON([
                "model": modelFile.path, "arch": architecture.rawValue, "dataset": data.dataset.rawValue,
                "test_accuracy": Double(result.accuracy), "test_loss": Double(result.loss),
                "correct": result.correct, "total": result.total,
                "per_class_accuracy": result.perClassAccuracy.map(Double.init), "confusion_matrix": result.confusion,
                "seconds": seconds,
            ])
            return
        }
        print(String(format: "Test accuracy: %.2f%% (%d/%d), test loss %.4f, %.1f ms",
                     result.accuracy, result.correct, result.total, result.loss, seconds * 1000))
        print("\nPer-class accuracy:")
        for (c, accuracy) in result.perClassAccuracy.enumerated() {
            let name = c < test.classes.count ? test.classes[c] : String(c)
            print(String(format: "  %d %-12@ %6.2f%%", c, name, accuracy))
        }
        print("\nConfusion matrix:")
        print(result.confusionText(classNames: test.classes))
        if let plot { print("\nWrote the confusion matrix to \(plot)") }
    }
}
