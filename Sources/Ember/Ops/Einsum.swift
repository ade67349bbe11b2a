/// Einstein summation, like `torch.einsum`: `einsum("bqd,bkd->bqk", q, k)` multiplies and sums over the
/// labels that the output leaves out. Labels are letters; `...` stands for the leading dims an operand
/// has beyond its letters, broadcast between operands; without `->`, the output is the labels that
/// occur once, in alphabetical order, after the `...` dims.
///
/// It runs as views, sums and batched matrix products: operands are contracted left to right, each
/// pair as one `matmul` over [batch..., M, K] × [batch..., K, N], so gradients come from those ops.
/// A letter repeated within one operand takes its diagonal first ("ii->i", a trace with "ii").
public func einsum(_ equation: String, _ operands: [Tensor]) -> Tensor {
    let parsed = EinsumEquation(equation, operands)
    var labelled = zip(operands, parsed.inputs).map { LabelledTensor(tensor: $0, labels: $1).diagonalized(equation) }
    // Sum away, in each operand, the labels no other operand and not the output has.
    for i in labelled.indices {
        let elsewhere = Set(parsed.output + labelled.indices.filter { $0 != i }.flatMap { labelled[$0].labels })
        labelled[i] = labelled[i].summing { !elsewhere.contains($0) }
    }
    var result = labelled[0]
    for i in 1..<labelled.count {
        let later = Set(parsed.output + labelled[(i + 1)...].flatMap(\.labels))
        result = result.contracted(with: labelled[i], keeping: later, equation: equation)
    }
    return result.summing { !parsed.output.contains($0) }.permuted(to: parsed.output).tensor
}

public func einsum(_ equation: String, _ operands: Tensor...) -> Tensor { einsum(equation, operands) }

/// A label is a letter's Unicode value, or a negative number for each dim that `...` covers (−1 the last).
typealias EinsumLabel = Int

/// An einsum equation resolved against its operands: one label per dim of each input, and the output's.
struct EinsumEquation {
    let inputs: [[EinsumLabel]]
    let output: [EinsumLabel]

    init(_ equation: String, _ operands: [Tensor]) {
        func fail(_ why: String) -> Never { shapeFailure(ShapeError("einsum(\"\(equation)\"): \(why)")) }
        let sides = equation.replacingOccurrences(of: " ", with: "").components(separatedBy: "->")
        guard sides.count <= 2 else { fail("more than one \"->\"") }
        let terms = sides[0].components(separatedBy: ",")
        guard terms.count == operands.count, !operands.isEmpty else {
            fail("\(terms.count) operand term(s) but \(operands.count) operand(s) given")
        }
        var ellipsisRank = 0
        var inputs: [[EinsumLabel]] = []
        for (term, operand) in zip(terms, operands) {
            let labels = Self.letters(term, fail)
            let hasEllipsis = term.contains("...")
            guard term.components(separatedBy: "...").count <= 2 else { fail("term \"\(term)\" has more than one \"...\"") }
            let covered = operand.rank - labels.count
            guard hasEllipsis ? covered >= 0 : covered == 0 else {
                fail("term \"\(term)\" names \(labels.count) dims but its operand has shape \(operand.shape)")
            }
            let dots = hasEllipsis ? (0..<covered).map { -(covered - $0) } : []
            let split = term.components(separatedBy: "...")
            let before = Self.letters(split[0], fail)
            inputs.append(before + dots + labels.dropFirst(before.count))
            ellipsisRank = max(ellipsisRank, dots.count)
        }
        let allDots = (0..<ellipsisRank).map { -(ellipsisRank - $0) }
        if sides.count == 2 {
            let term = sides[1]
            let split = term.components(separatedBy: "...")
            let before = Self.letters(split[0], fail), after = split.count > 1 ? Self.letters(split[1], fail) : []
            output = term.contains("...") ? before + allDots + after : before
            let known = Set(inputs.flatMap { $0 })
            for label in output where label >= 0 && !known.contains(label) {
                fail("output letter \"\(Character(Unicode.Scalar(UInt32(label))!))\" is in no operand")
            }
            guard Set(output).count == output.count else { fail("a letter repeated in the output") }
        } else {
            var counts: [EinsumLabel: Int] = [:]
            for label in inputs.joined() where label >= 0 { counts[label, default: 0] += 1 }
            output = allDots + counts.filter { $0.value == 1 }.keys.sorted()
        }
        self.inputs = inputs
    }

    /// The letters of a term (dots skipped), stopping on anything else.
    static func letters(_ term: String, _ fail: (String) -> Never) -> [EinsumLabel] {
        term.replacingOccurrences(of: "...", with: "").unicodeScalars.map { scalar in
            guard scalar.properties.isAlphabetic, scalar.isASCII else { fail("\"\(scalar)\" is not a letter") }
            return EinsumLabel(scalar.value)
        }
    }
}

