/// Several datasets of one type as one, end to end, like `torch.utils.data.ConcatDataset`: training
/// on the training and validation sets together once the settings are chosen,
///
///     let all = ConcatDataset([train, validation])
///
/// It holds the datasets, not copies of their samples.
public struct ConcatDataset<Base: Dataset>: Dataset {
    public let datasets: [Base]
    /// Where each dataset ends in the whole: the running totals of their counts.
    public let cumulativeCounts: [Int]

    public init(_ datasets: [Base]) {
        precondition(!datasets.isEmpty, "Ember: ConcatDataset needs at least one dataset")
        self.datasets = datasets
        var total = 0
        cumulativeCounts = datasets.map { total += $0.count; return total }
    }

    public var count: Int { cumulativeCounts.last! }

    public subscript(index: Int) -> Base.Element {
        let (part, local) = locate(index)
        return datasets[part][local]
    }

    /// The dataset holding sample `index`, and the sample's index in it.
    func locate(_ index: Int) -> (part: Int, local: Int) {
        precondition(index >= 0 && index < count, "Ember: ConcatDataset index \(index) is out of range 0..<\(count)")
        // The first dataset that ends after `index` (binary search over the running totals).
        var (low, high) = (0, cumulativeCounts.count - 1)
        while low < high {
            let middle = (low + high) / 2
            if cumulativeCounts[middle] > index { high = middle } else { low = middle + 1 }
        }
        return (low, index - (low > 0 ? cumulativeCounts[low - 1] : 0))
    }
}

/// Datasets that gather whole batches are gathered from in one go per dataset, then put back in order.
extension ConcatDataset: BatchGathering where Base: BatchGathering {
    public func batch(at indices: [Int]) -> (Tensor, Tensor) {
        let located = indices.map(locate)
        var positions = [[Int]](repeating: [], count: datasets.count)
        for (position, (part, _)) in located.enumerated() { positions[part].append(position) }
        let parts = positions.indices.filter { !positions[$0].isEmpty }
        if parts.count == 1 { return datasets[parts[0]].batch(at: located.map(\.local)) }
        let gathered = parts.map { part in datasets[part].batch(at: positions[part].map { located[$0].local }) }
        // Row r of the concatenation holds the sample at position order[r]; invert that to restore the order.
        let order = parts.flatMap { positions[$0] }
        var rowOf = [Int](repeating: 0, count: order.count)
        for (row, position) in order.enumerated() { rowOf[position] = row }
        let (inputs, targets) = (Tensor.cat(gathered.map(\.0), dim: 0), Tensor.cat(gathered.map(\.1), dim: 0))
        let rows = Tensor(rowOf, shape: [rowOf.count], device: inputs.device)
        return (inputs.indexSelect(dim: 0, indices: rows), targets.indexSelect(dim: 0, indices: rows.to(targets.device)))
    }
}
