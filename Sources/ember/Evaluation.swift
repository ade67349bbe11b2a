import Ember

/// Test-set results: loss, accuracy, per-class accuracy and the confusion matrix.
struct Evaluation {
    var loss: Float
    var correct: Int
    var total: Int
    /// confusion[true][predicted]
    var confusion: [[Int]]

    var accuracy: Float { total == 0 ? 0 : Float(correct) / Float(total) * 100 }

    var perClassAccuracy: [Float] {
        confusion.enumerated().map { c, row in
            let n = row.reduce(0, +)
            return n == 0 ? 0 : Float(row[c]) / Float(n) * 100
        }
    }

    /// Runs `model` over `dataset` in eval mode without recording gradients.
    static func run<D: Dataset>(_ model: Module, on dataset: D, batchSize: Int, classes: Int = 10) -> Evaluation
        where D.Element == (Tensor, Int) {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var result = Evaluation(loss: 0, correct: 0, total: 0,
                                confusion: Array(repeating: Array(repeating: 0, count: classes), count: classes))
        var lossSum: Double = 0
        noGrad {
            let device = model.parameters().first?.device ?? .cpu
            for (cpuImages, labels) in DataLoader(dataset, batchSize: batchSize) {
                let images = cpuImages.to(device)
                let logits = model(images)
                lossSum += Double(crossEntropy(logits, labels.to(device), reduction: .sum).item())
                let predicted = logits.argmax(dim: 1).toIntArray()
                for (p, y) in zip(predicted, labels.toIntArray()) {
                    result.confusion[y][p] += 1
                    if p == y { result.correct += 1 }
                }
                result.total += labels.count
            }
        }
        result.loss = Float(lossSum / Double(max(result.total, 1)))
        return result
    }

    /// The confusion matrix as aligned text.
    func confusionText(classNames: [String]) -> String {
        let width = max(6, String(confusion.flatMap { $0 }.max() ?? 0).count + 1)
        func cell(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        var lines = ["true \\ predicted"]
        lines.append(cell("") + confusion.indices.map { cell(String($0)) }.joined())
        for (r, row) in confusion.enumerated() {
            lines.append(cell(String(r)) + row.map { cell(String($0)) }.joined()
                         + "   " + (r < classNames.count ? classNames[r] : ""))
        }
        return lines.joined(separator: "\n")
    }
}