/// A tensor with one einsum label per dim.
struct LabelledTensor {
    var tensor: Tensor
    var labels: [EinsumLabel]

    func size(_ label: EinsumLabel) -> Int { tensor.shape[labels.firstIndex(of: label)!] }

    /// The diagonal over each letter this operand repeats (a view), the letter then named once.
    func diagonalized(_ equation: String) -> LabelledTensor {
        var result = self
        while let (first, second) = result.repeatedPair() {
            guard result.tensor.shape[first] == result.tensor.shape[second] else {
                shapeFailure(ShapeError("einsum(\"\(equation)\"): a repeated letter spans dims of sizes "
                    + "\(result.tensor.shape[first]) and \(result.tensor.shape[second]) (operand of shape \(tensor.shape))"))
            }
            let label = result.labels[first]
            var labels = result.labels
            labels.remove(at: second)
            labels.remove(at: first)
            result = LabelledTensor(tensor: result.tensor.diagonal(dim1: first, dim2: second), labels: labels + [label])
        }
        return result
    }

    /// The positions of the first letter named twice, if any.
    private func repeatedPair() -> (Int, Int)? {
        for (i, label) in labels.enumerated() {
            if let j = labels[(i + 1)...].firstIndex(of: label) { return (i, j) }
        }
        return nil
    }

    /// Sums over the labels that `drop` picks.
    func summing(_ drop: (EinsumLabel) -> Bool) -> LabelledTensor {
        let dims = labels.indices.filter { drop(labels[$0]) }
        guard !dims.isEmpty else { return self }
        return LabelledTensor(tensor: tensor.sum(dims: dims), labels: labels.enumerated().filter { !dims.contains($0.offset) }.map(\.element))
    }

    /// The same tensor with its dims in the order of `order` (a permutation of its labels).
    func permuted(to order: [EinsumLabel]) -> LabelledTensor {
        guard order != labels else { return self }
        return LabelledTensor(tensor: tensor.permute(order.map { labels.firstIndex(of: $0)! }), labels: order)
    }

    /// The product with `other`, summed over the labels they share that `keep` does not hold, as one
    /// batched matmul: batch labels (shared, kept) lead, then this one's own, then the other's.
    func contracted(with other: LabelledTensor, keeping keep: Set<EinsumLabel>, equation: String) -> LabelledTensor {
        var (this, other) = (self, other)
        let shared = labels.filter { other.labels.contains($0) }
        let batch = shared.filter { keep.contains($0) }, summed = shared.filter { !keep.contains($0) }
        // A summed dim of size 1 on one side broadcasts: sum it on the other side first (kept as size 1).
        for label in summed where this.size(label) != other.size(label) {
            if this.size(label) == 1 { other = other.summingKeepingDim(label) }
            else if other.size(label) == 1 { this = this.summingKeepingDim(label) }
        }
        return this.contractedAligned(with: other, batch: batch, summed: summed, equation: equation)
    }

    /// Sums over `label`, keeping its dim with size 1.
    func summingKeepingDim(_ label: EinsumLabel) -> LabelledTensor {
        LabelledTensor(tensor: tensor.sum(dim: labels.firstIndex(of: label)!, keepdim: true), labels: labels)
    }

    private func contractedAligned(with other: LabelledTensor, batch: [EinsumLabel], summed: [EinsumLabel],
                                   equation: String) -> LabelledTensor {
        let shared = batch + summed
        let mine = labels.filter { !shared.contains($0) }, theirs = other.labels.filter { !shared.contains($0) }
        for label in summed where size(label) != other.size(label) {
            shapeFailure(ShapeError("einsum(\"\(equation)\"): a summed dim has size \(size(label)) in one operand and "
                + "\(other.size(label)) in the other (shapes \(tensor.shape) and \(other.tensor.shape))"))
        }
        let batchShape = { (t: LabelledTensor) in batch.map { t.size($0) } }
        let m = mine.map(size).reduce(1, *), k = summed.map(size).reduce(1, *), n = theirs.map(other.size).reduce(1, *)
        let left = permuted(to: batch + mine + summed).tensor.reshape(batchShape(self) + [m, k])
        let right = other.permuted(to: batch + summed + theirs).tensor.reshape(batchShape(other) + [k, n])
        let product = left.matmul(right)   // batch dims broadcast (size 1 against n), as `...` does
        let outBatch = Array(product.shape.dropLast(2))
        return LabelledTensor(tensor: product.reshape(outBatch + mine.map(size) + theirs.map(other.size)),
                              labels: batch + mine + theirs)
    }
}
