import ArgumentParser
import Ember
import Foundation

/// The datasets `ember` knows, with their normalization constants.
public enum DatasetName: String, ExpressibleByArgument, CaseIterable {
    case mnist
    case fashionMNIST = "fashion-mnist"
    case kmnist

    public var spec: IDXDatasetSpec {
        switch self {
        case .mnist: return .mnist
        case .fashionMNIST: return .fashionMNIST
        case .kmnist: return .kmnist
        }
    }

    public var normalization: (mean: Float, std: Float) {
        switch self {
        case .mnist: return (MNIST.mean, MNIST.std)
        case .fashionMNIST: return (FashionMNIST.mean, FashionMNIST.std)
        case .kmnist: return (KMNIST.mean, KMNIST.std)
        }
    }

    /// Loads a split, normalized like the seed programs (`Normalize(mean, std)`).
    public func load(train: Bool, dataDirectory: String?, progress: Bool, augment: [any Transform] = []) throws -> IDXImageDataset {
        let (mean, std) = normalization
        let normalize: any Transform = Normalize(mean: mean, std: std)
        let transform: any Transform = augment.isEmpty ? normalize : Compose(augment + [normalize])
        return try IDXImageDataset(spec, train: train, root: dataDirectory.map { URL(fileURLWithPath: $0) },
                                   download: true, transform: transform, progress: progress)
    }
}
