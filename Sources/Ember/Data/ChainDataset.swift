/// Streams read one after another, like `torch.utils.data.ChainDataset`: shards or files of any
/// `Sequence` types with the same samples, as one `IterableDataset`.
///
///     let all = ChainDataset([Lines(url: part1), Lines(url: part2)])
public struct ChainDataset<Element>: IterableDataset {
    public let parts: [any Sequence<Element>]

    public init(_ parts: [any Sequence<Element>]) { self.parts = parts }

    public func makeIterator() -> Iterator { Iterator(parts: parts) }

    public struct Iterator: IteratorProtocol {
        private let parts: [any Sequence<Element>]
        private var index = 0
        private var current: (any IteratorProtocol<Element>)?

        init(parts: [any Sequence<Element>]) {
            self.parts = parts
            current = parts.first?.makeIterator()
        }

        public mutating func next() -> Element? {
            while current != nil {
                if let sample = current!.next() { return sample }
                index += 1
                current = index < parts.count ? parts[index].makeIterator() : nil
            }
            return nil
        }
    }
}
