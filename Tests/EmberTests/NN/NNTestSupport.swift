import Foundation
@testable import Ember

/// A nested JSON object of a fixture.
func object(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }

/// A float32 tensor from fixture values.
func tensor(_ value: Any?, _ shape: [Int], requiresGrad: Bool = false) -> Tensor {
    Tensor(floats(value), shape: shape, requiresGrad: requiresGrad)
}

/// Integer values of a fixture array (flattened).
func ints(_ value: Any?) -> [Int] { floats(value).map { Int($0) } }
